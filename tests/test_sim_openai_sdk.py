"""The official openai SDK's realtime client talks to the simulated caller unmodified
(only the base URL and key differ), and every server event validates strictly
against the SDK's typed server-event models."""

from __future__ import annotations

import typing

import openai
import pydantic
from openai.types.realtime import realtime_server_event

from proto_trainer_tui.audio.pcm import encode_b64, frames
from proto_trainer_tui.scenarios import get_scenario

from .conftest import TOKEN
from .sim_talk import SERVER_VAD, SILENCE_FRAME, spoken


def event_models() -> dict[str, type[pydantic.BaseModel]]:
    """Server event type -> the SDK model declaring it."""
    union = typing.get_args(realtime_server_event.RealtimeServerEvent)[0]
    models = {}
    for model in typing.get_args(union):
        literal = model.model_fields["type"].annotation
        for name in typing.get_args(literal):
            models[name] = model
    return models


async def test_openai_sdk_runs_a_text_turn_and_an_audio_turn(sim_server):
    scenario = get_scenario("plan-and-means")
    client = openai.AsyncOpenAI(api_key=TOKEN, websocket_base_url=sim_server.url.removesuffix("/realtime"))
    models = event_models()
    seen: list[str] = []

    async def until(connection, kind: str):
        async for event in connection:
            raw = event.model_dump(mode="json", exclude_unset=True)
            model = models.get(raw["type"])
            assert model is not None, f"{raw['type']} is not a server event the SDK knows"
            model.model_validate(raw, strict=False)  # raises on a missing or mistyped field
            seen.append(raw["type"])
            if raw["type"] == "error":
                raise AssertionError(raw)
            if raw["type"] == kind:
                return event
        raise AssertionError(f"connection closed before {kind}")

    async with client.realtime.connect(model="gpt-realtime") as connection:
        await until(connection, "session.created")
        await connection.session.update(session={
            "type": "realtime", "instructions": scenario.caller_instructions(),
            "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": SERVER_VAD},
                      "output": {"format": {"type": "audio/pcm", "rate": 24000}}},
        })
        await until(connection, "session.updated")

        await connection.conversation.item.create(item={
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "Hi, this is the crisis line. What's going on?"}]})
        await connection.response.create()
        done = await until(connection, "response.done")
        assert done.response.status == "completed"
        assert done.response.output[0].content[0].transcript

        audio = spoken("Are you thinking of killing yourself?") + SILENCE_FRAME * 40
        for frame in frames(audio):
            await connection.input_audio_buffer.append(audio=encode_b64(frame))
        transcript = await until(connection, "conversation.item.input_audio_transcription.completed")
        assert "killing yourself" in transcript.transcript
        done = await until(connection, "response.done")
        assert scenario.risk.thoughts in done.response.output[0].content[0].transcript

        await connection.conversation.item.create(item={
            "type": "message", "role": "user", "content": [{"type": "input_text", "text": "Tell me more."}]})
        await connection.response.create(response={"output_modalities": ["text"]})
        done = await until(connection, "response.done")
        assert done.response.output[0].content[0].text

    for kind in ("input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                 "input_audio_buffer.committed", "conversation.item.added", "conversation.item.done",
                 "response.output_audio.delta", "response.output_audio_transcript.delta",
                 "response.output_audio.done", "response.output_item.done",
                 "conversation.item.input_audio_transcription.delta", "response.output_text.delta",
                 "response.output_text.done"):
        assert kind in seen
