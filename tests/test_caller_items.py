"""Several counselor items before one reply: the caller answers each, in order (issue 14)."""

from __future__ import annotations

import pytest

from proto_trainer_tui.realtime import events
from proto_trainer_tui.scenarios import get_scenario, load_library
from proto_trainer_tui.sim.caller import CallerEngine

from .test_caller_topics import LONG_CALL
from .test_context_restore import ask, typed_client

HELLO = "Hi, this is Alex at the crisis line."
AGE, DIVORCE, EMMA = "How old are you?", "How long ago was the divorce?", "Who is Emma?"


def opened(scenario_id: str = "plan-and-means", seed: int = 5) -> CallerEngine:
    engine = CallerEngine(get_scenario(scenario_id), seed=seed)
    engine.reply(HELLO)
    return engine


def test_each_question_gets_its_own_answer_in_order():
    together, apart = opened(), opened()
    reply = together.reply_each([AGE, DIVORCE])
    assert reply == f"{apart.reply(AGE)} {apart.reply(DIVORCE)}"
    assert reply.index("52") < reply.index("two months ago")


def test_small_talk_before_a_question_is_heard_but_only_the_question_is_answered():
    together, alone = opened(), opened()
    before = together.mood
    reply = together.reply_each(["That sounds really painful.", DIVORCE])
    assert reply == alone.reply(DIVORCE) == "The divorce went through two months ago."
    assert together.mood > before  # the reflection still warmed him


def test_small_talk_alone_gets_one_reply_to_the_last_item():
    together, alone = opened("sudden-loss-grief"), opened("sudden-loss-grief")
    assert together.reply_each(["Mm.", "Thank you for telling me."]) == alone.reply("Thank you for telling me.")


def test_disclosure_rules_hold_for_each_item():
    caller = opened()
    caller.reply_each(["How are you doing tonight?", "What's been going on?"])
    assert not caller.disclosed  # open questions never draw out a risk fact
    reply = caller.reply_each(["Are you thinking about suicide?", "Do you have a plan?"])
    assert caller.disclosed == {"thoughts", "plan"} and "sleeping pills" in reply
    assert "bathroom cabinet" not in reply  # the means wait for their own question


def test_nothing_is_said_twice_in_one_reply():
    caller = opened()
    assert caller.reply_each([DIVORCE, DIVORCE]) == opened().reply(DIVORCE)  # sent twice, answered once
    grief = opened("sudden-loss-grief")
    reply = grief.reply_each(["How long were you married?", "How many years were you together?"])
    assert reply.lower().count("forty-one years") == 1


@pytest.mark.parametrize("scenario", load_library(), ids=lambda s: s.id)
def test_no_reply_or_part_is_said_twice_in_a_long_call_of_pairs(scenario):
    engine = CallerEngine(scenario, seed=7)
    replies = [engine.reply(HELLO)] + [
        engine.reply_each([LONG_CALL[i % len(LONG_CALL)], LONG_CALL[(i + 1) % len(LONG_CALL)]]) for i in range(60)]
    said = [r for r in replies if r]
    assert len(said) == len(set(said))


async def test_the_embedded_server_answers_each_typed_item(sim_server):
    client = await typed_client(sim_server.url)
    try:
        await ask(client, "Hello, crisis line.")
        await client.send(events.user_text_item(EMMA, "item_q1"))
        await client.send(events.user_text_item(DIVORCE, "item_q2"))
        await client.send(events.response_create())
        done = await client.until("response.done")
    finally:
        await client.ws.close()
    user_items = [e["item"]["id"] for e in client.received
                  if e["type"] == "conversation.item.done" and e["item"]["role"] == "user"]
    assert user_items[-2:] == ["item_q1", "item_q2"]  # two turns in the conversation
    reply = events.item_text(done["response"]["output"][0])
    assert "daughter" in reply and "two months ago" in reply
    assert reply.index("daughter") < reply.index("two months ago")
