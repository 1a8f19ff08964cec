"""The echo reference: what the speaker played, read block by block by the microphone (fake PortAudio)."""

from __future__ import annotations

import numpy as np

from proto_trainer_tui.audio.speaker import Speaker

from .fake_sounddevice import FakeSoundDevice


def speaker_playing_a_tone() -> Speaker:
    speaker = Speaker(FakeSoundDevice())
    tone = (np.sin(np.arange(24_000 * 5) / 7) * 8000).astype(np.int16)
    speaker.write(tone.tobytes())
    return speaker


def read(speaker: Speaker) -> np.ndarray:
    out = np.zeros(speaker._stream.blocksize, dtype=np.int16)
    speaker.take_played(out)
    return out


def test_a_microphone_that_starts_before_the_speaker_still_gets_the_reference():
    speaker = speaker_playing_a_tone()
    try:
        for _ in range(20):
            assert not read(speaker).any()  # nothing played yet
        heard = []
        for _ in range(10):
            played = speaker._stream.pull()
            heard.append(np.array_equal(read(speaker), played))
        assert all(heard[1:]), heard  # the first block may still be the prebuffer's silence
    finally:
        speaker.close()


def test_a_speaker_that_stalls_and_resumes_gives_the_reference_back():
    speaker = speaker_playing_a_tone()
    try:
        for _ in range(3):
            speaker._stream.pull()
            read(speaker)
        for _ in range(5):
            read(speaker)  # the device skipped these blocks: they never come
        matches = []
        for _ in range(10):
            played = speaker._stream.pull()
            matches.append(np.array_equal(read(speaker), played))
        assert all(matches[2:]), matches  # back on the speaker's timeline within two blocks
    finally:
        speaker.close()


def test_a_late_block_is_skipped_so_the_reference_stays_on_the_microphones_timeline():
    speaker = speaker_playing_a_tone()
    try:
        for _ in range(3):
            speaker._stream.pull()
            read(speaker)
        read(speaker)  # the speaker's block is late: this read comes up short
        speaker._stream.pull()  # the late block
        played = speaker._stream.pull()  # and the one on time
        assert np.array_equal(read(speaker), played)
    finally:
        speaker.close()
