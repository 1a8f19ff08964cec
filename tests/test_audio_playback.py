"""The caller's voice through real PortAudio, on the PulseAudio null-sink rig."""

from __future__ import annotations

import os

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.audio.devices import Speaker, open_speaker
from .speech_samples import speech_pcm

from .conftest import TOKEN, live_threads, open_sockets, wait_until


async def test_speaker_plays_everything_written_through_portaudio(pulse_rig):
    speech = speech_pcm("Hello, I need someone to talk to.")
    speaker, problem = open_speaker(True)
    try:
        assert problem is None and isinstance(speaker, Speaker)
        speaker.write(speech)
        await wait_until(lambda: speaker.stats.played_samples >= len(speech) // 2, timeout=15,
                         message="the whole utterance played")
        assert speaker.stats.dropped_samples == 0
    finally:
        speaker.close()
    assert Speaker.live == 0


async def test_voice_session_plays_the_caller_and_releases_the_stream(pulse_rig, sim_server):
    app = TrainerApp(server_url=sim_server.url, api_key=TOKEN, scenario_id="panic-attack-at-work", audio=True)
    async with app.run_test() as pilot:
        threads, sockets = live_threads(), open_sockets()
        for _ in range(3):
            app.action_connect()
            await wait_until(lambda: app.connection_status == "connected", timeout=15)
            speaker = app.session.speaker
            assert isinstance(speaker, Speaker)
            await app.send_text("Hi, crisis line, this is Sam. What's happening right now?")
            await wait_until(lambda: speaker.stats.played_samples > 24_000 // 2, timeout=15,
                             message="half a second of the caller's voice played")
            await pilot.press("d")  # with a microphone the focus stays off the input line
            await wait_until(lambda: app.connection_status == "disconnected")
            assert Speaker.live == 0
            await wait_until(lambda: open_sockets() == sockets, timeout=5, message="sockets released")
            # PortAudio's stream thread ends with the stream (asyncio.to_thread workers may stay pooled).
            await wait_until(lambda: live_threads() <= threads + 2, timeout=5, message="audio threads ended")


def test_unusable_device_turns_voice_off_with_cause_and_fix():
    speaker, problem = open_speaker(True, device="no-such-device")
    try:
        assert type(speaker).__name__ == "NullSpeaker"
        assert problem.startswith("voice off: ")
        # Without PortAudio the fix is to install it; with it, the device is named.
        assert "apt install libportaudio2" in problem or "'no-such-device'" in problem
        assert problem.endswith("typed practice only")
    finally:
        speaker.close()


async def test_voice_off_is_said_once_and_typed_practice_goes_on(sim_server):
    app = TrainerApp(server_url=sim_server.url, api_key=TOKEN, scenario_id="panic-attack-at-work", audio=False)
    async with app.run_test():
        said = []
        app.watch(app, "notice_text", lambda text: said.append(text), init=False)
        for _ in range(2):
            app.action_connect()
            await wait_until(lambda: app.connection_status == "connected")
            await app.send_text("Hello, you're through to the crisis line.")
            await wait_until(lambda: any(t.role == "caller" and t.finished for t in app.session.conversation.turns))
            await app.action_disconnect()
        # Said once (a new call clears the last call's notice, which is no message of its own).
        assert [text for text in said if text] == ["voice off: disabled with --no-audio; typed practice only"]


def test_no_sound_card_turns_voice_off_with_cause_and_fix(tmp_path):
    """As over SSH: PortAudio may be installed, but no device can be reached."""
    import subprocess
    import sys

    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_RUNTIME_PATH": str(tmp_path),
           "PULSE_SERVER": f"unix:{tmp_path}/no-such-socket"}
    script = "from proto_trainer_tui.audio.devices import open_speaker; print(open_speaker(True)[1])"
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    message = result.stdout.strip()
    assert message.startswith("voice off: ") and message.endswith("typed practice only")
    assert ("no output device found" in message and "--output-device" in message) or "apt install libportaudio2" in message
