"""The caller's words from a chat-completions model, against a loopback endpoint that streams SSE."""

from __future__ import annotations

import logging

import pytest

from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.caller_model import CallerModelSettings, ModelCaller, caller_key
from proto_trainer_tui.sim.caller_prompt import Message, SentenceSplitter, chat_messages, system_prompt
from proto_trainer_tui.sim.reply_guard import Disclosure

from .fake_chat import FakeChatEndpoint

KEY = "sk-test-caller-key-1234567890"
DANIEL = get_scenario("plan-and-means")
NOTHING_TOLD = Disclosure.of(DANIEL, [])
FALLBACK = ["Sorry. I don't know."]
ASKED = [{"role": "user", "content": "How are things at home?"}]


@pytest.fixture
async def endpoint():
    async with FakeChatEndpoint() as fake:
        yield fake


def caller_for(fake: FakeChatEndpoint, first_token_timeout: float = 5.0) -> ModelCaller:
    settings = CallerModelSettings("fake-caller", fake.base_url, KEY, first_token_timeout=first_token_timeout)
    return ModelCaller(settings, settings.client())


async def reply(caller: ModelCaller, disclosure: Disclosure = NOTHING_TOLD) -> list[str]:
    return [sentence async for sentence in caller.sentences(ASKED, disclosure, FALLBACK)]


async def test_a_good_reply_arrives_sentence_by_sentence_with_the_key_and_model(endpoint):
    endpoint.reply = "Quiet. Too quiet, since the divorce went through. I eat standing up in the kitchen."
    assert await reply(caller_for(endpoint)) == [
        "Quiet.", "Too quiet, since the divorce went through.", "I eat standing up in the kitchen."]
    request = endpoint.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.authorization == f"Bearer {KEY}"
    assert request.body["model"] == "fake-caller" and request.body["stream"] is True


async def test_the_first_sentence_is_out_before_the_model_has_finished(endpoint):
    endpoint.reply = "It's the evenings, mostly. When the flat goes quiet and there's nobody to talk to."
    endpoint.pause_after = 5  # the endpoint holds the rest until the first sentence was received
    sentences = caller_for(endpoint).sentences(ASKED, NOTHING_TOLD, FALLBACK)
    assert await anext(sentences) == "It's the evenings,"
    endpoint.resume.set()
    assert [s async for s in sentences] == ["mostly.", "When the flat goes quiet and there's nobody to talk to."]


async def test_a_leaking_reply_is_replaced_by_the_offline_reply(endpoint):
    endpoint.reply = "Well. I've been saving my sleeping pills in the bathroom cabinet."
    caller = caller_for(endpoint)
    assert await reply(caller) == ["Well."]  # the safe start was voiced; the leak never is
    endpoint.reply = "I've got a full bottle of sleeping pills saved up."
    assert await reply(caller) == FALLBACK
    assert caller.guard_blocks == 2 and caller.fallbacks == 1


@pytest.mark.parametrize("mode", ["error", "malformed", "slow"])
async def test_an_endpoint_that_fails_gives_the_offline_reply_and_says_so_once(endpoint, mode, caplog):
    endpoint.mode = mode
    caller = caller_for(endpoint, first_token_timeout=0.3)
    with caplog.at_level(logging.DEBUG, logger="proto_trainer_tui.sim.caller_model"):
        assert await reply(caller) == FALLBACK
        assert await reply(caller) == FALLBACK
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "the call goes on" in warnings[0].getMessage()
    assert KEY not in caplog.text


async def test_a_refused_connection_is_an_endpoint_error_too():
    fake = FakeChatEndpoint()
    await fake.start()
    await fake.stop()  # nothing listens there any more
    assert await reply(caller_for(fake)) == FALLBACK


def test_the_model_is_told_only_what_the_engine_has_disclosed():
    before = system_prompt(DANIEL, NOTHING_TOLD, mood=0)
    for withheld in ("sleeping pills", "bathroom cabinet", "This weekend", "better off without me"):
        assert withheld not in before
    assert DANIEL.presenting_problem in before and "never say you are an AI" in before
    after = system_prompt(DANIEL, Disclosure.of(DANIEL, ["thoughts", "means"]), mood=1)
    assert "bathroom cabinet" in after and "better off without me" in after
    assert "This weekend" not in after


def test_a_caller_without_risk_is_told_to_say_no_plainly_and_one_with_risk_is_not():
    panic = get_scenario("panic-attack-at-work")
    assert "say so plainly" in system_prompt(panic, Disclosure.of(panic, []), mood=0)
    assert "say so plainly" not in system_prompt(DANIEL, NOTHING_TOLD, mood=0)


def test_the_call_so_far_follows_the_system_prompt_in_order():
    history = [Message("user", "Hello?"), Message("user", "Are you there?"), Message("assistant", "Yeah. Hi."),
               Message("system", "The caller sounds tired."), Message("user", "  ")]
    messages = chat_messages(DANIEL, NOTHING_TOLD, 0, history)
    assert [m["role"] for m in messages] == ["system", "user", "user", "assistant", "system"]


def test_tokens_become_sentences_and_the_first_piece_may_be_a_clause():
    splitter = SentenceSplitter()
    pieces = []
    for token in ["Well, ", "I ", "don't ", "know, ", "honestly. ", "It's ", "been, ", "a lot. ", "Sorry", "."]:
        pieces += splitter.feed(token)
    assert pieces == ["Well, I don't know,", "honestly.", "It's been, a lot."]  # later pieces are sentences
    assert splitter.finish() == ["Sorry."]


def test_a_long_first_sentence_is_cut_before_a_conjunction_or_after_eight_words():
    conjunction = SentenceSplitter()
    assert conjunction.feed("It's the evenings mostly when the flat ") == ["It's the evenings mostly"]
    running = SentenceSplitter()
    assert running.feed("I haven't really said any of this ") == []
    assert running.feed("out ") == ["I haven't really said any of this out"]
    assert SentenceSplitter(quick_start=False).feed("Yes, I think, you know ") == []


def test_the_caller_key_comes_from_its_own_variable_else_openais():
    assert caller_key({"PROTO_TRAINER_CALLER_API_KEY": "a", "OPENAI_API_KEY": "b"}) == "a"
    assert caller_key({"OPENAI_API_KEY": "b"}) == "b"
    assert caller_key({}) is None
    assert KEY not in repr(CallerModelSettings("m", "http://127.0.0.1:1/v1", KEY))


def test_a_base_url_must_be_http():
    with pytest.raises(ValueError, match="http"):
        CallerModelSettings("m", "ws://127.0.0.1:1/v1")


async def test_the_embedded_server_speaks_with_the_configured_model_and_key(endpoint, monkeypatch):
    from proto_trainer_tui.realtime import events
    from proto_trainer_tui.sim.process import EmbeddedServer, SimOptions

    from .sim_talk import open_client

    monkeypatch.setenv("PROTO_TRAINER_CALLER_API_KEY", KEY)
    endpoint.reply = "Hi. Yeah, I'm here."
    server = EmbeddedServer(SimOptions(caller_model="fake-caller", caller_base_url=endpoint.base_url))
    url = await server.start()
    try:
        client = await open_client(url, server.token, DANIEL.caller_instructions(), turn_detection=None)
        await client.send(events.user_text_item("Hello, crisis line."))
        await client.send(events.response_create())
        done = await client.until("response.done")
        await client.ws.close()
    finally:
        await server.stop()
    assert events.item_text(done["response"]["output"][0]) == "Hi. Yeah, I'm here."
    assert endpoint.requests[0].authorization == f"Bearer {KEY}"
    assert KEY not in " ".join(server.options_args)  # the key travels in the environment, never argv


def test_the_settings_come_from_the_config_file_and_flags(tmp_path):
    from proto_trainer_tui.cli import build_parser
    from proto_trainer_tui.config import ConfigError, load_settings

    path = tmp_path / "config.toml"
    path.write_text('caller_model = "llama3.2"\ncaller_base_url = "http://127.0.0.1:11434/v1"\n')
    settings = load_settings({}, env={}, path=path)
    assert (settings.caller_model, settings.caller_base_url) == ("llama3.2", "http://127.0.0.1:11434/v1")
    assert load_settings({"caller_model": "qwen"}, env={}, path=path).caller_model == "qwen"
    path.write_text('caller_base_url = "127.0.0.1:11434"\n')
    with pytest.raises(ConfigError, match="http"):
        load_settings({}, env={}, path=path)
    args = build_parser().parse_args(["serve", "--caller-model", "m", "--caller-base-url", "http://h:1/v1"])
    assert (args.caller_model, args.caller_base_url) == ("m", "http://h:1/v1")
    assert build_parser().parse_args(["--caller-model", "m"]).caller_model == "m"
