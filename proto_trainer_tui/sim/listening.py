"""Runs one session's recogniser off the event loop, in order, on its own worker thread.

Audio is handed over as it arrives (`feed` returns at once); decoding keeps
pace on the worker, so `finish` only waits for the last frames. A slow decode
delays only its own session's transcript, never the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .recognizer import RecognitionUnavailable, Recognizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recognition:
    text: str
    audio_seconds: float = 0.0
    decode_seconds: float = 0.0  # worker time spent on this utterance
    error: str | None = None


WARM_UP_LINE = "Hello, this is the crisis line. How can I help you tonight?"


@functools.cache
def _warm_up_audio() -> bytes:
    from .speech import SpeechUnavailable, Synthesizer

    try:
        return Synthesizer().synthesize_all(WARM_UP_LINE)
    except SpeechUnavailable:
        return b""


POCKETSPHINX_MODEL = "pocketsphinx-en-us"
MOONSHINE_MISSING = ("the Moonshine speech model is not installed, so the caller hears you with pocketsphinx alone "
                     "and mishears more (install it: proto-trainer recogniser install)")
MOONSHINE_MODEL = "moonshine-tiny-en+pocketsphinx-en-us"


def local_recognizer(sentences: tuple[str, ...] = (), engine: str = "auto") -> Recognizer:
    """A new recogniser of the chosen engine; `sentences` go to pocketsphinx's language model.

    "auto" takes Moonshine (with pocketsphinx as its second ear) when the model is
    installed and falls back to pocketsphinx alone, saying so once in the log.
    """
    if engine != "pocketsphinx":
        from .moonshine import MoonshineRecognizer, shared_model

        try:
            return MoonshineRecognizer(sentences, shared_model(), Recognizer(sentences))
        except RecognitionUnavailable as exc:
            if engine == "moonshine":
                raise
            _say_fallback_once(str(exc))
    return Recognizer(sentences)


@functools.cache
def _say_fallback_once(reason: str) -> None:
    log.warning("%s; listening with pocketsphinx alone", reason)


def local_model_name(engine: str = "auto") -> str:
    """The model `local_recognizer` uses for `engine` (named in session.updated)."""
    if engine == "pocketsphinx":
        return POCKETSPHINX_MODEL
    from .moonshine import shared_model

    try:
        shared_model()  # loaded, not only present: a damaged file makes "auto" fall back
    except RecognitionUnavailable:
        return MOONSHINE_MODEL if engine == "moonshine" else POCKETSPHINX_MODEL
    return MOONSHINE_MODEL


def warmed_recognizer(sentences: tuple[str, ...] = (), engine: str = "auto") -> Recognizer:
    """A recogniser that has already heard one sample line (see Recognizer.warm_up).

    `sentences` are added to its language model (a scenario's, see counselor_corpus).
    """
    recognizer = local_recognizer(sentences, engine)
    if audio := _warm_up_audio():
        recognizer.warm_up(audio)
    return recognizer


class RecognizerPool:
    """Idle recognisers kept for the next session: making and warming one costs ~0.2 s of CPU.

    A recogniser is used by one session's worker at a time; it goes back here when
    that session ends (or changes scenario), with any unfinished utterance dropped.
    Recognisers differ by the sentences their model adds: one is only reused for the same.
    """

    def __init__(self, factory: Callable[[tuple[str, ...]], Recognizer] | None = None,
                 keep: int = 4, engine: str = "auto") -> None:
        self.factory = factory or functools.partial(warmed_recognizer, engine=engine)
        self.model_name = local_model_name(engine)  # what the sessions name in session.updated
        # Said to a client that sends audio when "auto" found no Moonshine model.
        self.fallback_notice = MOONSHINE_MISSING if engine == "auto" and self.model_name == POCKETSPHINX_MODEL else None
        self._keep = keep
        self._idle: list[Recognizer] = []  # oldest first
        self._lock = threading.Lock()

    def take(self, sentences: tuple[str, ...] = ()) -> Recognizer:
        with self._lock:
            for index in range(len(self._idle) - 1, -1, -1):
                if getattr(self._idle[index], "sentences", ()) == sentences:
                    return self._idle.pop(index)
        return self.factory(sentences)

    def give_back(self, recognizer: Recognizer) -> None:
        recognizer.cancel()
        with self._lock:
            self._idle.append(recognizer)
            del self._idle[: max(0, len(self._idle) - self._keep)]


class Listener:
    def __init__(self, factory: Callable[[tuple[str, ...]], Recognizer] = warmed_recognizer,
                 release: Callable[[Recognizer], None] | None = None) -> None:
        self._factory = factory
        self._release = release
        self._sentences: tuple[str, ...] = ()  # what the scenario adds to the language model
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-asr")
        self._recognizer: Recognizer | None = None
        self._error: str | None = None
        self._busy = 0.0
        self.has_audio = False  # anything fed since the last finish/cancel

    # Loop side: each call queues work; the single worker runs it in order.

    def start(self) -> None:
        self.has_audio = False
        self._executor.submit(self._guarded, self._start)

    def feed(self, pcm: bytes) -> None:
        if pcm:
            self.has_audio = True
            self._executor.submit(self._guarded, self._feed, pcm)

    def cancel(self) -> None:
        self.has_audio = False
        self._executor.submit(self._guarded, self._cancel)

    def use_sentences(self, sentences: tuple[str, ...]) -> None:
        """Listen with these sentences added to the model (a scenario's words) from now on.

        The recogniser is made (or taken from the pool) on the worker right away, so
        the ~0.2 s this can cost is spent before the counselor speaks, not after.
        """
        self._executor.submit(self._guarded, self._use_sentences, tuple(sentences))

    async def finish(self) -> Recognition:
        self.has_audio = False
        return await asyncio.wrap_future(self._executor.submit(self._finish))

    async def close(self) -> None:
        def shut_down() -> None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            if self._recognizer is not None and self._release is not None:
                self._release(self._recognizer)  # the worker is gone: nobody else holds it
            self._recognizer = None

        await asyncio.to_thread(shut_down)

    # Worker side.

    def _guarded(self, work: Callable, *args) -> None:
        started = time.perf_counter()
        try:
            work(*args)
        except Exception:  # one bad chunk must not end the session's listening
            log.exception("recogniser failed")
            self._error = "speech recognition failed on this turn"
        finally:
            self._busy += time.perf_counter() - started

    def _use_sentences(self, sentences: tuple[str, ...]) -> None:
        if sentences != self._sentences:
            self._sentences = sentences
            if self._recognizer is not None:
                self._recognizer.cancel()
                if self._release is not None:
                    self._release(self._recognizer)
                self._recognizer = None
        self._get()

    def _get(self) -> Recognizer | None:
        if self._recognizer is None and self._error is None:
            try:
                self._recognizer = self._factory(self._sentences)
            except RecognitionUnavailable as exc:
                self._error = str(exc)
        return self._recognizer

    def _start(self) -> None:
        self._busy = 0.0
        if (recognizer := self._get()) is not None:
            recognizer.start()

    def _feed(self, pcm: bytes) -> None:
        if (recognizer := self._get()) is not None:
            recognizer.feed(pcm)

    def _cancel(self) -> None:
        if self._recognizer is not None:
            self._recognizer.cancel()

    def _finish(self) -> Recognition:
        started = time.perf_counter()
        recognizer = self._recognizer
        if recognizer is None:  # never loaded: the reason stays for every turn
            return Recognition("", error=self._error or "no audio was received")
        error, self._error = self._error, None  # a failed turn does not poison the next one
        try:
            seconds = recognizer.audio_seconds
            text = recognizer.finish()
        except Exception as exc:
            log.exception("recogniser failed to finish")
            text, seconds, error = "", 0.0, f"speech recognition failed: {exc}"
        busy, self._busy = self._busy + time.perf_counter() - started, 0.0
        return Recognition(text, seconds, busy, error)
