"""Server voice activity detection over PCM16 24 kHz input audio (pure, no I/O).

An energy detector in 20 ms frames, configured like OpenAI's ``server_vad``:
``threshold`` (0..1, higher needs louder speech), ``prefix_padding_ms`` (audio
kept from before speech started) and ``silence_duration_ms`` (quiet needed to
end a turn). `ServerVad.feed` takes audio as it arrives and returns what
happened, in order: `SpeechStarted`, `SpeechAudio` (the turn's audio, prefix
included, for incremental recognition) and `SpeechStopped`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

SAMPLE_RATE = 24_000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2
# Voiced frames in a row needed to start a turn: a click or a cough is not speech.
ONSET_FRAMES = 2
# Speech must also stand this far above the background: a fan or a hum louder
# than the threshold would otherwise hold a turn open for ever.
ABOVE_FLOOR_DB = 12.0
# The background estimate drops at once to a quieter frame and creeps up otherwise
# (minimum tracking), so speech pauses keep it honest and steady noise is learned in seconds.
FLOOR_RISE_DB_PER_FRAME = 0.2

DEFAULTS = {"threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}


@dataclass(frozen=True)
class SpeechStarted:
    audio_start_ms: int


@dataclass(frozen=True)
class SpeechAudio:
    pcm: bytes


@dataclass(frozen=True)
class SpeechStopped:
    audio_end_ms: int


VadEvent = SpeechStarted | SpeechAudio | SpeechStopped


def threshold_dbfs(threshold: float) -> float:
    """Map the 0..1 ``threshold`` onto a frame level: 0.5 -> -45 dBFS, 0 -> -70, 1 -> -20."""
    return -70.0 + 50.0 * min(1.0, max(0.0, threshold))


def frame_dbfs(frame: bytes) -> float:
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
    if samples.size == 0:
        return -120.0
    rms = math.sqrt(float(np.mean(samples * samples)))
    return 20.0 * math.log10(rms / 32768.0) if rms > 0 else -120.0


@dataclass(frozen=True)
class VadSettings:
    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500
    create_response: bool = True
    interrupt_response: bool = True

    @classmethod
    def from_turn_detection(cls, config: Any) -> VadSettings | None:
        """Settings from a ``turn_detection`` object; None means push-to-talk.

        Raises ValueError for a shape we cannot honour (the server says so in an error event).
        """
        if config is None:
            return None
        if not isinstance(config, dict):
            raise ValueError("turn_detection must be an object or null")
        kind = config.get("type", "server_vad")
        if kind not in ("server_vad", "semantic_vad"):
            raise ValueError(f"turn_detection type {kind!r} is not supported; use 'server_vad' or null")
        values = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
        try:
            threshold = float(values["threshold"])
            prefix = int(values["prefix_padding_ms"])
            silence = int(values["silence_duration_ms"])
        except (TypeError, ValueError):
            raise ValueError("turn_detection threshold and durations must be numbers") from None
        if not 0.0 <= threshold <= 1.0 or not 0 <= prefix <= 5000 or not 100 <= silence <= 10_000:
            raise ValueError("turn_detection out of range: threshold 0..1, prefix_padding_ms 0..5000, "
                             "silence_duration_ms 100..10000")
        return cls(threshold, prefix, silence,
                   bool(values.get("create_response", True)), bool(values.get("interrupt_response", True)))

    def as_turn_detection(self) -> dict:
        return {"type": "server_vad", "threshold": self.threshold, "prefix_padding_ms": self.prefix_padding_ms,
                "silence_duration_ms": self.silence_duration_ms, "create_response": self.create_response,
                "interrupt_response": self.interrupt_response}


class ServerVad:
    """Turns a stream of input audio into speech turns."""

    def __init__(self, settings: VadSettings) -> None:
        self.settings = settings
        self._level = threshold_dbfs(settings.threshold)
        self._partial = b""
        self._elapsed_ms = 0  # audio time at the end of the last whole frame
        self._prefix: deque[bytes] = deque(maxlen=max(1, settings.prefix_padding_ms // FRAME_MS) + ONSET_FRAMES)
        self._voiced_run = 0
        self._silent_ms = 0
        self._floor = -120.0
        self.in_speech = False

    @property
    def elapsed_ms(self) -> int:
        """Audio time received so far (whole frames)."""
        return self._elapsed_ms

    def reset(self) -> None:
        """Forget buffered audio (``input_audio_buffer.clear``); time keeps counting."""
        self._partial = b""
        self._prefix.clear()
        self._voiced_run = 0
        self._silent_ms = 0
        self.in_speech = False

    def feed(self, pcm: bytes) -> list[VadEvent]:
        out: list[VadEvent] = []
        data = self._partial + pcm
        whole = len(data) - len(data) % FRAME_BYTES
        self._partial = data[whole:]
        for start in range(0, whole, FRAME_BYTES):
            self._frame(data[start:start + FRAME_BYTES], out)
        return _merge_audio(out)

    def _frame(self, frame: bytes, out: list[VadEvent]) -> None:
        self._elapsed_ms += FRAME_MS
        level = frame_dbfs(frame)
        voiced = level >= max(self._level, self._floor + ABOVE_FLOOR_DB)
        self._floor = level if level < self._floor else self._floor + FLOOR_RISE_DB_PER_FRAME
        if not self.in_speech:
            self._prefix.append(frame)
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run >= ONSET_FRAMES:
                onset_ms = self._elapsed_ms - ONSET_FRAMES * FRAME_MS
                start_ms = max(0, onset_ms - self.settings.prefix_padding_ms)
                kept = min(len(self._prefix), (self._elapsed_ms - start_ms) // FRAME_MS)
                prefix = b"".join(list(self._prefix)[-kept:])
                self._prefix.clear()
                self.in_speech, self._silent_ms = True, 0
                out += [SpeechStarted(start_ms), SpeechAudio(prefix)]
            return
        out.append(SpeechAudio(frame))
        self._silent_ms = 0 if voiced else self._silent_ms + FRAME_MS
        if self._silent_ms >= self.settings.silence_duration_ms:
            self.in_speech, self._voiced_run = False, 0
            out.append(SpeechStopped(self._elapsed_ms))


def _merge_audio(events: list[VadEvent]) -> list[VadEvent]:
    """Join neighbouring SpeechAudio pieces so one append gives at most a few events."""
    merged: list[VadEvent] = []
    for event in events:
        if isinstance(event, SpeechAudio) and merged and isinstance(merged[-1], SpeechAudio):
            merged[-1] = SpeechAudio(merged[-1].pcm + event.pcm)
        else:
            merged.append(event)
    return merged
