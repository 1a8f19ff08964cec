"""Optional recognition through an OpenAI-compatible transcription endpoint, pocketsphinx as fallback."""

from __future__ import annotations

import io
import logging
import wave

import pytest

from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.server import SimServer
from proto_trainer_tui.sim.transcription import TranscriptionSettings, stt_key, wav_of

from .conftest import TOKEN, start_server
from .fake_chat import FakeChatEndpoint
from .sim_talk import open_client

KEY = "sk-test-stt-key-0987654321"
PLAN = get_scenario("plan-and-means")
LINE = "Are you thinking of killing yourself?"


@pytest.fixture
async def stt():
    async with FakeChatEndpoint(transcript="are you thinking of ending your life") as fake:
        yield fake


@pytest.fixture
def stt_timeout() -> float:
    return 5.0  # a test that waits for it to pass parametrizes a shorter one


@pytest.fixture
async def stt_server(stt, stt_timeout):
    """The simulated caller transcribing through ``stt``."""
    settings = TranscriptionSettings(stt.base_url, "whisper-test", KEY, timeout=stt_timeout)
    context, running = await start_server(SimServer(TOKEN, transcription=settings))
    yield running
    await context.__aexit__(None, None, None)
    await running.server.close()


async def transcript_of_a_spoken_turn(url: str) -> tuple[str, list[dict]]:
    """The turn's transcript, and the error events the client was sent."""
    client = await open_client(url, TOKEN, PLAN.caller_instructions())
    try:
        # A text reply: a test client that stops reading while caller audio streams would hold up the close.
        await client.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}})
        await client.until("session.updated")
        await client.say(LINE)
        completed = await client.until("conversation.item.input_audio_transcription.completed")
        await client.until("response.done")
    finally:
        await client.ws.close()
    return completed["transcript"], [e["error"] for e in client.received if e["type"] == "error"]


async def test_the_endpoint_transcribes_the_turn_as_a_wav_file(stt_server, stt):
    assert await transcript_of_a_spoken_turn(stt_server.url) == (stt.transcript, [])
    request = stt.requests[0]
    assert request.path == "/v1/audio/transcriptions"
    assert request.authorization == f"Bearer {KEY}"
    assert b"whisper-test" in request.raw and b"RIFF" in request.raw and b"WAVE" in request.raw


@pytest.mark.parametrize("stt_timeout", [0.3])
@pytest.mark.parametrize("mode", ["error", "slow"])
async def test_when_the_endpoint_fails_pocketsphinx_is_heard_and_it_is_said_once(stt_server, stt, mode, caplog):
    stt.mode = mode
    with caplog.at_level(logging.WARNING, logger="proto_trainer_tui.sim.transcription"):
        transcript, errors = await transcript_of_a_spoken_turn(stt_server.url)
    assert "killing yourself" in transcript  # the local recogniser's words
    assert len(caplog.records) == 1 and "the call goes on" in caplog.records[0].getMessage()
    assert KEY not in caplog.text
    # The client is told too, as a non-fatal error (docs/protocol.md), without the endpoint's words.
    assert [e["code"] for e in errors] == ["transcription_unavailable"]
    assert errors[0]["message"].startswith("the transcription endpoint is unavailable")
    assert KEY not in errors[0]["message"] and "crashed" not in errors[0]["message"]


def test_a_turn_becomes_a_24_khz_mono_wav_file():
    pcm = bytes(range(256)) * 10
    with wave.open(io.BytesIO(wav_of(pcm))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24_000)
        assert wav.readframes(wav.getnframes()) == pcm


def test_the_key_and_url_rules():
    assert stt_key({"PROTO_TRAINER_STT_API_KEY": "a", "OPENAI_API_KEY": "b"}) == "a"
    assert stt_key({"OPENAI_API_KEY": "b"}) == "b"
    assert KEY not in repr(TranscriptionSettings("http://127.0.0.1:1/v1", api_key=KEY))
    with pytest.raises(ValueError, match="http"):
        TranscriptionSettings("127.0.0.1:8000")
