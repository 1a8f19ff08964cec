"""An endpoint the embedded caller uses fails: the trainee is told once, in the notice line, and the call goes on."""

from __future__ import annotations

import logging

import pytest

from proto_trainer_tui.app import TrainerApp
from proto_trainer_tui.realtime import events
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.caller_model import CallerModelSettings
from proto_trainer_tui.sim.endpoints import ProblemOnce, safe_reason
from proto_trainer_tui.sim.process import SimOptions
from proto_trainer_tui.sim.server import SimServer

from .conftest import TOKEN, start_server, wait_until
from .fake_chat import FakeChatEndpoint
from .sim_talk import open_client
from .test_sim_openai_sdk import event_models

KEY = "sk-test-fallback-key-5550001"
PLAN = get_scenario("plan-and-means")
MODEL_DOWN = "the caller's language model is unavailable"


class APIStatusError(Exception):
    """Shaped like the SDK's: a status code, and a message that may quote what was sent."""

    status_code = 401


def test_the_notice_is_taken_once_and_never_carries_the_endpoints_words(caplog):
    problem = ProblemOnce(logging.getLogger("test.endpoint"), "caller model m", "the caller's language model",
                          "the offline caller fills in")
    assert problem.take_notice() is None  # nothing has failed yet
    with caplog.at_level(logging.DEBUG, logger="test.endpoint"):
        problem.say(APIStatusError(f"Incorrect API key provided: {KEY}"))
        problem.say(TimeoutError())
    notice = problem.take_notice()
    assert notice == ("the caller's language model is unavailable (the endpoint answered HTTP 401); "
                      "the offline caller fills in, the call goes on")
    assert problem.take_notice() is None  # once per call
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.DEBUG]


@pytest.mark.parametrize(("problem", "reason"), [
    (TimeoutError(), "the endpoint is slow"),
    ("the reply stalled", "the reply stalled"),
    (ValueError(f"not JSON: {KEY}"), "the endpoint's answer could not be read"),
])
def test_the_reason_is_a_fixed_phrase(problem, reason):
    assert safe_reason(problem) == reason


async def test_a_refused_connection_could_not_be_reached():
    from proto_trainer_tui.sim.caller_model import ModelCaller
    from proto_trainer_tui.sim.reply_guard import Disclosure

    fake = FakeChatEndpoint()
    await fake.start()
    await fake.stop()  # nothing listens there any more
    settings = CallerModelSettings("fake-caller", fake.base_url, KEY)
    caller = ModelCaller(settings, settings.client())
    asked = [{"role": "user", "content": "Hello?"}]
    assert [s async for s in caller.sentences(asked, Disclosure.of(PLAN, []), ["Hello."])] == ["Hello."]
    await caller.client.close()
    assert caller.problem.take_notice() == (f"{MODEL_DOWN} (the endpoint could not be reached); "
                                            "the offline caller fills in, the call goes on")


def test_only_fallback_codes_are_notices():
    def error(code: str) -> dict:
        return {"type": "error", "error": {"type": "server_error", "code": code, "message": "the model\x1b[2J is down"}}

    assert events.fallback_notice(error(events.CALLER_MODEL_UNAVAILABLE)) == "the model␛[2J is down"
    assert events.fallback_notice(error(events.TRANSCRIPTION_UNAVAILABLE)) is not None
    assert events.fallback_notice(error("invalid_request_error")) is None
    assert events.fallback_notice({"type": "error"}) is None


@pytest.fixture
async def failing_chat():
    async with FakeChatEndpoint(mode="error") as fake:
        yield fake


@pytest.mark.parametrize(("mode", "reason"), [
    ("error", "the endpoint answered HTTP 500"),
    ("malformed", "the endpoint's answer could not be read"),
    ("slow", "the endpoint is slow"),
])
async def test_the_server_says_it_once_per_call_as_a_non_fatal_error_event(failing_chat, mode, reason):
    failing_chat.mode = mode
    settings = CallerModelSettings("fake-caller", failing_chat.base_url, KEY, first_token_timeout=0.3)
    context, running = await start_server(SimServer(TOKEN, caller_model=settings))
    client = await open_client(running.url, TOKEN, PLAN.caller_instructions(), turn_detection=None)
    try:
        await client.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}})
        await client.until("session.updated")
        replies = []
        for line in ("Hello, crisis line.", "What's been happening tonight?"):
            await client.send(events.user_text_item(line))
            await client.send(events.response_create())
            replies.append((await client.until("response.done"))["response"])
    finally:
        await client.ws.close()
        await context.__aexit__(None, None, None)
        await running.server.close()
    assert len(failing_chat.requests) == 2  # the model was asked each turn
    assert [r["status"] for r in replies] == ["completed", "completed"]  # the offline caller answered
    assert events.item_text(replies[0]["output"][0]) == PLAN.opening
    errors = [e for e in client.received if e["type"] == "error"]
    assert len(errors) == 1
    error = errors[0]["error"]
    assert (error["type"], error["code"]) == ("server_error", events.CALLER_MODEL_UNAVAILABLE)
    assert error["message"] == f"{MODEL_DOWN} ({reason}); the offline caller fills in, the call goes on"
    assert KEY not in error["message"] and failing_chat.base_url not in error["message"]
    event_models()["error"].model_validate(errors[0], strict=False)  # as OpenAI's own error event
    # Told before the offline reply's words, so the trainee knows whose words they are.
    kinds = client.types()
    assert kinds.index("error") < kinds.index("response.output_text.delta")


async def test_the_app_shows_it_in_the_notice_line_and_the_call_goes_on(failing_chat, monkeypatch):
    monkeypatch.setenv("PROTO_TRAINER_CALLER_API_KEY", KEY)
    options = SimOptions(caller_model="fake-caller", caller_base_url=failing_chat.base_url)
    app = TrainerApp(scenario_id=PLAN.id, audio=False, sim_options=options)  # the real embedded server
    async with app.run_test():
        app.action_connect()
        await wait_until(lambda: app.connection_status == "connected", timeout=30)
        turns = app.session.conversation.turns
        for line in ("Hello, crisis line.", "What's been happening tonight?"):
            await app.send_text(line)
            await wait_until(lambda: turns[-1].role == "caller" and turns[-1].finished, timeout=20,
                             message="the offline caller's reply")
        assert app.notice_text.startswith(MODEL_DOWN) and "the call goes on" in app.notice_text
        assert KEY not in app.notice_text
        assert app.last_error == "" and app.connection_status == "connected"
        assert [t.role for t in turns] == ["counselor", "caller", "counselor", "caller"]
        assert turns[1].text == PLAN.opening
        status = str(app.screen.query_one("#status").render())
        assert MODEL_DOWN in status and "error" not in status
    assert len(failing_chat.requests) == 2
