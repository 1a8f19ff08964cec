"""The caller's voice out of one ``sounddevice.OutputStream``.

PortAudio pulls audio on its own thread, so the callback only copies between
preallocated rings under a short lock and never allocates or logs. Everything
it plays, silence included, is also copied to a small "played" ring: the echo
canceller's reference and the caller's level meter read it on the event loop.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from .pcm import DEVICE_BLOCK_MS, SAMPLE_RATE
from .ring import SampleRing

BLOCK = SAMPLE_RATE * DEVICE_BLOCK_MS // 1000  # as the microphone's: one played block per captured block
PREBUFFER_MS = max(60, DEVICE_BLOCK_MS)  # at least one whole block, or the first one would run dry
BUFFER_SECONDS = 30  # a whole long caller reply fits; beyond it the oldest audio is dropped
PLAYED_SECONDS = 1  # the echo reference is read every device block; a second of slack is plenty
# PulseAudio asks for audio in bursts, so the reader's distance to the writer swings by
# several blocks; only a reader this far behind (a start-up) jumps forward.
RESYNC_BEHIND = SAMPLE_RATE // 2
STALL_SECONDS = 3.0  # no request for audio this long: the device is gone


@dataclass
class PlaybackStats:
    underruns: int = 0  # the buffer ran dry while more of a reply was still coming
    dropped_samples: int = 0  # overflow, oldest first
    played_samples: int = 0


class Speaker:
    """Plays PCM16 24 kHz mono through one PortAudio output stream."""

    live = 0  # open speakers in this process: tests count them, nothing else reads it

    def __init__(self, sd, device: int | str | None = None) -> None:
        self._ring = SampleRing(SAMPLE_RATE * BUFFER_SECONDS)
        self._played = SampleRing(SAMPLE_RATE * PLAYED_SECONDS)
        self._lock = threading.Lock()
        self._prebuffer = SAMPLE_RATE * PREBUFFER_MS // 1000
        self._primed = False
        self._written = 0
        self._owed = 0  # played samples the echo reference reader skipped past (see take_played)
        self._began = False  # the device asked for its first block: the played timeline exists
        self.expecting_more = False  # set by the session while a reply's audio is still arriving
        self.stats = PlaybackStats()
        self._stream = sd.OutputStream(
            samplerate=SAMPLE_RATE, channels=1, dtype="int16", device=device,
            blocksize=BLOCK, callback=self._callback, latency="low",
        )
        try:
            self._stream.start()
        except Exception:
            self._stream.close()
            raise
        Speaker.live += 1
        self._closed = False
        self._last_callback = time.monotonic()

    def _callback(self, outdata, frames, _time, _status) -> None:
        self._last_callback = time.monotonic()
        out = outdata[:, 0]
        with self._lock:
            self._began = True
            if not self._primed and self._ring.size < self._prebuffer:
                out.fill(0)
            else:
                self._primed = True
                got = self._ring.pop_into(out)
                self.stats.played_samples += got
                if got < frames:
                    out[got:] = 0
                    self._primed = False
                    if self.expecting_more:
                        self.stats.underruns += 1
            self._played.push(out)

    @property
    def active(self) -> bool:
        """False once PortAudio stopped the stream, or stopped asking for audio (a device that went away)."""
        if self._closed or not self._stream.active:
            return False
        return time.monotonic() - self._last_callback < STALL_SECONDS

    @property
    def device_latency(self) -> float:
        """Seconds of audio already handed to the device: what still plays after a flush."""
        return float(self._stream.latency)

    def write(self, pcm: bytes) -> int:
        """Queue audio; return its start on the write timeline (samples written before it)."""
        samples = np.frombuffer(pcm, dtype=np.int16)
        with self._lock:
            start = self._written
            self._written += len(samples)
            self.stats.dropped_samples += self._ring.push(samples)
        return start

    def position(self) -> int:
        """Samples of the write timeline already played (or dropped): what was heard so far."""
        with self._lock:
            return self._written - self._ring.size

    @property
    def playing(self) -> bool:
        with self._lock:
            return self._primed and self._ring.size > 0

    def take_played(self, out: np.ndarray) -> int:
        """Copy what was played into ``out`` (oldest first); return how many samples.

        The reader (the microphone callback) takes one block's worth at a time
        and must stay on the microphone's timeline, or the echo canceller loses
        track: a short read is owed (the samples it missed are skipped when they
        come), so later reads stay aligned. Only a reader half a second behind
        (PulseAudio starts the microphone ~2 s after the speaker) jumps forward.
        Nothing is owed before the speaker's first block, and a debt that takes
        a whole read and still finds nothing is forgiven: the missed samples are
        not coming (a late start or a stall), and a reader that kept waiting for
        them would skip every later block and read silence for the rest of the call.
        """
        with self._lock:
            owed = min(self._owed, self._played.size)
            self._played.discard(owed)
            self._owed -= owed
            if self._played.size > RESYNC_BEHIND:
                self._played.discard(self._played.size - 2 * len(out))
                self._owed = 0
            got = self._played.pop_into(out)
            if got == 0 and owed:
                self._owed = 0
            elif self._began:
                self._owed += len(out) - got
            return got

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
    """Typed-only sessions: caller audio is received, counted as heard, and discarded."""

    live = 0
    active = True
    playing = False
    device_latency = 0.0
    expecting_more = False

    def __init__(self) -> None:
        self.stats = PlaybackStats()
        self._written = 0
        NullSpeaker.live += 1
        self._closed = False

    def write(self, pcm: bytes) -> int:
        start = self._written
        self._written += len(pcm) // 2
        self.stats.dropped_samples += len(pcm) // 2  # nowhere to play it
        return start

    def position(self) -> int:
        return self._written

    def take_played(self, out: np.ndarray) -> int:
        return 0

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            NullSpeaker.live -= 1
