"""Offline recognition of the counselor's speech with pocketsphinx (adapter).

The en-US acoustic model and pronunciation dictionary come from the
pocketsphinx wheel. The language model is built from `counselor_corpus` (plus
the caller engine's move phrases and the call's scenario sentences, once per
distinct set in a process), because the general English model both mishears
counselor questions and decodes several times slower. At the end of an
utterance the n-best list may overrule a best guess that says nothing specific
(`moves.likeliest_hearing`). Audio is fed while the counselor speaks (`Recognizer.feed`),
so that at the end of the turn only the last frames remain (`finish`).

A `Recognizer` is not thread-safe: each server session owns one and calls it
from a single worker thread.
"""

from __future__ import annotations

import atexit
import functools
import io
import itertools
import logging
import os
import re
import shutil
import tempfile
import threading

import numpy as np
import soxr

from ..audio.pcm import SAMPLE_RATE
from . import counselor_corpus

log = logging.getLogger(__name__)

DECODER_RATE = 16_000
DECODER_SETTINGS = {"fwdflat": False, "bestpath": True, "lw": 9.0}
ALTERNATIVES = 20  # n-best hypotheses weighed when the best one says nothing specific (moves.likeliest_hearing)


class RecognitionUnavailable(RuntimeError):
    """pocketsphinx or its model could not be loaded; the message says why."""


def _model_dir() -> str:
    try:
        import pocketsphinx
    except ImportError as exc:
        raise RecognitionUnavailable(f"pocketsphinx is not installed: {exc}") from exc
    return os.path.join(pocketsphinx.get_model_path(), "en-us")


def _phrases() -> list[str]:
    # The moves the caller listens for are worth recognising.
    from .moves import GAP, phrases

    return [phrase.replace(GAP, " ") for items in phrases().values() for phrase in items]


_build_lock = threading.Lock()


def _pronunciations(words: set[str]) -> dict[str, list[str]]:
    """The bundled dictionary's lines for these words (read through, not kept: 130k words)."""
    found: dict[str, list[str]] = {}
    with open(os.path.join(_model_dir(), "cmudict-en-us.dict"), encoding="utf-8") as full:
        for line in full:
            word = re.sub(r"\(\d+\)$", "", line.split(" ", 1)[0])
            if word in words:
                found.setdefault(word, []).append(line)
    return found


@functools.cache
def _folder() -> str:
    folder = tempfile.mkdtemp(prefix="proto-trainer-asr-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


# Kept for the process (one per scenario heard): an evicted set would leave its files behind and be
# rebuilt under a new name.
@functools.cache
def _model_files(extra: tuple[str, ...] = ()) -> tuple[str, str]:
    """(language model, dictionary) paths in a private temp folder removed at exit.

    `extra` sentences (a scenario's, see counselor_corpus.scenario_sentences) are
    added to the counselor corpus; each distinct set is built once per process.
    """
    from pocketsphinx.lm import ArpaBoLM

    with _build_lock:
        text = "\n".join(counselor_corpus.sentences() + _phrases() + list(extra)).lower()
        known = _pronunciations(set(text.split()))
        # Only words the dictionary can say: an unsayable word would only take probability away.
        lines = [" ".join(w for w in line.split() if w in known) for line in text.splitlines()]
        model = ArpaBoLM(text="\n".join(line for line in lines if line), add_start=True)
        model.compute()
        arpa = io.StringIO()
        model.write(arpa)
        name = f"counselor-{len(os.listdir(_folder()))}"
        lm_path = os.path.join(_folder(), f"{name}.arpa")
        with open(lm_path, "w", encoding="utf-8") as out:
            out.write(arpa.getvalue())
        # Only the corpus's words: loading the full 130k-word dictionary takes a second per session.
        dict_path = os.path.join(_folder(), f"{name}.dict")
        with open(dict_path, "w", encoding="utf-8") as out:
            for word in sorted({w for line in lines for w in line.split()}):
                out.writelines(known[word])
        return lm_path, dict_path


class Recognizer:
    """One utterance at a time: ``start()``, ``feed(pcm24k)`` as audio arrives, ``finish() -> text``."""

    def __init__(self, sentences: tuple[str, ...] = (), **settings) -> None:
        self.sentences = sentences  # what this recogniser's model adds to the corpus
        try:
            from pocketsphinx import Decoder

            lm_path, dict_path = _model_files(sentences)
            self._decoder = Decoder(
                hmm=os.path.join(_model_dir(), "en-us"),
                lm=lm_path,
                dict=dict_path,
                # No second (fwdflat) pass: it redoes the whole utterance at the end
                # (100-300 ms), which is the latency we avoid. The lattice search is
                # cheap (<30 ms) and, with a heavier language weight, recognises more
                # counselor moves (benchmarks/spoken_turns.py prints the share).
                **{**DECODER_SETTINGS, **settings},
                loglevel="ERROR",
            )
        except RecognitionUnavailable:
            raise
        except Exception as exc:  # the C library raises assorted errors
            raise RecognitionUnavailable(f"pocketsphinx could not start: {exc}") from exc
        self._resampler: soxr.ResampleStream | None = None
        self.audio_seconds = 0.0

    @property
    def active(self) -> bool:
        return self._resampler is not None

    def start(self) -> None:
        if self.active:
            self._decoder.end_utt()
        self._resampler = soxr.ResampleStream(SAMPLE_RATE, DECODER_RATE, 1, dtype="int16")
        self.audio_seconds = 0.0
        self._decoder.start_utt()

    def feed(self, pcm: bytes) -> None:
        if self._resampler is None:
            self.start()
        samples = np.frombuffer(pcm, dtype="<i2")
        self.audio_seconds += samples.size / SAMPLE_RATE
        self._process(self._resampler.resample_chunk(samples))

    def finish(self) -> str:
        """End the utterance and return the words heard ("" for none)."""
        from .moves import likeliest_hearing

        return likeliest_hearing(self.finish_hypotheses())

    def finish_hypotheses(self) -> list[str]:
        """End the utterance; its n-best hypotheses, best first ([] when nothing was heard)."""
        if self._resampler is None:
            return []
        self._process(self._resampler.resample_chunk(np.zeros(0, np.int16), last=True))
        self._resampler = None
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        best = hypothesis.hypstr.strip() if hypothesis is not None else ""
        return [best, *self._alternatives()] if best else []

    def _alternatives(self) -> list[str]:
        try:
            found = itertools.islice(self._decoder.nbest(), ALTERNATIVES)
            return [text for h in found if h is not None and (text := h.hypstr.strip())]
        except Exception:  # no lattice for this utterance: the best alone will do
            log.debug("no n-best list", exc_info=True)
            return []

    def warm_up(self, pcm: bytes) -> None:
        """Decode and discard a sample of speech.

        pocketsphinx normalises cepstra with a running mean that starts at the
        model's defaults; the first utterance is misheard badly until it has
        seen some speech, so each new decoder hears one sample first.
        """
        self.start()
        self.feed(pcm)
        self.finish()

    def cancel(self) -> None:
        if self._resampler is not None:
            self._resampler = None
            self._decoder.end_utt()

    def _process(self, samples: np.ndarray) -> None:
        if samples.size:
            self._decoder.process_raw(samples.astype("<i2", copy=False).tobytes(), False, False)
