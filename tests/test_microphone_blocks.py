"""The microphone reads device blocks and hands out 20 ms frames (a fake PortAudio, no sound card)."""

from __future__ import annotations

import asyncio

import numpy as np

from proto_trainer_tui.audio.microphone import FRAME_SAMPLES, QUEUE_FRAMES, Microphone

from .fake_sounddevice import FakeSoundDevice


def capture(microphone: Microphone, first: int) -> np.ndarray:
    """One device block from the fake device, numbered from ``first``; returns it."""
    block = np.arange(first, first + microphone._stream.blocksize, dtype=np.int16)
    microphone._stream.capture(block)
    return block


async def test_a_block_is_read_as_20_ms_frames_each_with_its_echo_reference_and_capture_time():
    def reference(out: np.ndarray) -> int:
        out[:] = -np.arange(1, len(out) + 1)
        return len(out)

    microphone = Microphone(FakeSoundDevice(), asyncio.get_running_loop(), reference=reference)
    try:
        block = capture(microphone, 0)
        per_block = len(block) // FRAME_SAMPLES
        assert per_block * FRAME_SAMPLES == len(block)  # whole frames only
        frames = [await microphone.read() for _ in range(per_block)]
        assert all(len(frame.samples) == FRAME_SAMPLES for frame in frames)
        assert np.array_equal(np.concatenate([frame.samples for frame in frames]), block)
        assert np.array_equal(np.concatenate([frame.played for frame in frames]), -np.arange(1, len(block) + 1))
        # Earlier frames of a block were captured earlier: 20 ms apart, the last at the callback.
        gaps = np.diff([frame.captured for frame in frames])
        assert np.allclose(gaps, 0.02)
        assert microphone.stats.frames == per_block
        later = capture(microphone, 5000)
        assert np.array_equal(np.concatenate([f.samples for f in await microphone.read_block()]), later)
    finally:
        microphone.close()


async def test_a_loop_that_falls_behind_drops_the_oldest_blocks_and_counts_their_frames():
    microphone = Microphone(FakeSoundDevice(), asyncio.get_running_loop())
    try:
        per_block = microphone._stream.blocksize // FRAME_SAMPLES
        kept_blocks = QUEUE_FRAMES // per_block
        blocks = [capture(microphone, index * 1000) for index in range(kept_blocks + 3)]
        first = await microphone.read()  # every block reached the queue before this read woke
        assert microphone.stats.dropped_frames == 3 * per_block
        assert first.samples[0] == blocks[3][0]
    finally:
        microphone.close()
