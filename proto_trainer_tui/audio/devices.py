"""sounddevice adapters: the caller's voice out of the speaker.

The speaker owns one ``sounddevice.OutputStream``. PortAudio pulls audio on its
own thread, so the callback only copies from a preallocated ring buffer under a
short lock and never allocates or logs. Without PortAudio or an output device
the session gets a :class:`NullSpeaker` and a reason to show once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .pcm import SAMPLE_RATE

PREBUFFER_MS = 60
BUFFER_SECONDS = 30  # a whole long caller reply fits; beyond it the oldest audio is dropped
PORTAUDIO_FIX = "install PortAudio (Debian/Ubuntu: apt install libportaudio2)"


class AudioUnavailable(RuntimeError):
    """No usable audio: the message names the cause and the fix."""


@dataclass
class PlaybackStats:
    underruns: int = 0
    dropped_samples: int = 0
    played_samples: int = 0


class SampleRing:
    """A bounded FIFO of int16 samples; overflow drops the oldest samples."""

    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(capacity, dtype=np.int16)
        self._start = 0
        self.size = 0

    @property
    def capacity(self) -> int:
        return len(self._data)

    def push(self, samples: np.ndarray) -> int:
        """Append samples; return how many old samples were dropped to fit."""
        samples = samples[-self.capacity :]
        dropped = max(0, self.size + len(samples) - self.capacity)
        if dropped:
            self._start = (self._start + dropped) % self.capacity
            self.size -= dropped
        end = (self._start + self.size) % self.capacity
        first = min(len(samples), self.capacity - end)
        self._data[end : end + first] = samples[:first]
        self._data[: len(samples) - first] = samples[first:]
        self.size += len(samples)
        return dropped

    def pop_into(self, out: np.ndarray) -> int:
        """Fill ``out`` from the front; return how many samples were available."""
        count = min(len(out), self.size)
        first = min(count, self.capacity - self._start)
        out[:first] = self._data[self._start : self._start + first]
        out[first:count] = self._data[: count - first]
        self._start = (self._start + count) % self.capacity
        self.size -= count
        return count

    def clear(self) -> None:
        self._start = 0
        self.size = 0


class Speaker:
    """Plays PCM16 24 kHz mono through one PortAudio output stream."""

    live = 0  # open speakers in this process: tests count them, nothing else reads it

    def __init__(self, device: int | str | None = None) -> None:
        sd = import_sounddevice()
        if device is None:
            try:
                sd.query_devices(kind="output")
            except (ValueError, sd.PortAudioError):
                # Typical over SSH or in a container: PortAudio is there, a sound card is not.
                raise AudioUnavailable(
                    "no output device found; connect or enable one, or pick one with --output-device"
                ) from None
        self._ring = SampleRing(SAMPLE_RATE * BUFFER_SECONDS)
        self._lock = threading.Lock()
        self._prebuffer = SAMPLE_RATE * PREBUFFER_MS // 1000
        self._primed = False
        self.stats = PlaybackStats()
        try:
            self._stream = sd.OutputStream(
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="int16",
                device=device,
                callback=self._callback,
                latency="low",
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError, ValueError for a bad device
            where = f"output device {device!r}" if device is not None else "default output device"
            raise AudioUnavailable(
                f"the {where} cannot play 24 kHz audio ({exc}); choose another with --output-device"
            ) from None
        Speaker.live += 1
        self._closed = False

    def _callback(self, outdata, frames, _time, _status) -> None:
        out = outdata[:, 0]
        with self._lock:
            if not self._primed and self._ring.size < self._prebuffer:
                out.fill(0)
                return
            self._primed = True
            got = self._ring.pop_into(out)
            self.stats.played_samples += got
            if got < frames:
                out[got:] = 0
                if got or self._ring.size == 0:
                    self._primed = False
                    self.stats.underruns += 1 if got else 0

    def write(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm, dtype=np.int16)
        with self._lock:
            self.stats.dropped_samples += self._ring.push(samples)

    def flush(self) -> None:
        """Discard queued audio at once (barge-in, disconnect)."""
        with self._lock:
            self._ring.clear()
            self._primed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        Speaker.live -= 1
        self._stream.abort()
        self._stream.close()


class NullSpeaker:
    """Typed-only sessions: caller audio is received and discarded."""

    live = 0

    def __init__(self) -> None:
        self.stats = PlaybackStats()
        NullSpeaker.live += 1
        self._closed = False

    def write(self, pcm: bytes) -> None:
        self.stats.dropped_samples += len(pcm) // 2

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            NullSpeaker.live -= 1


def import_sounddevice():
    try:
        import sounddevice
    except OSError as exc:  # raised by sounddevice when libportaudio is missing
        raise AudioUnavailable(f"{exc}; {PORTAUDIO_FIX}") from None
    return sounddevice


def open_speaker(enabled: bool, device: int | str | None = None) -> tuple[Speaker | NullSpeaker, str | None]:
    """A speaker to own for one session, and why voice is off (None when on)."""
    if not enabled:
        return NullSpeaker(), "voice off: disabled with --no-audio; typed practice only"
    try:
        return Speaker(device), None
    except AudioUnavailable as exc:
        return NullSpeaker(), f"voice off: {exc}; typed practice only"
