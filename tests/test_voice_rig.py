"""A real voice call through PortAudio on the PulseAudio rig (tests/audio_rig.py).

The microphone is the monitor of the rig's "micsink": speech played into it
with :meth:`PulseRig.say` is what the app hears, in real time. The embedded
simulated caller (in process, on loopback) runs its real VAD and recognition.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.audio.devices import Microphone, Speaker
from .speech_samples import speech_pcm

from .conftest import TOKEN, live_threads, open_sockets, wait_until

SILENCE = bytes(24_000 * 2)  # a second


@pytest.fixture(scope="module")
def utterance():
    speak = speech_pcm
    return {
        "suicide": speak("Are you thinking about killing yourself?", voice="en-us+f3") + SILENCE,
        "hello": speak("Hello, this is the crisis line. What is going on for you tonight?", voice="en-us+f3") + SILENCE,
    }


def voice_app(sim_server, **options) -> TrainerApp:
    return TrainerApp(server_url=sim_server.url, api_key=TOKEN, scenario_id="plan-and-means", audio=True, **options)


class SentEvents:
    """Records the event types the client sends (the connection stays real)."""

    def __init__(self, session) -> None:
        self.types: list[str] = []
        self.events: list[dict] = []
        send = session.connection.send

        async def recording_send(event: dict) -> None:
            self.types.append(event["type"])
            self.events.append(event)
            await send(event)

        session.connection.send = recording_send


async def connect(app: TrainerApp) -> None:
    app.action_connect()
    await wait_until(lambda: app.connection_status == "connected", timeout=20)
    await wait_until(lambda: app.session._sent.samples_sent > 0, timeout=10, message="microphone frames sent")


def spoken_counselor_turns(app):
    return [t for t in app.session.conversation.turns if t.role == "counselor" and not t.typed]


async def test_a_spoken_turn_reaches_the_server_and_the_caller_answers(pulse_rig, sim_server, utterance):
    app = voice_app(sim_server)
    async with app.run_test():
        await connect(app)
        assert isinstance(app.session.microphone, Microphone) and isinstance(app.session.speaker, Speaker)
        pulse_rig.say(utterance["suicide"])
        await wait_until(lambda: any(t.finished and t.text for t in spoken_counselor_turns(app)), timeout=20,
                         message="the counselor's spoken turn recognised")
        spoken = spoken_counselor_turns(app)[0]
        assert "kill" in spoken.text or "suicid" in spoken.text, spoken.text
        turns = app.session.conversation.turns
        await wait_until(lambda: turns[-1].role == "caller" and turns[-1].finished, timeout=20)
        # plan-and-means: asked directly, the caller discloses the thoughts.
        assert "better off without me" in turns[-1].text or "thought" in turns[-1].text.lower(), turns[-1].text
        assert app.session.latency.last_ms is not None and app.session.latency.last_ms < 5000
        await app.action_disconnect()


async def test_speaking_over_the_caller_stops_it_and_truncates_what_was_not_heard(pulse_rig, sim_server, utterance):
    app = voice_app(sim_server)
    async with app.run_test():
        await connect(app)
        sent = SentEvents(app.session)
        await app.send_text("Tell me what has been happening, take your time.")
        speaker = app.session.speaker
        await wait_until(lambda: speaker.playing, timeout=15, message="the caller speaking")
        await asyncio.sleep(0.5)
        pulse_rig.say(utterance["hello"])
        await wait_until(lambda: "conversation.item.truncate" in sent.types, timeout=15, message="truncate sent")
        assert not speaker.playing
        truncate = next(e for e in sent.events if e["type"] == "conversation.item.truncate")
        caller = app.session.conversation.turn_for(truncate["item_id"])
        assert caller is not None and caller.role == "caller"
        assert 300 <= truncate["audio_end_ms"] < 30_000
        await wait_until(lambda: caller.status == "interrupted", timeout=10)
        await app.action_disconnect()


async def caller_talks_into_the_microphone(app, pulse_rig) -> list:
    """The speaker's sound routed into the microphone while the caller gives a long answer."""
    await connect(app)
    await app.send_text("Could you tell me about the last few weeks, and about your children?")
    turns = app.session.conversation.turns
    await wait_until(lambda: app.session.speaker.playing, timeout=15)
    await wait_until(lambda: not app.session.speaker.playing and turns[-1].finished, timeout=40,
                     message="the caller's whole reply played")
    await asyncio.sleep(1.0)  # the echo tail and the server's silence duration
    return turns


async def test_the_callers_own_voice_in_the_microphone_does_not_barge_in(pulse_rig, sim_server):
    pulse_rig.hear_speaker(True)
    try:
        app = voice_app(sim_server)
        async with app.run_test():
            turns = await caller_talks_into_the_microphone(app, pulse_rig)
            assert app.session.mic_dbfs is not None
            # Not vacuous: the microphone streamed all along (gated echo goes out as silence).
            assert app.session._sent.samples_sent > 24_000 * 3
            assert [t.role for t in turns] == ["counselor", "caller"], [(t.role, t.text) for t in turns]
            assert turns[-1].status == "done"
            await app.action_disconnect()
        # The control: with --headphones (no canceller, no gate) the same echo does barge in,
        # so the rig's echo path is real and the test above could fail.
        app = voice_app(sim_server, headphones=True)
        async with app.run_test():
            turns = await caller_talks_into_the_microphone(app, pulse_rig)
            assert turns[1].status == "interrupted" or len(turns) > 2
            await app.action_disconnect()
    finally:
        pulse_rig.hear_speaker(False)


async def test_push_to_talk_commits_on_the_second_space(pulse_rig, sim_server, utterance):
    app = voice_app(sim_server, turn_mode="ptt")
    async with app.run_test() as pilot:
        app.action_connect()
        await wait_until(lambda: app.connection_status == "connected", timeout=20)
        sent = SentEvents(app.session)
        await asyncio.sleep(2.5)  # the rig's monitor source starts after ~2 s
        assert app.session._sent.samples_sent == 0  # push-to-talk sends nothing until space
        await pilot.press("space")
        pulse_rig.say(utterance["suicide"])
        await asyncio.sleep(3.5)
        await pilot.press("space")
        assert sent.types[-2:] == ["input_audio_buffer.commit", "response.create"]
        await wait_until(lambda: any(t.finished and t.text for t in spoken_counselor_turns(app)), timeout=20)
        assert "kill" in spoken_counselor_turns(app)[0].text
        turns = app.session.conversation.turns
        await wait_until(lambda: turns[-1].role == "caller" and turns[-1].finished, timeout=20)
        await app.action_disconnect()


async def test_muted_sends_nothing(pulse_rig, sim_server, utterance):
    app = voice_app(sim_server)
    async with app.run_test() as pilot:
        await connect(app)
        await pilot.press("m")
        assert app.session.muted
        before = app.session._sent.samples_sent
        pulse_rig.say(utterance["suicide"])
        await asyncio.sleep(3)
        assert app.session._sent.samples_sent == before
        assert spoken_counselor_turns(app) == []
        await pilot.press("m")
        await wait_until(lambda: app.session._sent.samples_sent > before, timeout=5)
        await app.action_disconnect()


async def test_a_microphone_that_stops_leaves_typed_practice(pulse_rig, sim_server):
    app = voice_app(sim_server)
    async with app.run_test():
        await connect(app)
        pulse_rig.pactl("suspend-sink", "micsink", "1")
        try:
            await wait_until(lambda: app.session.microphone is None, timeout=10, message="microphone given up")
            assert "microphone off" in app.last_error and "--input-device" in app.last_error
            assert Microphone.live == 0
            await app.send_text("Are you still there?")
            turns = app.session.conversation.turns
            await wait_until(lambda: turns[-1].role == "caller" and turns[-1].finished, timeout=20)
            assert app.connection_status == "connected"
        finally:
            pulse_rig.pactl("suspend-sink", "micsink", "0")
        await app.action_disconnect()


async def test_200_calls_leave_no_stream_thread_or_descriptor(pulse_rig, sim_server):
    app = voice_app(sim_server)
    async with app.run_test():
        async def one_call() -> None:
            app.action_connect()
            await wait_until(lambda: app.connection_status == "connected", timeout=20)
            assert isinstance(app.session.microphone, Microphone) and isinstance(app.session.speaker, Speaker)
            await app.action_disconnect()
            assert app.connection_status == "disconnected"

        await one_call()  # warm-up: pools and caches that live for the process
        threads, fds, sockets = live_threads(), len(os.listdir("/proc/self/fd")), open_sockets()
        for _ in range(200):
            await one_call()
        assert Speaker.live == 0 and Microphone.live == 0
        await wait_until(lambda: open_sockets() <= sockets, timeout=5, message="sockets released")
        await wait_until(lambda: len(os.listdir("/proc/self/fd")) <= fds, timeout=5, message="descriptors released")
        await wait_until(lambda: live_threads() <= threads, timeout=5, message="threads ended")


def test_devices_lists_the_rigs_microphone_and_speaker(pulse_rig):
    import subprocess
    import sys

    listing = subprocess.run([sys.executable, "-m", "proto_trainer_tui", "devices"], capture_output=True,
                             text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["index", "in", "out", "rate", "name"]
    assert any("(default input)" in line for line in lines) and any("(default output)" in line for line in lines)


async def test_a_speaker_that_stops_turns_voice_off_and_the_call_goes_on(pulse_rig, sim_server):
    app = voice_app(sim_server)
    async with app.run_test():
        await connect(app)
        pulse_rig.pactl("suspend-sink", "nullsink", "1")
        try:
            await wait_until(lambda: "speaker stopped" in app.last_error, timeout=10, message="speaker given up")
            assert "--output-device" in app.last_error and Speaker.live == 0
            await app.send_text("Are you still there?")
            turns = app.session.conversation.turns
            await wait_until(lambda: turns[-1].role == "caller" and turns[-1].finished, timeout=20)
            assert app.connection_status == "connected"
        finally:
            pulse_rig.pactl("suspend-sink", "nullsink", "0")
        await app.action_disconnect()
