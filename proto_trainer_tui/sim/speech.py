"""Offline text-to-speech using espeak-ng, loaded from the espeakng_loader wheel.

espeak-ng keeps global state and is not thread-safe, so the library is
initialised once per process and every synthesis call holds a module-level
lock. Audio is produced in synchronous mode: espeak calls our callback with
short buffers (22050 Hz mono int16) while it synthesises, and each buffer is
resampled to the app's 24 kHz with a per-utterance streaming soxr resampler
(so chunk boundaries stay seamless) and handed to the caller straight away.

`Synthesizer.synthesize` blocks; call it from a worker thread, e.g.
``await asyncio.to_thread(synth.synthesize, text, on_chunk=...)``. The
`on_chunk` callback then runs on that worker thread.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import threading
from collections.abc import Callable

import numpy as np
import soxr

from proto_trainer_tui.audio.pcm import SAMPLE_RATE

DEFAULT_VOICE = "en-us"
DEFAULT_RATE_WPM = 165
MIN_RATE_WPM = 80  # espeakRATE_MINIMUM
MAX_RATE_WPM = 450  # espeakRATE_MAXIMUM

# Length of each buffer espeak hands to the callback; short keeps latency low.
_BUFFER_MS = 40

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report missing data instead of calling exit()
_CHARS_UTF8 = 1  # no espeakSSML / espeakPHONEMES: markup is read as plain text
_POS_CHARACTER = 1
_PARAM_RATE = 1
_EE_OK = 0

# int SynthCallback(short *wav, int numsamples, espeak_EVENT *events)
# Events are not inspected, so they stay an opaque pointer.
_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _EspeakVoice(ctypes.Structure):
    """espeak_VOICE from speak_lib.h (only read, never passed in)."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        # Packed pairs of (priority byte, NUL-terminated language), ended by a 0 byte.
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class SpeechUnavailable(RuntimeError):
    """espeak-ng could not be loaded or initialised; the message says why."""


class _Utterance:
    """Receives espeak buffers for one espeak_Synth call and forwards 24 kHz PCM."""

    def __init__(
        self,
        source_rate: int,
        on_chunk: Callable[[bytes], None],
        cancel: threading.Event | None,
    ) -> None:
        self._on_chunk = on_chunk
        self._cancel = cancel
        self._stream = (
            None
            if source_rate == SAMPLE_RATE
            else soxr.ResampleStream(source_rate, SAMPLE_RATE, 1, dtype="int16")
        )
        self.error: BaseException | None = None

    def cancelled(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def feed(self, samples: np.ndarray) -> None:
        if self._stream is not None:
            samples = self._stream.resample_chunk(samples)
        self._emit(samples)

    def finish(self) -> None:
        # Flush the resampler's internal delay line so the tail isn't lost.
        if self._stream is not None:
            self._emit(self._stream.resample_chunk(np.zeros(0, np.int16), last=True))

    def _emit(self, samples: np.ndarray) -> None:
        if samples.size:
            self._on_chunk(samples.astype("<i2", copy=False).tobytes())


class _Engine:
    """The process-wide loaded and initialised espeak-ng library."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise SpeechUnavailable(f"espeakng_loader is not installed: {exc}") from exc

        lib_path = espeakng_loader.get_library_path()
        try:
            data_dir = espeakng_loader.get_data_path()
        except RuntimeError as exc:
            raise SpeechUnavailable(f"espeak-ng data folder missing: {exc}") from exc
        if not os.path.isfile(os.path.join(data_dir, "phontab")):
            raise SpeechUnavailable(f"espeak-ng data folder is incomplete: {data_dir}")

        try:
            lib = ctypes.CDLL(lib_path)
        except OSError as exc:
            raise SpeechUnavailable(f"cannot load {lib_path}: {exc}") from exc

        lib.espeak_Initialize.argtypes = [
            ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
        ]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))

        # espeak wants the directory that CONTAINS espeak-ng-data.
        data_parent = os.path.dirname(os.path.abspath(data_dir)).encode()
        sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_parent, _INITIALIZE_DONT_EXIT
        )
        if sample_rate <= 0:
            raise SpeechUnavailable(f"espeak_Initialize failed (returned {sample_rate})")
        # With DONT_EXIT a broken data folder is not reported by Initialize;
        # loading the default voice is the real proof that synthesis can work.
        status = lib.espeak_SetVoiceByName(DEFAULT_VOICE.encode())
        if status != _EE_OK:
            raise SpeechUnavailable(
                f"espeak-ng cannot load voice {DEFAULT_VOICE!r} (error {status}) "
                f"from {data_dir}"
            )

        self.lib = lib
        self.sample_rate = sample_rate
        self._voice_by_language = self._list_languages()
        self._resolved_voices: dict[str, bytes] = {}
        self.utterance: _Utterance | None = None
        # Kept on the engine so the C side never calls a collected trampoline.
        self._callback = _SynthCallback(self._on_audio)
        lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav, num_samples, _events) -> int:
        """espeak's synth callback; returns 1 to abort synthesis."""
        utterance = self.utterance
        if utterance is None:
            return 1
        if not wav:  # NULL marks the end of synthesis
            return 0
        try:
            if utterance.cancelled():
                return 1
            if num_samples > 0:
                samples = np.ctypeslib.as_array(wav, shape=(num_samples,)).copy()
                utterance.feed(samples)
            return 0
        except BaseException as exc:  # noqa: BLE001 - ctypes would swallow it
            utterance.error = exc
            return 1

    def _list_languages(self) -> dict[str, bytes]:
        """Map language tags ("en-gb") to the voice file that serves them best.

        espeak_SetVoiceByName only matches voice names and file names, and the
        British voice lives in file "gmw/en", so "en-gb" needs this lookup.
        """
        best: dict[str, tuple[int, bytes]] = {}
        voices = self.lib.espeak_ListVoices(None)
        for index in itertools.count():
            entry = voices[index]
            if not entry:  # NULL-terminated array
                break
            voice = entry.contents
            if not voice.identifier or voice.identifier.startswith(b"mb/"):
                continue  # mbrola voices need extra, uninstalled data
            cursor = voice.languages
            while cursor:
                priority = ctypes.string_at(cursor, 1)[0]
                if priority == 0:
                    break
                language = ctypes.string_at(cursor + 1)
                cursor += len(language) + 2
                key = language.decode("ascii", "replace").lower()
                if key not in best or priority < best[key][0]:
                    best[key] = (priority, voice.identifier)
        return {language: identifier for language, (_, identifier) in best.items()}

    def _candidate_names(self, voice: str) -> list[bytes]:
        base, plus, variant = voice.partition("+")
        candidates = [voice.encode("utf-8", "replace")]
        identifier = self._voice_by_language.get(base.strip().lower())
        if identifier is not None:
            suffix = b"+" + variant.encode("utf-8", "replace") if plus else b""
            candidates.append(identifier + suffix)
        return [name for name in candidates if name and b"\0" not in name]

    def select_voice(self, voice: str) -> None:
        resolved = self._resolved_voices.get(voice)
        if resolved is not None and self.lib.espeak_SetVoiceByName(resolved) == _EE_OK:
            return
        for name in self._candidate_names(voice):
            if self.lib.espeak_SetVoiceByName(name) == _EE_OK:
                self._resolved_voices[voice] = name
                return
        # Unknown voices fall back rather than failing or keeping the last voice.
        self.lib.espeak_SetVoiceByName(DEFAULT_VOICE.encode())

    def speak(self, text: str, utterance: _Utterance) -> None:
        encoded = text.replace("\0", " ").encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(encoded, len(encoded))
        self.utterance = utterance
        try:
            status = self.lib.espeak_Synth(
                buffer, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
        finally:
            self.utterance = None
        if utterance.error is not None:
            raise utterance.error
        if status != _EE_OK:
            raise RuntimeError(f"espeak_Synth failed with error {status}")


# espeak-ng is process-global: one engine, one lock, shared by all Synthesizers.
_lock = threading.Lock()
_engine: _Engine | None = None
_engine_error: SpeechUnavailable | None = None


def _get_engine_locked() -> _Engine:
    """Return the engine, initialising it on first use. Caller holds _lock."""
    global _engine, _engine_error
    if _engine is not None:
        return _engine
    if _engine_error is not None:
        # Re-initialising a half-initialised global C library is not safe.
        raise _engine_error
    try:
        _engine = _Engine()
    except SpeechUnavailable as exc:
        _engine_error = exc
        raise
    return _engine


class Synthesizer:
    """Offline espeak-ng voice producing 24 kHz mono PCM16."""

    def __init__(self) -> None:
        # Deliberately cheap: the library loads on first use.
        pass

    def check(self) -> None:
        """Load espeak-ng if needed; raise SpeechUnavailable with the reason if not."""
        with _lock:
            _get_engine_locked()

    def voices_available(self) -> bool:
        try:
            self.check()
        except SpeechUnavailable:
            return False
        return True

    def synthesize(
        self,
        text: str,
        voice: str = DEFAULT_VOICE,
        rate_wpm: int = DEFAULT_RATE_WPM,
        *,
        on_chunk: Callable[[bytes], None],
        cancel: threading.Event | None = None,
    ) -> None:
        """Speak `text` and call `on_chunk(pcm16_24k_bytes)` as audio is produced.

        Blocks until done (run it in a worker thread). `voice` is an espeak
        voice name such as "en-us", "en-gb" or "en-us+f3"; unknown names fall
        back to "en-us". Text is plain text: SSML/markup is not interpreted.
        Setting `cancel` stops synthesis early; an exception raised by
        `on_chunk` aborts synthesis and propagates to the caller.
        """
        if not text or not text.strip():
            return
        rate = max(MIN_RATE_WPM, min(MAX_RATE_WPM, int(rate_wpm)))
        with _lock:
            engine = _get_engine_locked()
            engine.select_voice(voice)
            engine.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
            utterance = _Utterance(engine.sample_rate, on_chunk, cancel)
            engine.speak(text, utterance)
            if not utterance.cancelled():
                utterance.finish()

    def synthesize_all(
        self, text: str, voice: str = DEFAULT_VOICE, rate_wpm: int = DEFAULT_RATE_WPM
    ) -> bytes:
        """Synthesise the whole text and return it as one 24 kHz PCM16 buffer."""
        chunks: list[bytes] = []
        self.synthesize(text, voice, rate_wpm, on_chunk=chunks.append)
        return b"".join(chunks)
