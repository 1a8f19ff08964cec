"""The pure reply guard: withheld risk facts, AI admissions, role-play talk and grading are held back."""

from __future__ import annotations

import pytest

from proto_trainer_tui.scenarios import get_scenario, load_library
from proto_trainer_tui.sim.reply_guard import GUARDED_FACTS, Disclosure, check_reply, default_rules, parse_rules

DANIEL = get_scenario("plan-and-means")  # plan, means (saved sleeping pills) and timeline (this weekend)


def nothing_told(scenario=DANIEL) -> Disclosure:
    return Disclosure.of(scenario, [])


def test_the_rules_file_loads_and_every_pattern_is_a_whole_word_rule():
    rules = default_rules()
    assert set(rules.topics) == set(GUARDED_FACTS)
    assert {"admits being an AI", "talks about the role-play or its instructions",
            "grades or coaches the counselor"} <= set(rules.never)
    for patterns in [*rules.topics.values(), *rules.never.values()]:
        for pattern in patterns:
            assert not pattern.search(""), pattern.pattern  # no rule fires on nothing
            assert not pattern.search("mm okay yeah"), pattern.pattern


def test_an_unknown_topic_in_the_rules_file_is_refused():
    with pytest.raises(ValueError, match="unknown guard topics"):
        parse_rules('negators = []\nstopwords = []\n[topics.weather]\npatterns = ["rain"]\n[never]\n')


@pytest.mark.parametrize("scenario", load_library(), ids=lambda s: s.id)
def test_what_every_caller_says_freely_passes_with_nothing_disclosed(scenario):
    disclosure = nothing_told(scenario)
    for line in [scenario.opening, scenario.presenting_problem, *scenario.lines.get("open_question", ())]:
        assert check_reply(line, disclosure).ok, (scenario.id, line, check_reply(line, disclosure))


@pytest.mark.parametrize("reply, topic", [
    ("There's a bottle in the cabinet I've been keeping.", "means"),
    ("I've got my sleeping tablets put away, enough of them.", "means"),
    ("I'd swallow them all and go to sleep.", "plan"),
    ("Saturday, probably. When the kids are at their mum's.", "timeline"),
    ("Honestly, everyone would be better off without me.", "thoughts"),
])
def test_a_withheld_fact_in_other_words_is_held_back(reply, topic):
    verdict = check_reply(reply, nothing_told())
    assert not verdict.ok
    assert topic.replace("_", " ") in verdict.reason


def test_once_the_engine_disclosed_a_fact_the_model_may_say_it_but_not_the_next_one():
    told_means = Disclosure.of(DANIEL, ["thoughts", "plan", "means"])
    assert check_reply("Yeah, I've been saving up my sleeping pills. There's a full bottle.", told_means).ok
    assert not check_reply("I'd take them this weekend.", told_means).ok  # timeline still withheld


def test_a_denial_is_not_a_disclosure_but_a_mention_in_a_refusal_is():
    assert check_reply("No, I don't have any pills or anything like that.", nothing_told()).ok
    assert not check_reply("I don't want to talk about the pills.", nothing_told()).ok


def test_self_harm_waits_for_its_question_and_a_caller_without_suicidal_thoughts_may_only_deny_them():
    teen = get_scenario("teen-self-harm")
    assert not check_reply("I do cut sometimes. My arm.", nothing_told(teen)).ok
    assert check_reply("Yeah. I do cut sometimes. My arm.", Disclosure.of(teen, ["self_harm"])).ok
    panic = get_scenario("panic-attack-at-work")
    assert not check_reply("Honestly, some days I want to die.", nothing_told(panic)).ok
    assert check_reply("No! I don't want to die, I'm just scared.", nothing_told(panic)).ok


def test_a_caller_without_risk_facts_may_not_invent_them():
    scenario = get_scenario("panic-attack-at-work")
    assert scenario.risk.means == ""
    assert not check_reply("I keep a gun at home.", nothing_told(scenario)).ok


@pytest.mark.parametrize("reply", [
    "As an AI language model, I can't help with that.",
    "I'm just a simulation, you know.",
    "I was programmed to play a caller.",
    "Let's step out of the role-play for a second.",
    "My instructions say I should be hesitant.",
    "Great reflection there, that was well done.",
    "I'd rate that call 7/10.",
    "Next time, try asking about my support network.",
    "(long pause) I don't know.",
    "*sighs* Okay.",
])
def test_breaking_character_or_grading_is_held_back(reply):
    assert not check_reply(reply, Disclosure.of(DANIEL, ["thoughts", "plan", "means", "timeline"])).ok


def test_denying_being_a_machine_in_character_passes():
    assert check_reply("What? No, I'm not a robot. I'm a person, I just needed to talk.", nothing_told()).ok


def test_every_planted_reply_of_the_benchmark_names_a_scenario_and_facts_that_exist():
    import csv
    from pathlib import Path

    from proto_trainer_tui.scenarios.model import RISK_FACTS

    sets = sorted((Path(__file__).parent.parent / "benchmarks" / "guard_set").glob("*.csv"))
    assert [p.stem for p in sets][-1] == "test" and len(sets) >= 2
    ids = {scenario.id for scenario in load_library()}
    held_out = sorted((Path(__file__).parent.parent / "benchmarks" / "guard_holdout").glob("*.csv"))
    assert held_out and not {p.name for p in held_out} & {p.name for p in sets}
    for path in [*sets, *held_out]:
        with path.open(newline="", encoding="utf-8") as rows:
            for row in csv.DictReader(rows):
                assert row["scenario"] in ids, (path.name, row)
                assert set(filter(None, row["disclosed"].split(";"))) <= set(RISK_FACTS), (path.name, row)
                assert row["expect"] in ("block", "pass") and row["reply"].strip(), (path.name, row)


def test_every_concept_of_the_fact_words_file_is_well_formed():
    from proto_trainer_tui.sim.reply_guard import _concepts_said, _Said

    rules = default_rules()
    names = [concept.name for concept in rules.concepts]
    assert len(names) == len(set(names)) and len(names) >= 10
    filler = _Said.of("mm okay yeah. sorry, what?")
    for concept in rules.concepts:
        assert concept.words, concept.name
        assert all(concept.words) and all(concept.cues), concept.name  # no word stems to nothing
        assert concept.always <= set(GUARDED_FACTS), concept.name
        assert not _concepts_said(filler, ((concept, concept.strong),), (), rules), concept.name


def test_a_concept_naming_an_unknown_fact_is_refused():
    from proto_trainer_tui.sim.reply_guard import parse_concepts

    with pytest.raises(ValueError, match="unknown facts"):
        parse_concepts('[concepts.x]\nstrong = true\nalways = ["weather"]\nwords = ["rain"]\n')


@pytest.mark.parametrize("variant, word", [
    ("pills", "pill"), ("tablets", "tablet"), ("saving", "saved"), ("saved", "save"), ("cutting", "cut"),
    ("collecting", "collected"), ("weekends", "weekend"), ("hanging", "hanged"), ("bleeding", "bleed"),
])
def test_simple_variants_share_a_stem(variant, word):
    from proto_trainer_tui.sim.reply_guard import stem

    assert stem(variant) == stem(word)


@pytest.mark.parametrize("reply", [
    "I've been collecting them. The sleeping ones.",  # no phrase of the rules: the fact's concepts
    "Dozens of them, in a jar upstairs.",  # two weak concepts of the means together
    "I've got a stash of sleepers in the bathroom.",
])
def test_a_withheld_fact_is_recognised_by_its_content_however_it_is_worded(reply):
    assert not check_reply(reply, nothing_told()).ok


def test_a_time_gives_the_timeline_away_only_for_a_caller_whose_timeline_is_a_time():
    told_all_but_when = Disclosure.of(DANIEL, ["thoughts", "plan", "means"])  # timeline: "This weekend"
    verdict = check_reply("Saturday, probably.", told_all_but_when)
    assert not verdict.ok and "timeline" in verdict.reason
    maya = get_scenario("first-call-passive-thoughts")  # timeline: "No, there's no..." (a denial)
    assert check_reply("Nina wants me over for dinner on Saturday.", nothing_told(maya)).ok


def test_one_weak_word_alone_passes_and_so_do_denials_and_deflections():
    for reply in ["The bathroom's a mess, honestly.", "I haven't got any tablets in the house.",
                  "I'd rather not say when.", "No, I've never collected anything like that."]:
        assert check_reply(reply, nothing_told()).ok, reply


def test_a_hedge_is_not_a_denial():
    assert not check_reply("I don't think I'll be here much longer.", nothing_told()).ok
    assert check_reply("I don't have any pills.", nothing_told()).ok


def test_the_caller_s_own_free_words_never_count_as_a_concept():
    # "every other weekend" is in Daniel's presenting problem, so "weekend" alone tells nothing.
    told_all_but_when = Disclosure.of(DANIEL, ["thoughts", "plan", "means"])
    assert check_reply("I had the kids last weekend. It was nice.", told_all_but_when).ok


def test_a_strong_word_of_free_talk_only_backs_another_concept():
    told_all_but_when = Disclosure.of(DANIEL, ["thoughts", "plan", "means"])  # "Sunday" is in his story
    assert check_reply("We usually have a roast on Sunday.", told_all_but_when).ok
    assert not check_reply("Sunday night, once Emma's gone home.", told_all_but_when).ok
