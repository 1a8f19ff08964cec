"""The counselor's voice from one ``sounddevice.InputStream``.

Capture is mono PCM16 in 20 ms frames. The PortAudio callback only copies the
block and hands it to the event loop (``call_soon_threadsafe``) into a bounded
queue that drops the oldest frame when the loop falls behind. A device that
cannot capture at 24 kHz is opened at its native rate and resampled with soxr.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .pcm import FRAME_MS, SAMPLE_RATE

QUEUE_FRAMES = 25  # half a second of audio; more than that behind is stale for a live call
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
STALL_SECONDS = 3.0  # no frame for this long: the device is gone (PulseAudio monitors take ~2 s to start)


class MicrophoneStopped(RuntimeError):
    """The input device stopped delivering audio; the message says what to do."""


@dataclass
class CaptureStats:
    frames: int = 0
    dropped_frames: int = 0  # the loop fell behind: oldest frames discarded
    overflows: int = 0  # PortAudio reported input overflow


@dataclass(frozen=True)
class MicFrame:
    samples: np.ndarray  # int16, 24 kHz, 20 ms
    captured: float  # time.perf_counter() in the callback
    played: np.ndarray | None = None  # what the speaker played meanwhile (24 kHz): the echo reference


class Microphone:
    """One input stream, read with ``await microphone.read()``."""

    live = 0  # open microphones in this process (leak tests)

    def __init__(
        self,
        sd,
        loop: asyncio.AbstractEventLoop,
        device: int | str | None = None,
        reference: Callable[[np.ndarray], int] | None = None,
    ) -> None:
        self.rate = self._capture_rate(sd, device)
        # Read in the callback, not on the loop: a busy loop must not shift the echo reference.
        self._reference = reference
        self._reference_samples = SAMPLE_RATE * FRAME_MS // 1000
        self._loop = loop
        self._frames: deque[MicFrame] = deque()
        self._ready = asyncio.Event()
        self.stats = CaptureStats()
        self._resampler = None
        self._carry = np.zeros(0, dtype=np.int16)
        if self.rate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(self.rate, SAMPLE_RATE, 1, dtype="int16")
        self._stream = sd.InputStream(
            samplerate=self.rate, channels=1, dtype="int16", device=device,
            blocksize=self.rate * FRAME_MS // 1000, callback=self._callback, latency="low",
        )
        try:
            self._stream.start()
        except Exception:
            self._stream.close()
            raise
        Microphone.live += 1
        self._closed = False

    @staticmethod
    def _capture_rate(sd, device: int | str | None) -> int:
        try:
            sd.check_input_settings(device=device, samplerate=SAMPLE_RATE, channels=1, dtype="int16")
            return SAMPLE_RATE
        except Exception:
            return int(sd.query_devices(device, kind="input")["default_samplerate"])

    def _callback(self, indata, _frames, _time, status) -> None:
        if status.input_overflow:
            self.stats.overflows += 1
        played = None
        if self._reference is not None:
            played = np.zeros(self._reference_samples, dtype=np.int16)
            self._reference(played)
        frame = MicFrame(indata[:, 0].copy(), time.perf_counter(), played)
        try:
            self._loop.call_soon_threadsafe(self._put, frame)
        except RuntimeError:
            pass  # the loop closed under a stream being torn down

    def _put(self, frame: MicFrame) -> None:
        if len(self._frames) >= QUEUE_FRAMES:
            self._frames.popleft()
            self.stats.dropped_frames += 1
        self._frames.append(frame)
        self._ready.set()

    async def read(self) -> MicFrame:
        """The next 20 ms frame at 24 kHz; raises MicrophoneStopped if the device goes quiet."""
        while True:
            frame = await self._next_captured()
            if self._resampler is None:
                return frame
            # Resampled blocks vary in length by a sample or two: re-cut them into 20 ms frames.
            self._carry = np.concatenate([self._carry, self._resampler.resample_chunk(frame.samples)])
            if len(self._carry) >= FRAME_SAMPLES:
                samples, self._carry = self._carry[:FRAME_SAMPLES], self._carry[FRAME_SAMPLES:]
                return MicFrame(samples, frame.captured, frame.played)

    async def _next_captured(self) -> MicFrame:
        while not self._frames:
            self._ready.clear()
            try:
                async with asyncio.timeout(STALL_SECONDS):  # cheaper per frame than wait_for's task
                    await self._ready.wait()
            except TimeoutError:
                raise MicrophoneStopped(
                    "the microphone stopped sending audio (was it unplugged?); "
                    "pick another with --input-device or the settings screen"
                ) from None
        self.stats.frames += 1
        return self._frames.popleft()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        Microphone.live -= 1
        self._stream.abort()
        self._stream.close()
