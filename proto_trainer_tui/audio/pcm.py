"""Pure helpers for mono 16-bit little-endian PCM audio (no I/O).

The app's wire format is 24 kHz mono PCM16, base64-encoded for JSON transport.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterator

import numpy as np
import soxr

SAMPLE_RATE = 24_000
SAMPLE_WIDTH = 2  # bytes per sample (int16)
FRAME_MS = 20  # what the session sends: one input_audio_buffer.append per frame
# What PortAudio exchanges per callback (microphone and speaker alike). Each block wakes a
# PortAudio thread, the PulseAudio client and the event loop; those wake-ups alone cost
# 2.5-3 % of a core at 20 ms blocks, ~1 % at 80 ms (benchmarks/voice_streaming.py). A block
# is cut into 20 ms frames on the loop. Larger blocks cost latency: a word reaches the
# server, and a flushed reply goes quiet, up to a block later.
DEVICE_BLOCK_MS = 80

# Level reported for silence/empty input, so callers never see -inf.
SILENCE_FLOOR_DBFS = -120.0
_FULL_SCALE = 32768.0


def _require_whole_samples(pcm: bytes) -> None:
    if len(pcm) % SAMPLE_WIDTH:
        raise ValueError(
            f"PCM16 data must have an even number of bytes, got {len(pcm)}"
        )


def encode_b64(pcm: bytes) -> str:
    """Encode raw PCM bytes as standard base64 text."""
    return base64.b64encode(pcm).decode("ascii")


def decode_b64(data: str) -> bytes:
    """Decode base64 text into PCM16 bytes.

    Raises ValueError if the text is not valid base64 or if the decoded
    payload is not a whole number of 16-bit samples.
    """
    try:
        pcm = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64 audio data: {exc}") from exc
    _require_whole_samples(pcm)
    return pcm


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample int16 samples from one rate to another (one-shot, soxr HQ).

    For chunked/streaming audio use soxr.ResampleStream instead: resampling
    chunks independently produces discontinuities at chunk boundaries.
    """
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} -> {to_rate}")
    samples = np.asarray(samples, dtype=np.int16)
    if from_rate == to_rate or samples.size == 0:
        return samples.copy()
    return soxr.resample(samples, from_rate, to_rate).astype(np.int16, copy=False)


def dbfs(pcm: bytes) -> float:
    """RMS level of PCM16 bytes in dBFS (full-scale sine ~ -3 dBFS).

    Returns SILENCE_FLOOR_DBFS for empty or all-zero input.
    """
    _require_whole_samples(pcm)
    return samples_dbfs(np.frombuffer(pcm, dtype="<i2"))


def samples_dbfs(samples: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS; SILENCE_FLOOR_DBFS for none or silence."""
    if samples.size == 0:
        return SILENCE_FLOOR_DBFS
    as_float = samples.astype(np.float32)
    rms = math.sqrt(float(np.dot(as_float, as_float)) / samples.size)
    if rms == 0.0:
        return SILENCE_FLOOR_DBFS
    return max(SILENCE_FLOOR_DBFS, 20.0 * math.log10(rms / _FULL_SCALE))


def duration_ms(num_bytes: int, rate: int = SAMPLE_RATE) -> int:
    """Duration in whole milliseconds (rounded down) of mono PCM16 data."""
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate}")
    return (num_bytes // SAMPLE_WIDTH) * 1000 // rate


def frames(
    pcm: bytes, frame_ms: int = FRAME_MS, rate: int = SAMPLE_RATE
) -> Iterator[bytes]:
    """Split PCM16 bytes into consecutive frames of `frame_ms` each.

    The final frame is yielded as is, possibly shorter than the others (it is
    NOT zero-padded), so concatenating the frames gives back the input exactly.
    """
    frame_bytes = rate * frame_ms // 1000 * SAMPLE_WIDTH
    if frame_bytes <= 0:
        raise ValueError(f"frame of {frame_ms} ms at {rate} Hz holds no samples")
    view = memoryview(pcm)
    for start in range(0, len(pcm), frame_bytes):
        yield bytes(view[start : start + frame_bytes])
