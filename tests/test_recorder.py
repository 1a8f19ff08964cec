"""The session WAV recorder: stereo alignment, gaps, append policy, crash repair."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import wave

import numpy as np
import pytest

from proto_trainer_tui.store.recorder import HEADER_BYTES, RATE, WavRecorder, repair_wav


def tone(seconds: float, value: int) -> bytes:
    return np.full(round(seconds * RATE), value, dtype="<i2").tobytes()


def read(path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, RATE)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)


def test_channels_are_aligned_in_time_with_silent_gaps(tmp_path):
    path = tmp_path / "s.wav"
    with WavRecorder(path) as recorder:
        recorder.caller(tone(0.5, 1000), at=0.0)
        recorder.learner(tone(0.25, -2000), at=1.0)
        recorder.caller(tone(0.5, 3000), at=2.0)
    frames = read(path)
    assert len(frames) == round(2.5 * RATE)
    left, right = frames[:, 0], frames[:, 1]
    assert (right[: RATE // 2] == 1000).all() and (right[RATE // 2: 2 * RATE] == 0).all()
    assert (right[2 * RATE:] == 3000).all()
    assert (left[:RATE] == 0).all() and (left[RATE: RATE + RATE // 4] == -2000).all()
    assert (left[RATE + RATE // 4:] == 0).all()


def test_overlapping_audio_on_one_channel_is_appended_not_mixed(tmp_path):
    # Caller replies arrive faster than real time; the speaker plays them back to back.
    path = tmp_path / "s.wav"
    with WavRecorder(path) as recorder:
        recorder.caller(tone(1.0, 100), at=0.0)
        recorder.caller(tone(1.0, 200), at=0.1)
    right = read(path)[:, 1]
    assert len(right) == 2 * RATE
    assert (right[:RATE] == 100).all() and (right[RATE:] == 200).all()


def test_out_of_order_chunks_within_the_window_land_in_place(tmp_path):
    path = tmp_path / "s.wav"
    with WavRecorder(path) as recorder:
        recorder.learner(tone(0.1, 7), at=1.0)
        recorder.caller(tone(0.1, 9), at=0.5)  # late by 0.5 s: still inside the reorder window
    frames = read(path)
    assert (frames[RATE // 2: RATE // 2 + RATE // 10, 1] == 9).all()
    assert (frames[RATE: RATE + RATE // 10, 0] == 7).all()


def test_cut_caller_drops_audio_that_was_never_played(tmp_path):
    path = tmp_path / "s.wav"
    with WavRecorder(path) as recorder:
        recorder.caller(tone(1.0, 500), at=0.0)
        recorder.cut_caller(0.4)
        recorder.learner(tone(0.2, 50), at=0.4)
    frames = read(path)
    assert (frames[: round(0.4 * RATE), 1] == 500).all()
    assert (frames[round(0.4 * RATE):, 1] == 0).all()


def test_memory_stays_bounded_and_audio_reaches_disk_as_it_flows(tmp_path):
    path = tmp_path / "long.wav"
    recorder = WavRecorder(path)
    chunk = tone(0.02, 1)
    for step in range(30 * 50):  # 30 s of 20 ms microphone frames
        recorder.learner(chunk, at=step * 0.02)
        recorder.caller(chunk, at=step * 0.02)
    assert len(recorder._pending) <= 4 * RATE  # the reorder window, not the call
    on_disk = os.path.getsize(path) - HEADER_BYTES
    assert on_disk >= 28 * RATE * 4
    with wave.open(str(path)) as wav:  # the header is kept current while recording
        assert wav.getnframes() == on_disk // 4
    recorder.close()
    recorder.close()  # idempotent
    assert len(read(path)) == 30 * RATE
    with pytest.raises(ValueError):
        recorder.learner(chunk, at=31)


def test_odd_byte_counts_are_tolerated(tmp_path):
    path = tmp_path / "s.wav"
    with WavRecorder(path) as recorder:
        recorder.learner(b"\x01\x00\x02", at=0)
    assert read(path)[:, 0].tolist() == [1]


def test_a_recording_cut_off_by_sigkill_is_repaired(tmp_path):
    path = tmp_path / "killed.wav"
    script = (
        "import os, signal, sys\n"
        "from proto_trainer_tui.store.recorder import WavRecorder\n"
        f"r = WavRecorder({str(path)!r})\n"
        "for step in range(250):\n"
        "    r.learner(b'\\x05\\x00' * 480, at=step * 0.02)\n"
        "    r.caller(b'\\x06\\x00' * 480, at=step * 0.02)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), timeout=60, check=False)
    assert result.returncode == -9
    with open(path, "ab") as file:
        file.write(b"\x07\x00\x08")  # and a frame half written
    repair_wav(path)
    frames = read(path)
    assert len(frames) >= 3 * RATE  # 5 s recorded, all but the reorder window on disk
    assert (frames[: 3 * RATE] == [5, 6]).all()
    assert repair_wav(path) is False  # nothing left to fix


def test_repair_fixes_stale_sizes(tmp_path):
    path = tmp_path / "s.wav"
    with WavRecorder(path) as recorder:
        recorder.learner(tone(1.0, 3), at=0)
    with open(path, "r+b") as file:
        file.seek(4)
        file.write(struct.pack("<I", 36))
        file.seek(40)
        file.write(struct.pack("<I", 0))
    assert repair_wav(path) is True
    assert len(read(path)) == RATE


def test_repair_refuses_what_is_not_a_wav(tmp_path):
    path = tmp_path / "junk.wav"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="not a WAV"):
        repair_wav(path)
