"""One stereo WAV per session: learner (microphone) left, caller right, 16-bit 24 kHz.

Audio is written as it flows. Each channel keeps a cursor; a chunk lands at its
``at`` time, or, if the channel already has audio there, right after that audio
(it is *appended*, never mixed). That matches how the caller is heard: reply
audio arrives faster than real time and the speaker plays it back to back.
Chunks stay in memory for a short reorder window (so the two channels can be
lined up) and are then written out; gaps are silence. The header's sizes are
updated after every write-out, and :func:`repair_wav` fixes a file cut off by
a crash, so a recording is readable in either case.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

RATE = 24_000
CHANNELS = 2
SAMPLE_BYTES = 2
FRAME_BYTES = CHANNELS * SAMPLE_BYTES
HEADER_BYTES = 44
LEARNER, CALLER = 0, 1

REORDER_SECONDS = 1.5  # audio older than the newest timestamp minus this is written out
MIN_WRITE_SECONDS = 0.25  # batch small chunks into fewer writes
MAX_PENDING_SECONDS = 120.0  # hard memory bound: write out even audio scheduled ahead


def wav_header(data_bytes: int) -> bytes:
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, 1, CHANNELS, RATE,
        RATE * FRAME_BYTES, FRAME_BYTES, SAMPLE_BYTES * 8, b"data", data_bytes,
    )


class WavRecorder:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "wb")  # noqa: SIM115 (owned until close())
        self._file.write(wav_header(0))
        self._file.flush()
        self._written = 0  # frames on disk
        self._pending = np.zeros((0, CHANNELS), dtype=np.int16)  # frames from _written on
        self._ends = [0, 0]  # per channel: the frame after its last sample
        self._now = 0  # newest requested frame: how far time has moved on
        self.closed = False

    def learner(self, pcm: bytes, at: float) -> None:
        """Mono PCM16 24 kHz from the microphone, starting ``at`` seconds after the start."""
        self._add(LEARNER, pcm, at)

    def caller(self, pcm: bytes, at: float) -> None:
        """Mono PCM16 24 kHz of the caller's voice, starting ``at`` seconds after the start."""
        self._add(CALLER, pcm, at)

    def cut_caller(self, at: float) -> None:
        """Barge-in: drop caller audio scheduled after ``at`` that was never played.
        Only audio still in the reorder window can be dropped."""
        frame = max(self._written, _frame(at))
        if frame < self._ends[CALLER]:
            start = frame - self._written
            self._pending[start:, CALLER] = 0
            self._ends[CALLER] = frame

    def _add(self, channel: int, pcm: bytes, at: float) -> None:
        if self.closed:
            raise ValueError("recorder is closed")
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % SAMPLE_BYTES], dtype="<i2")
        requested = _frame(at)
        self._now = max(self._now, requested)
        # Append after audio already placed on this channel; never before what is on disk.
        start = max(requested, self._ends[channel], self._written)
        end = start + len(samples)
        self._grow(end)
        self._pending[start - self._written:end - self._written, channel] = samples
        self._ends[channel] = max(self._ends[channel], end)
        self._write_out(self._now - int(REORDER_SECONDS * RATE))

    def _grow(self, end: int) -> None:
        needed = end - self._written
        if needed > len(self._pending):
            grown = np.zeros((max(needed, 2 * len(self._pending)), CHANNELS), dtype=np.int16)
            grown[: len(self._pending)] = self._pending
            self._pending = grown
        if needed > MAX_PENDING_SECONDS * RATE:
            self._write_out(end - int(MAX_PENDING_SECONDS * RATE), force=True)

    def _write_out(self, upto: int, force: bool = False) -> None:
        count = upto - self._written
        if count <= 0 or (count < MIN_WRITE_SECONDS * RATE and not force):
            return
        self._grow(upto)
        self._file.write(self._pending[:count].astype("<i2", copy=False).tobytes())
        self._pending = self._pending[count:].copy()
        self._written = upto
        self._fix_header()

    def _fix_header(self) -> None:
        self._file.seek(0)
        self._file.write(wav_header(self._written * FRAME_BYTES))
        self._file.seek(0, os.SEEK_END)
        self._file.flush()  # so a crash of the app keeps what was recorded

    @property
    def duration(self) -> float:
        """Seconds recorded so far, including the part still in memory."""
        return max(self._written, *self._ends) / RATE

    def close(self) -> None:
        """Write out everything, fix the header; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            self._write_out(max(self._ends), force=True)
            self._fix_header()
        finally:
            self._file.close()

    def __enter__(self) -> WavRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _frame(at: float) -> int:
    return max(0, round(at * RATE))


def repair_wav(path: Path) -> bool:
    """Make the RIFF and data sizes match what is on disk (after a crash).

    Returns True if the file was changed. Raises ValueError for a file that is not
    a PCM WAV with a data chunk.
    """
    path = Path(path)
    with open(path, "r+b") as file:
        head = file.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path} is not a WAV file")
        size = os.fstat(file.fileno()).st_size
        block_align, position = None, 12
        while position + 8 <= size:
            file.seek(position)
            chunk_id, chunk_size = struct.unpack("<4sI", file.read(8))
            if chunk_id == b"fmt ":
                block_align = struct.unpack("<H", file.read(14)[12:14])[0]
            if chunk_id == b"data":
                break
            position += 8 + chunk_size + chunk_size % 2
        else:
            raise ValueError(f"{path} has no data chunk")
        if not block_align:
            raise ValueError(f"{path} has no format chunk before its data")
        data_start = position + 8
        data_bytes = (size - data_start) // block_align * block_align
        changed = False
        if data_start + data_bytes != size:  # a frame cut in half by the crash
            file.truncate(data_start + data_bytes)
            changed = True
        if chunk_size != data_bytes:
            file.seek(position + 4)
            file.write(struct.pack("<I", data_bytes))
            changed = True
        riff = data_start + data_bytes - 8
        if struct.unpack("<I", head[4:8])[0] != riff:
            file.seek(4)
            file.write(struct.pack("<I", riff))
            changed = True
        return changed
