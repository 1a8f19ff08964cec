"""Context that survives: caller and system items, re-sent conversations, new instructions, separate turns."""

from __future__ import annotations

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.realtime import events
from proto_trainer_tui.realtime.conversation import Conversation
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim import server as sim_server_module
from proto_trainer_tui.sim.caller_model import CallerModelSettings
from proto_trainer_tui.sim.caller_prompt import CallHistory
from proto_trainer_tui.sim.server import SimServer

from .conftest import TOKEN, start_server, wait_until
from .fake_chat import FakeChatEndpoint
from .sim_talk import open_client
from .test_reconnect import DroppableServer, connect_watching
from .test_sim_openai_sdk import event_models

PLAN = get_scenario("plan-and-means")
GRIEF = get_scenario("sudden-loss-grief")
SUICIDE_QUESTION = "Are you thinking about suicide?"


@pytest.fixture
def sessions(monkeypatch):
    """Every SimSession the servers in this test start, to look at what the caller knows.
    Their audio is not paced to real time: nobody listens."""
    started = []

    class Recorded(sim_server_module.SimSession):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.pace_lead_ms = None
            started.append(self)

    monkeypatch.setattr(sim_server_module, "SimSession", Recorded)
    return started


@pytest.fixture
async def chat():
    async with FakeChatEndpoint(reply="Yeah. I'm still here.") as fake:
        yield fake


@pytest.fixture
async def model_server(chat):
    settings = CallerModelSettings("fake-caller", chat.base_url, "sk-test")
    context, running = await start_server(SimServer(TOKEN, caller_model=settings))
    yield running
    await context.__aexit__(None, None, None)
    await running.server.close()


async def typed_client(url: str, instructions: str = PLAN.caller_instructions()):
    client = await open_client(url, TOKEN, instructions, turn_detection=None)
    await client.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}})
    await client.until("session.updated")
    return client


async def ask(client, text: str) -> str:
    await client.send(events.user_text_item(text))
    await client.send(events.response_create())
    done = await client.until("response.done")
    return events.item_text(done["response"]["output"][0])


def test_the_app_re_sends_finished_turns_with_their_ids_and_skips_empty_ones():
    conversation = Conversation()
    conversation.add_typed("Hello, crisis line.", "item_a")
    for event in ({"type": "response.output_item.added", "response_id": "r1",
                   "item": {"id": "item_b", "type": "message", "role": "assistant", "content": []}},
                  {"type": "response.output_audio_transcript.delta", "item_id": "item_b", "delta": "Hi. I..."},
                  {"type": "conversation.item.added",
                   "item": {"id": "item_c", "type": "message", "role": "user", "content": []}}):
        conversation.apply(event)
    conversation.interrupt_open_turns()  # the line dropped mid-reply, mid-transcription
    restored = conversation.restore_events()
    assert [(e["item"]["id"], e["item"]["role"], events.item_text(e["item"])) for e in restored] == [
        ("item_a", "user", "Hello, crisis line."), ("item_b", "assistant", "Hi. I...")]
    assert restored[1]["item"]["content"][0]["type"] == "output_text"


def test_each_caller_message_answers_the_counselor_messages_before_it():
    history = CallHistory()
    for role, text in [("assistant", "Hello?"), ("user", "Hi."), ("user", "Crisis line."), ("system", "note"),
                       ("assistant", "Hi."), ("user", "How are you?")]:
        history.add(role, text)
    assert history.answered_turns() == [["Hi.", "Crisis line."]]  # the last question is still open


async def test_caller_and_system_items_are_accepted_and_the_engine_catches_up(sim_server, sessions):
    client = await typed_client(sim_server.url)
    try:
        await client.send({"type": "conversation.item.create", "item": {
            "type": "message", "role": "system", "content": [{"type": "input_text", "text": "Restored call."}]}})
        await client.send(events.user_text_item("Hello, crisis line.", "item_u1"))
        await client.send(events.caller_text_item("Hello. I'm not sure why I'm calling.", "item_c1"))
        await client.send(events.user_text_item(SUICIDE_QUESTION, "item_u2"))
        await client.send(events.caller_text_item("Yeah. I have.", "item_c2"))
        added = [await client.until("conversation.item.done") for _ in range(5)]
    finally:
        await client.ws.close()
    assert "error" not in client.types()
    models = event_models()
    for event in client.received:  # as OpenAI's own server events, by the SDK's models
        models[event["type"]].model_validate(event, strict=False)
    assert [(e["item"]["role"], e["item"]["id"]) for e in added[1:]] == [
        ("user", "item_u1"), ("assistant", "item_c1"), ("user", "item_u2"), ("assistant", "item_c2")]
    assert added[2]["item"]["content"][0] == {"type": "output_text", "text": "Hello. I'm not sure why I'm calling."}
    caller = sessions[-1].caller
    assert caller.turns == 2 and "thoughts" in caller.disclosed  # as if it had answered both itself


async def test_a_non_message_item_is_still_an_error(sim_server):
    client = await typed_client(sim_server.url)
    try:
        await client.send({"type": "conversation.item.create", "item": {"type": "function_call", "name": "x"}})
        error = await client.until("error")
    finally:
        await client.ws.close()
    assert "message items" in error["error"]["message"]


async def test_new_instructions_mid_call_change_the_persona_and_keep_the_conversation(sim_server, sessions):
    client = await typed_client(sim_server.url)
    try:
        await ask(client, "Hello, crisis line.")
        await ask(client, SUICIDE_QUESTION)
        await client.send(events.session_update(GRIEF.caller_instructions(), turn_detection=None))
        updated = await client.until("session.updated")
    finally:
        await client.ws.close()
    session = sessions[-1]
    assert updated["session"]["audio"]["output"]["voice"] == GRIEF.persona.voice
    assert session.caller.scenario.id == GRIEF.id
    assert session.caller.turns == 2  # the new persona has had the same two turns


async def test_several_user_items_stay_separate_turns_for_the_model(model_server, chat):
    client = await typed_client(model_server.url)
    try:
        await client.send(events.user_text_item("Hello, crisis line."))
        await client.send(events.user_text_item("I'm here whenever you're ready."))
        await client.send(events.response_create())
        done = await client.until("response.done")
    finally:
        await client.ws.close()
    assert done["response"]["output"][0]["content"][0]["text"] == "Yeah. I'm still here."
    sent = chat.requests[0].messages
    assert [(m["role"], m["content"]) for m in sent[1:]] == [
        ("user", "Hello, crisis line."), ("user", "I'm here whenever you're ready.")]


async def test_the_model_sees_the_whole_call_after_new_instructions(model_server, chat):
    client = await typed_client(model_server.url)
    try:
        await ask(client, "Hello, crisis line.")
        await client.send(events.session_update(GRIEF.caller_instructions(), turn_detection=None))
        await client.until("session.updated")
        await ask(client, "What's been happening?")
    finally:
        await client.ws.close()
    last = chat.requests[-1].messages
    assert GRIEF.persona.name in last[0]["content"] and PLAN.persona.name not in last[0]["content"]
    assert [m["role"] for m in last[1:]] == ["user", "assistant", "user"]
    assert last[2]["content"] == "Yeah. I'm still here."


async def test_a_leaking_model_reply_is_never_voiced(model_server, chat):
    chat.reply = "I've got a full bottle of sleeping pills in the bathroom cabinet."
    client = await typed_client(model_server.url)
    try:
        opening = await ask(client, "Hello, crisis line.")
    finally:
        await client.ws.close()
    assert opening == PLAN.opening  # the engine's words instead
    assert chat.requests  # the model was asked: its reply was held back, not skipped


async def test_after_a_reconnect_the_new_server_session_knows_the_call_so_far(sessions):
    droppable = DroppableServer()
    await droppable.start()
    app = TrainerApp(server_url=droppable.url, api_key=TOKEN, scenario_id="plan-and-means", audio=False)
    try:
        async with app.run_test():
            statuses = await connect_watching(app)
            turns = app.session.conversation.turns
            await app.send_text("Hello, you're through to the crisis line.")
            await wait_until(lambda: len(turns) == 2 and turns[-1].finished, timeout=20)
            await app.send_text(SUICIDE_QUESTION)
            await wait_until(lambda: len(turns) == 4 and turns[-1].finished, timeout=20)
            await droppable.drop(1011)
            await wait_until(lambda: statuses[-2:] == ["reconnecting", "connected"], timeout=20)
            restored = sessions[-1]
            await wait_until(lambda: len(restored.history.messages) == 4, timeout=10)
            assert [m.text for m in restored.history.messages] == [t.text for t in turns]
            assert "thoughts" in restored.caller.disclosed and restored.caller.turns == 2
            assert len(turns) == 4  # the echoes of the re-sent items are not shown twice
            await app.action_disconnect()
    finally:
        await droppable.stop()
