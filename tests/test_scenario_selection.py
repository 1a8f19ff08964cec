"""The simulated caller plays the scenario a client names with ?scenario=ID, else the one its
instructions describe (docs/protocol.md)."""

from __future__ import annotations

import json

from websockets.asyncio.client import connect

from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.scenarios.model import Scenario
from proto_trainer_tui.sim.selection import scenario_id_from_path, url_with_scenario

from .conftest import TOKEN


async def ask(url: str, instructions: str, question: str) -> str:
    """One typed question in a fresh session; the caller's text reply."""
    async with connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(json.dumps({"type": "session.update", "session": {
            "instructions": instructions, "output_modalities": ["text"]}}))
        for text in ("Hello, crisis line.", question):
            await ws.send(json.dumps({"type": "conversation.item.create", "item": {
                "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}}))
            await ws.send(json.dumps({"type": "response.create"}))
            reply = ""
            async for frame in ws:
                event = json.loads(frame)
                if event["type"] == "response.output_text.delta":
                    reply += event["delta"]
                if event["type"] == "response.done":
                    break
        return reply


def test_the_scenario_id_travels_as_a_query_parameter():
    url = url_with_scenario("ws://127.0.0.1:9/v1/realtime?model=x&scenario=old", "teen-self-harm")
    assert url == "ws://127.0.0.1:9/v1/realtime?model=x&scenario=teen-self-harm"
    assert scenario_id_from_path("/v1/realtime?model=x&scenario=teen-self-harm") == "teen-self-harm"
    assert scenario_id_from_path("/v1/realtime") is None


async def test_server_plays_the_bundled_scenario_named_by_id(sim_server):
    url = url_with_scenario(sim_server.url, "teen-self-harm")
    reply = await ask(url, "You are a generic caller.", "Can I ask your name?")
    assert "Leo" in reply


async def test_a_trailing_newline_no_longer_turns_a_bundled_scenario_generic(sim_server):
    scenario = get_scenario("plan-and-means")
    reply = await ask(sim_server.url, scenario.caller_instructions() + "\n", "What's your name?")
    assert "Daniel" in reply


async def test_server_reads_an_imported_scenarios_instructions(sim_server):
    imported = Scenario.from_prompt("Name: Chris. Deny SI/self-harm, talk about work stress.", title="Chris",
                                    id="chris-imported", columns={"homicidal": "no"})
    url = url_with_scenario(sim_server.url, imported.id)  # unknown to the server: it reads the instructions
    assert "Chris" in await ask(url, imported.caller_instructions(), "Can I ask your name?")
    answer = await ask(url, imported.caller_instructions(), "Are you thinking about killing yourself?")
    assert answer.lower().startswith("no")


async def test_a_chat_scenario_is_typed_both_ways():
    from proto_trainer_tui.sim.server import SimServer

    from .conftest import start_server

    chat = Scenario.from_prompt("You are Sam, texting because your exams are going badly. Deny SI.",
                                title="Exam texter", id="exam-texter", mode="chat")
    context, running = await start_server(SimServer(TOKEN, pace_lead_ms=None))  # no typing pauses in a test
    try:
        async with connect(running.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            # The client asks for audio; a chat caller types anyway.
            await ws.send(json.dumps({"type": "session.update", "session": {
                "instructions": chat.caller_instructions(), "output_modalities": ["audio"]}}))
            await ws.send(json.dumps({"type": "conversation.item.create", "item": {
                "type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi, I'm here."}]}}))
            await ws.send(json.dumps({"type": "response.create"}))
            kinds = []
            async for frame in ws:
                kinds.append(json.loads(frame)["type"])
                if kinds[-1] == "response.done":
                    break
        assert "response.output_text.delta" in kinds
        assert not any("audio" in kind for kind in kinds)
    finally:
        await context.__aexit__(None, None, None)


def test_a_chat_call_is_graded_without_voice_only_measures():
    from proto_trainer_tui.evaluation import evaluate_offline, transcript_from_json

    from .evaluation_helpers import EVALUATION_SET

    transcript = transcript_from_json((EVALUATION_SET / "pa-mediocre.json").read_text(), "pa")
    chat = Scenario.from_prompt("You are texting about panic attacks.", id="panic-chat", mode="chat")
    measures = evaluate_offline(transcript, chat).measures
    assert measures.talk_time_basis == "words" and measures.longest_monologue_seconds is None
    assert measures.interruptions_by_counselor == measures.interruptions_by_caller == 0
