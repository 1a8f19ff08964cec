"""The pure parts of a voice call: truncate arithmetic, latency, capture times, echo handling."""

from __future__ import annotations

import numpy as np
import pytest

from proto_trainer_tui.audio.echo import EchoCanceller, EchoGate
from proto_trainer_tui.audio.pcm import samples_dbfs
from proto_trainer_tui.audio.ring import SampleRing
from proto_trainer_tui.realtime.turn_taking import CallerAudio, LatencyTracker, SentAudio, heard_ms
from .speech_samples import speech_pcm

RATE = 24_000


def test_heard_ms_clamps_to_the_item():
    assert heard_ms(position=12_000, start=0, length=48_000) == 500
    assert heard_ms(position=100, start=4_800, length=48_000) == 0  # not reached yet
    assert heard_ms(position=10**9, start=0, length=24_000) == 1000  # never more than the item


def test_caller_audio_names_the_item_still_playing_and_how_much_was_heard():
    audio = CallerAudio()
    assert audio.cut_at(0) is None
    audio.wrote("item_a", start=0, samples=24_000)
    audio.wrote("item_a", start=24_000, samples=24_000)  # a second delta of the same item
    assert audio.cut_at(36_000) == ("item_a", 1500)
    assert audio.cut_at(48_000) is None  # played to the end: nothing to truncate
    audio.wrote("item_b", start=48_000, samples=12_000)
    assert audio.cut_at(54_000) == ("item_b", 250)


def test_sent_audio_maps_buffer_offsets_to_capture_times():
    sent = SentAudio()
    for frame in range(10):
        sent.sent(480, captured=100.0 + frame * 0.02)
    assert sent.captured_at(0) == pytest.approx(100.0)
    assert sent.captured_at(110) == pytest.approx(100.11)
    assert SentAudio().captured_at(50) is None


def test_latency_counts_only_the_first_audio_of_each_reply():
    latency = LatencyTracker()
    assert latency.caller_audio(5.0) is None  # audio with no counselor turn before it
    latency.counselor_done(10.0)
    assert latency.caller_audio(10.4) == pytest.approx(400)
    assert latency.caller_audio(10.5) is None
    latency.counselor_done(20.0)
    latency.caller_audio(20.2)
    latency.counselor_done(30.0)
    latency.caller_audio(30.9)
    assert latency.last_ms == pytest.approx(900)
    assert latency.median_ms == pytest.approx(400)
    assert latency.summary() == "reply in 900 ms · median 400 ms"


def test_sample_ring_drops_oldest_and_counts_it():
    ring = SampleRing(4)
    assert ring.push(np.array([1, 2, 3], dtype=np.int16)) == 0
    assert ring.push(np.array([4, 5, 6], dtype=np.int16)) == 2
    out = np.zeros(4, dtype=np.int16)
    assert ring.pop_into(out) == 4 and out.tolist() == [3, 4, 5, 6]
    assert ring.push(np.arange(10, dtype=np.int16)) == 6  # more than fits: only the newest stay
    assert ring.pop_into(out) == 4 and out.tolist() == [6, 7, 8, 9]


def frames_of(samples: np.ndarray, size: int = 480):
    for start in range(0, len(samples) - size + 1, size):
        yield samples[start : start + size]


def speech(text: str, voice: str = "en-us") -> np.ndarray:
    return np.frombuffer(speech_pcm(text, voice), dtype=np.int16)


def test_gate_keeps_the_callers_echo_out_and_lets_a_louder_counselor_in():
    caller = speech("I just feel like nobody would notice if I was gone. It has been like this for weeks.")
    gate = EchoGate()
    loud_echo = admitted_loud_echo = longest_run = run = 0
    for played in frames_of(caller):
        echo = (played * 0.1).astype(np.int16)  # the room: the caller comes back 20 dB quieter
        admitted = gate.admit(samples_dbfs(echo), samples_dbfs(played))
        if samples_dbfs(echo) > -50:  # loud enough to sound like speech to a VAD
            loud_echo += 1
            admitted_loud_echo += admitted
        run = run + 1 if admitted and samples_dbfs(echo) > -50 else 0
        longest_run = max(longest_run, run)
    assert loud_echo > 100
    # A VAD needs sustained speech (hundreds of ms) to start a turn: a stray 20 ms frame at a
    # syllable edge cannot barge in, a run of them could.
    assert admitted_loud_echo <= 0.02 * loud_echo, f"{admitted_loud_echo} of {loud_echo} loud echo frames passed"
    assert longest_run <= 1, f"{longest_run} loud echo frames in a row passed"
    # The counselor talks over the caller, well above the echo: heard.
    counselor = speech("Are you thinking about killing yourself?", voice="en-us+f3")
    admitted = [
        gate.admit(samples_dbfs(((p * 0.1) + c * 1.0).clip(-32768, 32767).astype(np.int16)), samples_dbfs(p))
        for p, c in zip(frames_of(caller), frames_of(counselor))
        if samples_dbfs(c) > -30
    ]
    assert sum(admitted) >= 0.8 * len(admitted)


def test_gate_passes_everything_while_the_caller_is_silent():
    gate = EchoGate()
    quiet = np.zeros(480, dtype=np.int16)
    assert all(gate.admit(-40.0, samples_dbfs(quiet)) for _ in range(20))


def test_echo_canceller_removes_the_echo_and_keeps_the_counselor():
    caller = speech("Hello. I don't really know why I'm calling. Everything just feels too much right now.")
    counselor = speech("Are you thinking about suicide?", voice="en-us+f3")
    delay = int(0.03 * RATE)
    played = np.concatenate([caller, np.zeros(RATE * 2, dtype=np.int16)])
    mic = np.zeros(len(played), dtype=np.float64)
    mic[delay:] += 0.5 * played[:-delay]
    talk_at = len(caller) - RATE
    mic[talk_at : talk_at + len(counselor)] += counselor[: len(mic) - talk_at]
    mic = mic.clip(-32768, 32767).astype(np.int16)
    canceller = EchoCanceller()
    cleaned = np.concatenate([canceller.process(m, p) for m, p in zip(frames_of(mic), frames_of(played))])
    echo_only = slice(RATE, talk_at)  # after a second of convergence, before the counselor speaks
    counselor_only = slice(len(caller) + delay + RATE // 10, talk_at + len(counselor))
    assert samples_dbfs(cleaned[echo_only]) < samples_dbfs(mic[echo_only]) - 25
    assert samples_dbfs(cleaned[counselor_only]) > samples_dbfs(mic[counselor_only]) - 3


def test_echo_canceller_rests_through_silence_and_still_removes_the_echo_after_it():
    caller = speech("Hello. I don't really know why I'm calling. Everything just feels too much right now.")
    delay = int(0.03 * RATE)
    pause = np.zeros(RATE * 3, dtype=np.int16)
    played = np.concatenate([caller, pause, caller, np.zeros(RATE // 2, dtype=np.int16)])
    room_noise = (np.random.default_rng(7).standard_normal(len(played)) * 30).astype(np.int16)
    mic = room_noise.astype(np.float64)
    mic[delay:] += 0.5 * played[:-delay]
    mic = mic.clip(-32768, 32767).astype(np.int16)
    canceller = EchoCanceller()
    mic_frames = list(frames_of(mic))
    cleaned = [canceller.process(m, p) for m, p in zip(mic_frames, frames_of(played))]
    assert canceller.skipped_samples >= 2 * RATE  # most of the pause: nothing played, nothing to cancel
    rested = [(m, c) for m, c in zip(mic_frames, cleaned) if c is m]
    assert rested and all(np.array_equal(m, c) for m, c in rested)  # the microphone passes unchanged
    cleaned = np.concatenate(cleaned)
    second = slice(len(caller) + len(pause) + RATE // 5, 2 * len(caller) + len(pause))  # the caller again
    assert samples_dbfs(cleaned[second]) < samples_dbfs(mic[second]) - 25
