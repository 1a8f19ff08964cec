"""The reply guard's learned second layer (sim/guard_model.py) and its shipped weights."""

from __future__ import annotations

import math
from importlib import resources

import pytest

from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.guard_model import META, RISK, GuardModel, default_model, features, parse_model
from proto_trainer_tui.sim.reply_guard import GUARDED_FACTS, Disclosure, check_reply, default_rules

NEGATORS = default_rules().negators
# Leaks in wording written for these tests (not rows of the benchmark sets), per topic.
LEAKS = {
    "thoughts": ["Honestly I'd be fine if I never woke up again.",
                 "I keep thinking everybody would be better off without me around.",
                 "I just don't want to be alive anymore."],
    "plan": ["I've worked out exactly how I'm going to do it.",
             "I'm going to take every tablet in the house and go to bed."],
    "means": ["I've been hoarding my tablets in a box under the bed.",
              "There's a rope in the shed I bought for it."],
    "past_attempts": ["I took an overdose a couple of years ago and ended up in hospital.",
                      "The last time I tried to kill myself my brother found me."],
    "self_harm": ["I've been cutting my arms again, most nights.",
                  "I burn myself with cigarettes when it gets too much."],
    "homicidal": ["I want to kill him for what he did to me.",
                  "I've thought about stabbing him while he sleeps."],
    META: ["As an AI I don't have feelings, but I can keep playing the caller.",
           "Great open question, you're really good at this."],
}


def model() -> GuardModel:
    found = default_model()
    assert found is not None, "sim/data/guard_model.json is missing: python -m benchmarks.guard_model --write"
    return found


def test_the_model_file_is_well_formed_and_small():
    path = resources.files("proto_trainer_tui.sim").joinpath("data/guard_model.json")
    assert len(path.read_bytes()) < 1_000_000
    shipped = model()
    assert set(shipped.weights) == {RISK, META, *GUARDED_FACTS}
    assert set(shipped.thresholds) == {RISK, META}
    assert all(0.5 <= t < 1 for t in shipped.thresholds.values())
    assert all(math.isfinite(w) for weights in shipped.weights.values() for w in weights)


def test_a_malformed_model_file_is_refused():
    with pytest.raises(ValueError):
        parse_model('{"buckets": 16, "weights": {}, "thresholds": {}}')
    text = resources.files("proto_trainer_tui.sim").joinpath("data/guard_model.json").read_text("utf-8")
    with pytest.raises(ValueError):
        parse_model(text.replace('"risk":', '"danger":', 1))


def test_features_mark_words_a_denial_reaches():
    assert features("I want to die", NEGATORS) != features("I dont want to die", NEGATORS)
    assert features("I want to die", NEGATORS) == features("i WANT to die!", NEGATORS)


# What the learned layer alone misses of LEAKS: the phrases block these (the guard as a whole must block every
# one, below); listed so that the layer's own test asserts only what it is known to learn (docs/benchmarks.md).
LAYER_MISSES = {"Honestly I'd be fine if I never woke up again.", "I just don't want to be alive anymore.",
                "I'm going to take every tablet in the house and go to bed.",
                "I burn myself with cigarettes when it gets too much.", "I want to kill him for what he did to me.",
                "I've worked out exactly how I'm going to do it.", "There's a rope in the shed I bought for it.",
                "The last time I tried to kill myself my brother found me."}
ALL_LEAKS = [(topic, reply) for topic, replies in LEAKS.items() for reply in replies]


@pytest.mark.parametrize(("topic", "reply"), [(t, r) for t, r in ALL_LEAKS if r not in LAYER_MISSES])
def test_the_learned_layer_blocks_a_leak_while_its_topic_is_withheld(topic, reply):
    found = model().blocks(reply, GUARDED_FACTS, NEGATORS)
    assert found is not None, (topic, reply)


@pytest.mark.parametrize(("topic", "reply"), ALL_LEAKS)
def test_the_guard_blocks_a_leak_written_for_the_tests(topic, reply):
    assert not check_reply(reply, Disclosure.of(get_scenario("first-call-passive-thoughts"), [])).ok


@pytest.mark.parametrize(("topic", "reply"), [(t, r) for t, replies in LEAKS.items() if t != META for r in replies])
def test_the_learned_layer_passes_a_topic_once_it_is_disclosed(topic, reply):
    found = model().blocks(reply, [fact for fact in GUARDED_FACTS if fact != topic], NEGATORS)
    assert found is None or found[0] != topic


def test_the_learned_layer_blocks_meta_talk_whatever_is_disclosed():
    for reply in LEAKS[META]:
        assert model().blocks(reply, [], NEGATORS) is not None


def test_the_learned_layer_never_holds_back_the_offline_callers_everyday_lines():
    from proto_trainer_tui.sim.lines import _generic_lines

    everyday = {line for group in _generic_lines().values() for lines in group.values() for line in lines}
    held = [line for line in sorted(everyday) if model().blocks(line.replace("{name}", "Sam"), GUARDED_FACTS, NEGATORS)]
    assert not held


def test_the_learned_layer_seldom_holds_back_any_of_the_offline_callers_lines():
    """Everyday lines, denials and each scenario's lines with nothing disclosed, safety-planning lines with
    thoughts, plan and means told: a held-back line is answered by the offline engine instead, acceptable
    now and then (under 0.5 %), never routine."""
    from benchmarks.caller_model import offline_lines

    plain, planning = offline_lines()
    held = [line for line, disclosure in [*plain, *planning]
            if model().blocks(line, disclosure.withheld, NEGATORS, disclosure.known_text)]
    assert len(plain) + len(planning) > 2000 and len(held) < 0.005 * (len(plain) + len(planning)), held


def test_the_guard_blocks_when_either_layer_blocks():
    from proto_trainer_tui.sim.guard_model import BUCKETS, feature_count

    always_meta = [0.0] * feature_count()
    always_meta[BUCKETS] = 10.0  # the bias: every reply sounds like meta talk
    never = [0.0] * feature_count()
    blocking = GuardModel({RISK: tuple(never), META: tuple(always_meta), "thoughts": tuple(never)},
                          {RISK: 0.9, META: 0.9})
    nothing = Disclosure.of(get_scenario("first-call-passive-thoughts"), [])
    clean = "Work was long today, that's all."
    assert check_reply(clean, nothing).ok and check_reply(clean, nothing, use_model=False).ok
    assert "learned layer" in check_reply(clean, nothing, model=blocking).reason
    assert not check_reply("I'm an AI language model.", nothing, use_model=False).ok


def test_training_is_deterministic():
    from benchmarks.guard_model import _example, fit

    nothing = Disclosure.of(get_scenario("plan-and-means"), [])
    items = [_example(text, nothing, expect, "test", topic) for text, expect, topic in (
        ("I want to die.", "block", "thoughts"), ("I've got pills saved.", "block", "means"),
        ("I'm an AI.", "block", META), ("The kids are at school.", "pass", None),
        ("Work was long today.", "pass", None))]
    first, second = fit(items), fit(list(items))
    assert all((first[name] == second[name]).all() for name in first)
