"""The counselor's voice from one ``sounddevice.InputStream``.

Capture is mono PCM16 in device blocks of ``DEVICE_BLOCK_MS``, read on the loop
as 20 ms frames. The PortAudio callback only copies the block and hands it to
the event loop (``call_soon_threadsafe``) into a bounded queue that drops the
oldest block when the loop falls behind. A device that cannot capture at 24 kHz
is opened at its native rate and resampled with soxr.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .pcm import DEVICE_BLOCK_MS, FRAME_MS, SAMPLE_RATE

QUEUE_FRAMES = 25  # half a second of audio; more than that behind is stale for a live call
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_SECONDS = FRAME_MS / 1000
STALL_SECONDS = 3.0  # no frame for this long: the device is gone (PulseAudio monitors take ~2 s to start)


class MicrophoneStopped(RuntimeError):
    """The input device stopped delivering audio; the message says what to do."""


@dataclass
class CaptureStats:
    frames: int = 0
    dropped_frames: int = 0  # the loop fell behind: oldest frames discarded (a block at a time)
    overflows: int = 0  # PortAudio reported input overflow


@dataclass(frozen=True)
class MicFrame:
    samples: np.ndarray  # int16, 24 kHz, 20 ms
    captured: float  # time.perf_counter() when its last sample was captured (the callback, for the last frame of a block)
    played: np.ndarray | None = None  # what the speaker played meanwhile (24 kHz): the echo reference


@dataclass(frozen=True)
class CapturedBlock:
    samples: np.ndarray  # int16 at the capture rate, one device block
    captured: float  # time.perf_counter() in the callback
    played: np.ndarray | None  # what the speaker played meanwhile (24 kHz, one block)


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
        self._reference_samples = SAMPLE_RATE * DEVICE_BLOCK_MS // 1000
        self._loop = loop
        self._blocks: deque[CapturedBlock] = deque()
        self._queued_frames = 0
        self._frames: deque[MicFrame] = deque()  # the oldest block, cut into frames
        self._ready = asyncio.Event()
        self.stats = CaptureStats()
        self._resampler = None
        # Resampled blocks vary in length by a sample or two: the rest waits for the next block.
        self._carry = np.zeros(0, dtype=np.int16)
        self._played_carry = np.zeros(0, dtype=np.int16)
        if self.rate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(self.rate, SAMPLE_RATE, 1, dtype="int16")
        self._stream = sd.InputStream(
            samplerate=self.rate, channels=1, dtype="int16", device=device,
            blocksize=self.rate * DEVICE_BLOCK_MS // 1000, callback=self._callback, latency="low",
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
        block = CapturedBlock(indata[:, 0].copy(), time.perf_counter(), played)
        try:
            self._loop.call_soon_threadsafe(self._put, block)
        except RuntimeError:
            pass  # the loop closed under a stream being torn down

    def _frames_in(self, block: CapturedBlock) -> int:
        return len(block.samples) * SAMPLE_RATE // self.rate // FRAME_SAMPLES

    def _put(self, block: CapturedBlock) -> None:
        while self._blocks and self._queued_frames + self._frames_in(block) > QUEUE_FRAMES:
            dropped = self._frames_in(self._blocks.popleft())
            self._queued_frames -= dropped
            self.stats.dropped_frames += dropped
        self._blocks.append(block)
        self._queued_frames += self._frames_in(block)
        self._ready.set()

    async def read(self) -> MicFrame:
        """The next 20 ms frame at 24 kHz; raises MicrophoneStopped if the device goes quiet."""
        await self._fill()
        self.stats.frames += 1
        return self._frames.popleft()

    async def read_block(self) -> list[MicFrame]:
        """The 20 ms frames not read yet, or those of the next device block (at least one)."""
        await self._fill()
        frames = list(self._frames)
        self._frames.clear()
        self.stats.frames += len(frames)
        return frames

    async def _fill(self) -> None:
        while not self._frames:
            self._frames.extend(self._cut(await self._next_block()))

    def _cut(self, block: CapturedBlock) -> list[MicFrame]:
        """A block as 20 ms frames: views into it, each timed at its own last sample."""
        samples, played = block.samples, block.played
        if self._resampler is not None:
            samples = self._carry = np.concatenate([self._carry, self._resampler.resample_chunk(samples)])
            if played is not None:
                played = self._played_carry = np.concatenate([self._played_carry, played])
        count = len(samples) // FRAME_SAMPLES
        if played is not None:
            count = min(count, len(played) // FRAME_SAMPLES)
        if self._resampler is not None:
            used = count * FRAME_SAMPLES
            self._carry = self._carry[used:].copy()
            if played is not None:
                self._played_carry = self._played_carry[used:].copy()
        return [
            MicFrame(
                samples[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES],
                block.captured - (count - 1 - i) * FRAME_SECONDS,
                None if played is None else played[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES],
            )
            for i in range(count)
        ]

    async def _next_block(self) -> CapturedBlock:
        while not self._blocks:
            self._ready.clear()
            try:
                async with asyncio.timeout(STALL_SECONDS):  # cheaper per block than wait_for's task
                    await self._ready.wait()
            except TimeoutError:
                raise MicrophoneStopped(
                    "the microphone stopped sending audio (was it unplugged?); "
                    "pick another with --input-device or the settings screen"
                ) from None
        block = self._blocks.popleft()
        self._queued_frames -= self._frames_in(block)
        return block

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        Microphone.live -= 1
        self._stream.abort()
        self._stream.close()
