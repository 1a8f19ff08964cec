"""Moonshine, the embedded caller's local recogniser, on real synthesised speech (the real model)."""

from __future__ import annotations

import os

import pytest

from proto_trainer_tui.realtime import events
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.caller import classify, primary_move
from proto_trainer_tui.sim.listening import MOONSHINE_MODEL, POCKETSPHINX_MODEL, local_model_name, local_recognizer
from proto_trainer_tui.sim.moves import Move
from proto_trainer_tui.sim.recognizer import RecognitionUnavailable, Recognizer
from proto_trainer_tui.sim.server import SimServer
from proto_trainer_tui.sim.speech_models import MODELS_DIR_ENV, MOONSHINE_TINY, installed_dir

from .conftest import TOKEN
from .sim_talk import SILENCE_FRAME, open_client, spoken


@pytest.fixture(scope="module")
def model():
    if installed_dir(MOONSHINE_TINY) is None:
        reason = "the Moonshine model is not installed (proto-trainer recogniser install; ./dev does it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the Moonshine recogniser: {reason}")
        pytest.skip(reason)
    from proto_trainer_tui.sim.moonshine import shared_model

    return shared_model()


class Counting:
    """The real model, counting how often it is run."""

    def __init__(self, model) -> None:
        self.model, self.runs = model, 0

    def transcribe(self, audio):
        self.runs += 1
        return self.model.transcribe(audio)


def hear(recognizer, pcm: bytes) -> str:
    recognizer.start()
    for start in range(0, len(pcm), 1920):  # 40 ms pieces, as a socket delivers them
        recognizer.feed(pcm[start:start + 1920])
    return recognizer.finish()


@pytest.mark.parametrize(("line", "move"), [
    ("Are you thinking about ending your life?", Move.SUICIDE_INQUIRY),
    ("Could you call anyone to come over tonight?", Move.WHO_TO_CALL),
    ("Are you hurting yourself?", Move.SELF_HARM),
])
def test_a_spoken_line_is_heard_as_its_move(model, line, move):
    from proto_trainer_tui.sim.moonshine import MoonshineRecognizer

    heard = hear(MoonshineRecognizer(model=model), SILENCE_FRAME * 15 + spoken(line) + SILENCE_FRAME * 25)
    assert primary_move(classify(heard)) == move, heard


def test_the_words_are_ready_when_the_pause_is_long_enough_and_redone_when_speech_goes_on(model):
    from proto_trainer_tui.sim.moonshine import PAUSE_MS, MoonshineRecognizer

    counting = Counting(model)
    recognizer = MoonshineRecognizer(model=counting)
    pause = SILENCE_FRAME * (PAUSE_MS // 20 + 2)
    recognizer.start()
    recognizer.feed(SILENCE_FRAME * 15 + spoken("Thank you for telling me."))
    recognizer.feed(pause)
    assert counting.runs == 1  # transcribed during the pause, before the turn ended
    recognizer.feed(SILENCE_FRAME * 10)
    first = recognizer.finish()
    assert counting.runs == 1 and "telling" in first.lower()  # the turn's end reused those words

    recognizer.start()
    recognizer.feed(SILENCE_FRAME * 15 + spoken("Thank you for telling me."))
    recognizer.feed(pause)
    recognizer.feed(spoken("Are you hurting yourself?"))  # the counselor went on after the pause
    recognizer.feed(pause)
    both = recognizer.finish().lower()
    assert counting.runs == 3 and "telling" in both and "yourself" in both


def test_silence_or_nothing_is_no_words(model):
    from proto_trainer_tui.sim.moonshine import MoonshineRecognizer

    recognizer = MoonshineRecognizer(model=model)
    assert recognizer.finish() == ""  # never started
    recognizer.start()
    assert recognizer.finish() == ""  # started, nothing fed
    recognizer.start()
    recognizer.feed(spoken("Hello there."))
    recognizer.cancel()
    assert not recognizer.active and recognizer.finish() == ""


def test_pocketsphinx_hears_with_moonshine_and_its_scenario_words(model):
    recognizer = local_recognizer(("how old is emma",), "moonshine")
    assert recognizer.sentences == ("how old is emma",)
    heard = hear(recognizer, SILENCE_FRAME * 15 + spoken("How old is Emma?") + SILENCE_FRAME * 25)
    assert primary_move(classify(heard)) == Move.AGE, heard


def test_without_the_model_auto_listens_with_pocketsphinx_and_moonshine_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    assert type(local_recognizer((), "auto")) is Recognizer
    assert local_model_name("auto") == POCKETSPHINX_MODEL
    with pytest.raises(RecognitionUnavailable, match="proto-trainer recogniser install"):
        local_recognizer((), "moonshine")
    assert type(local_recognizer((), "pocketsphinx")) is Recognizer


async def test_the_embedded_server_listens_with_moonshine_and_names_it(model, sim_server):
    client = await open_client(sim_server.url, TOKEN, get_scenario("plan-and-means").caller_instructions())
    try:
        updated = next(e for e in client.received if e["type"] == "session.updated")
        assert updated["session"]["audio"]["input"]["transcription"]["model"] == MOONSHINE_MODEL
        await client.say("Do you have a plan for how you would do it?")
        completed = await client.until("conversation.item.input_audio_transcription.completed")
        assert primary_move(classify(completed["transcript"])) == Move.PLAN
        await client.send(events.response_cancel())
    finally:
        await client.ws.close()


async def test_without_the_model_a_speaking_client_is_told_once_and_a_typing_one_never(tmp_path, monkeypatch):
    from .conftest import start_server

    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    context, running = await start_server(SimServer(TOKEN))
    try:
        typist = await open_client(running.url, TOKEN, turn_detection=None)
        await typist.send(events.user_text_item("Hello, crisis line."))
        await typist.send(events.response_create())
        await typist.until("response.done")
        assert not [e for e in typist.received if e["type"] == "error"]
        await typist.ws.close()

        talker = await open_client(running.url, TOKEN)
        updated = next(e for e in talker.received if e["type"] == "session.updated")
        assert updated["session"]["audio"]["input"]["transcription"]["model"] == POCKETSPHINX_MODEL
        await talker.say("Hello, crisis line.")
        await talker.say("Can you tell me more?")
        await talker.until("conversation.item.input_audio_transcription.completed")
        errors = [e for e in talker.received if e["type"] == "error"]
        assert len(errors) == 1 and errors[0]["error"]["code"] == events.RECOGNISER_FALLBACK
        assert events.fallback_notice(errors[0]) and "proto-trainer recogniser install" in errors[0]["error"]["message"]
        await talker.ws.close()
    finally:
        await context.__aexit__(None, None, None)


def test_a_damaged_model_is_found_out_and_auto_names_pocketsphinx(model, tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    damaged = tmp_path / MOONSHINE_TINY.name
    shutil.copytree(installed_dir(MOONSHINE_TINY), damaged)
    encoder = damaged / "encoder_model.onnx"
    encoder.write_bytes(Path(installed_dir(MOONSHINE_TINY), "encoder_model.onnx").read_bytes()[:1000])
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    assert installed_dir(MOONSHINE_TINY) == str(damaged)  # present, but it will not load
    assert local_model_name("auto") == POCKETSPHINX_MODEL
    assert type(local_recognizer((), "auto")) is Recognizer
