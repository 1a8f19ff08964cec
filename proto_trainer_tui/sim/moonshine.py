"""Offline recognition of the counselor's speech with Moonshine tiny (adapter: onnxruntime).

Moonshine is an encoder-decoder speech model for live transcription (English
tiny, MIT licence, ~28 MB quantised). Unlike pocketsphinx it needs no
language model of counselor phrases, so it hears lines worded any way, and it
copes with voices pocketsphinx's acoustic model mishears. It is not streaming:
the words come from one pass over the utterance. So that the end of a turn does
not wait for that pass, the recogniser transcribes as soon as the speech has
paused (`PAUSE_MS` of quiet) and keeps the result while nothing louder follows.

Two ears: pocketsphinx (with its language model of counselor phrases) listens
to the same audio, and when Moonshine's words carry no specific move its n-best
list may outvote them (`moves.likeliest_hearing`, Moonshine's words ranked
first). On the held-out spoken lines this hears more moves than either alone
(docs/benchmarks.md, caller_turns --spoken).

The model files are not on PyPI; `proto-trainer recogniser install` fetches
them (see `speech_models`). One model is loaded per process and shared by every
session's recogniser (onnxruntime sessions may be run from several threads).
"""

from __future__ import annotations

import functools
import os
import threading

import numpy as np
import soxr

from ..audio.pcm import SAMPLE_RATE
from .moves import likeliest_hearing
from .recognizer import RecognitionUnavailable, Recognizer
from .speech_models import MOONSHINE_TINY, installed_dir
from .vad import FRAME_BYTES, frame_dbfs, threshold_dbfs

MODEL_RATE = 16_000
LAYERS, KV_HEADS, HEAD_DIM = 6, 8, 36  # Moonshine tiny's decoder shape
START_TOKEN, END_TOKEN = 1, 2
TOKENS_PER_SECOND = 6.5  # a generous speaking rate: caps a decode that would run on
PAUSE_MS = 240  # quiet after speech that is worth transcribing ahead of the end of the turn
QUIET_DBFS = threshold_dbfs(0.5)  # the server VAD's default level


class MoonshineModel:
    """The encoder, the decoder (with its key/value cache) and the tokenizer, loaded once."""

    def __init__(self, folder: str) -> None:
        try:
            import onnxruntime
            import tokenizers
        except ImportError as exc:
            raise RecognitionUnavailable(f"onnxruntime or tokenizers is not installed: {exc}") from exc
        options = onnxruntime.SessionOptions()
        # One thread per run: sessions of several calls share the cores; each decode is small.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._encoder = onnxruntime.InferenceSession(
                os.path.join(folder, "encoder_model.onnx"), options, providers=["CPUExecutionProvider"])
            self._decoder = onnxruntime.InferenceSession(
                os.path.join(folder, "decoder_model_merged.onnx"), options, providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizers.Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        except Exception as exc:  # onnxruntime raises its own error types
            raise RecognitionUnavailable(f"the Moonshine model in {folder} could not be loaded: {exc}") from exc

    def transcribe(self, audio: np.ndarray) -> str:
        """Words in 16 kHz mono float32 `audio` (greedy decoding)."""
        if audio.size < MODEL_RATE // 10:  # the model needs at least 0.1 s
            return ""
        hidden = self._encoder.run(None, {"input_values": audio[None, :]})[0]
        cache = {f"past_key_values.{layer}.{part}.{kind}": np.zeros((0, KV_HEADS, 1, HEAD_DIM), np.float32)
                 for layer in range(LAYERS) for part in ("decoder", "encoder") for kind in ("key", "value")}
        tokens = [START_TOKEN]
        for step in range(int(audio.size / MODEL_RATE * TOKENS_PER_SECOND) + 8):
            logits, *present = self._decoder.run(None, {
                "input_ids": np.array([[tokens[-1]]], np.int64),
                "encoder_hidden_states": hidden,
                "use_cache_branch": np.array([step > 0]),
                **cache,
            })
            token = int(logits[0, -1].argmax())
            if token == END_TOKEN:
                break
            tokens.append(token)
            # The encoder's keys and values are computed on the first step only.
            for name, value in zip(cache, present):
                if step == 0 or ".decoder." in name:
                    cache[name] = value
        return self._tokenizer.decode(tokens[1:], skip_special_tokens=True).strip()


_load_lock = threading.Lock()


@functools.cache
def _shared_model(folder: str) -> MoonshineModel:
    return MoonshineModel(folder)


def shared_model() -> MoonshineModel:
    """The process's model; RecognitionUnavailable (saying how to install it) when it is missing."""
    folder = installed_dir(MOONSHINE_TINY)
    if folder is None:
        raise RecognitionUnavailable(
            "the Moonshine speech model is not installed: run `proto-trainer recogniser install`")
    with _load_lock:
        return _shared_model(folder)


class MoonshineRecognizer:
    """One utterance at a time: ``start()``, ``feed(pcm24k)`` as audio arrives, ``finish() -> text``.

    The same interface as the pocketsphinx `Recognizer`. `sentences` (a scenario's
    words) go to the `partner`, a pocketsphinx recogniser hearing the same audio.
    """

    def __init__(self, sentences: tuple[str, ...] = (), model: MoonshineModel | None = None,
                 partner: Recognizer | None = None) -> None:
        self.sentences = sentences
        self._model = model or shared_model()
        self._partner = partner
        self._resampler: soxr.ResampleStream | None = None
        self._chunks: list[np.ndarray] = []
        self._samples = 0  # at the model's rate
        self._voiced_end = 0  # samples up to the end of the last loud frame
        self._early: tuple[int, str] | None = None  # (voiced end it was made at, words)
        self._pending = b""  # less than a frame, kept for the loudness check
        self.audio_seconds = 0.0

    @property
    def active(self) -> bool:
        return self._resampler is not None

    def start(self) -> None:
        if self._partner is not None:
            self._partner.start()
        self._resampler = soxr.ResampleStream(SAMPLE_RATE, MODEL_RATE, 1, dtype="float32")
        self._chunks, self._samples, self._voiced_end = [], 0, 0
        self._early, self._pending = None, b""
        self.audio_seconds = 0.0

    def feed(self, pcm: bytes) -> None:
        if self._resampler is None:
            self.start()
        if self._partner is not None:
            self._partner.feed(pcm)
        self.audio_seconds += len(pcm) / 2 / SAMPLE_RATE
        self._pending += pcm
        usable = len(self._pending) - len(self._pending) % FRAME_BYTES
        for offset in range(0, usable, FRAME_BYTES):
            frame = self._pending[offset:offset + FRAME_BYTES]
            self._append(self._resampler.resample_chunk(np.frombuffer(frame, "<i2").astype(np.float32) / 32768))
            if frame_dbfs(frame) > QUIET_DBFS:
                self._voiced_end = self._samples
        self._pending = self._pending[usable:]
        paused = self._samples - self._voiced_end >= PAUSE_MS * MODEL_RATE // 1000
        if paused and self._voiced_end and (self._early is None or self._early[0] != self._voiced_end):
            self._early = (self._voiced_end, self._model.transcribe(self._audio()))

    def finish(self) -> str:
        """End the utterance and return the words heard ("" for none)."""
        if self._resampler is None:
            return ""
        heard = [words for words in (self._own_words(), *self._partner_words()) if words]
        return likeliest_hearing(heard)

    def _own_words(self) -> str:
        if self._pending:
            self._append(self._resampler.resample_chunk(np.frombuffer(
                self._pending[: len(self._pending) // 2 * 2], "<i2").astype(np.float32) / 32768))
        self._append(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True))
        self._resampler = None
        if self._early is not None and self._early[0] == self._voiced_end:
            return self._early[1]  # nothing loud since the pause: the words are already known
        # Also when no frame was loud enough to count (a quiet speaker): the server's VAD heard speech.
        return self._model.transcribe(self._audio()) if self._samples else ""

    def _partner_words(self) -> list[str]:
        return self._partner.finish_hypotheses() if self._partner is not None else []

    def warm_up(self, pcm: bytes) -> None:
        """Decode and discard a sample: onnxruntime's first runs are slower."""
        self.start()
        self.feed(pcm)
        self._early = None  # so that the end-of-turn pass runs too, and pocketsphinx's partner ends its turn
        self.finish()

    def cancel(self) -> None:
        if self._partner is not None:
            self._partner.cancel()
        self._resampler = None
        self._chunks = []

    def _append(self, samples: np.ndarray) -> None:
        if samples.size:
            self._chunks.append(samples)
            self._samples += samples.size

    def _audio(self) -> np.ndarray:
        audio = np.concatenate(self._chunks) if len(self._chunks) != 1 else self._chunks[0]
        self._chunks = [audio]
        return audio.astype(np.float32, copy=False)
