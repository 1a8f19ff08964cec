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
        assert not _concepts_said(filler, (concept,), _Said.of(""), rules), concept.name


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


# --- What a withheld fact is about, in words that are none of the fact's ------------------------

MAYA = "first-call-passive-thoughts"  # passive thoughts; no plan, no means, no timeline (all denials)
WALTER = "repeat-caller-resists-ending"  # no risk facts at all


@pytest.mark.parametrize("scenario, disclosed, reply", [
    # having a way, a method
    ("plan-and-means", [], "There's a way I'd go about it. I've known which for a while."),
    (MAYA, ["thoughts"], "I've found a method. I'd rather not say which."),
    (WALTER, [], "I know what I'd use, and it's right here in the house."),
    # having got something ready
    ("plan-and-means", ["thoughts"], "Everything's ready now. I only need the right night."),
    ("declines-demographics", ["thoughts"], "I've got what I need, put aside where nobody looks."),
    (MAYA, ["thoughts", "plan"], "I've got it all arranged. It's in place."),
    # a time or an occasion it will happen
    ("substance-use-relapse", ["thoughts", "plan", "means"], "Wednesday, I reckon."),
    (MAYA, ["thoughts", "plan", "means"], "Sometime next month, probably."),
    ("sudden-loss-grief", ["thoughts"], "After Michael's birthday. I wouldn't spoil that for him."),
    ("panic-attack-at-work", [], "When the time comes I'll know. Soon, I think."),
    # not being around
    ("declines-demographics", [], "My brother will have to manage when I'm gone."),
    ("domestic-violence-unsure", [], "I won't be around to see how it turns out."),
    (WALTER, [], "I don't expect I'll see the summer, love."),
    # goodbyes
    ("substance-use-relapse", [], "I went round to say my goodbyes to Dad. He thought I was just visiting."),
    (MAYA, [], "I rang Nina to thank her for everything. She'll understand later."),
    # giving things away
    ("teen-self-harm", [], "I gave Amir all my drawings and told him to keep them."),
    ("repeat-caller-resists-ending", [], "I've given the car to my nephew. I won't need it."),
    # a caller with no such fact who invents one
    ("panic-attack-at-work", [], "I've been collecting my sleeping tablets for weeks."),
    ("domestic-violence-unsure", [], "Friday, probably. I've made my mind up."),
])
def test_a_withheld_fact_is_held_back_by_what_it_is_about(scenario, disclosed, reply):
    verdict = check_reply(reply, Disclosure.of(get_scenario(scenario), disclosed))
    assert not verdict.ok, (scenario, reply)


@pytest.mark.parametrize("scenario, disclosed, reply", [
    # denials in their many forms
    ("plan-and-means", [], "No. God, no. I'd never do that to the kids."),
    ("plan-and-means", [], "I'm not planning anything, honestly. I'm just low."),
    (MAYA, [], "No, I haven't got anything like that in the flat."),
    ("substance-use-relapse", [], "No, I've never tried to hurt myself. Not even drunk."),
    ("teen-self-harm", [], "No, I'm not going to kill myself, if that's what you mean."),
    ("sudden-loss-grief", [], "Oh goodness, no. I'd never do anything like that."),
    ("panic-attack-at-work", [], "No! I don't want to die, I just want this to stop."),
    # everyday senses of tried, took, cut
    ("worried-about-a-friend", [], "I tried ringing her sister and her work. Nothing."),
    ("plan-and-means", [], "I tried to get the kids a nice tea on Sunday."),
    ("teen-self-harm", [], "I tried so hard for that mock and still got a C."),
    (MAYA, [], "They cut my hours before they let me go."),
    ("teen-self-harm", [], "I cut my fringe myself. It looks awful."),
    ("substance-use-relapse", [], "I took Lily to the park last week. She loved it."),
    ("sudden-loss-grief", [], "I cut back the roses like Harold used to."),
    # facts already disclosed
    ("plan-and-means", ["thoughts", "plan", "means"], "The pills are still in the cabinet, yes."),
    ("plan-and-means", ["thoughts", "plan", "means", "timeline"], "I said the weekend. When the kids are at their mum's."),
    # ordinary life with times, plans for help, and ready
    (MAYA, [], "Nina's coming round on Friday. I said I'd cook."),
    ("substance-use-relapse", [], "There's a meeting tomorrow night. I might actually go."),
    ("substance-use-relapse", ["thoughts", "plan", "means"], "I could ring Pete tonight, I suppose."),
    ("panic-attack-at-work", [], "My slides are ready. It's my hands that aren't."),
    ("teen-self-harm", [], "I'm not ready to tell my parents. Maybe after exams."),
    ("sudden-loss-grief", [], "I gave Harold's coat to Michael. It fits him."),
    ("plan-and-means", [], "Thanks. I'll say goodbye now, I feel a bit better."),
    ("panic-attack-at-work", [], "I honestly thought I was dying, my heart was going so fast."),
    # manners at the end of a call, figures of speech
    (WALTER, [], "Thank you for everything, love. I'll ring again tomorrow."),
    (MAYA, [], "Nina's counting on me to help with her move on Saturday."),
    ("plan-and-means", [], "I need to find a way to tell the kids about the new flat."),
    ("teen-self-harm", [], "In a way it's my own fault. I should have revised."),
])
def test_clean_replies_pass(scenario, disclosed, reply):
    verdict = check_reply(reply, Disclosure.of(get_scenario(scenario), disclosed))
    assert verdict.ok, (scenario, reply, verdict.reason)


def test_a_time_said_alone_answers_when_but_a_time_in_ordinary_talk_does_not():
    maya = nothing_told(get_scenario(MAYA))
    for bare in ["Thursday.", "Tomorrow, maybe.", "Tonight, I think.", "In a couple of days, probably."]:
        assert not check_reply(bare, maya).ok, bare
    for talk in ["I've got an interview on Thursday.", "Tomorrow I'm meant to ring the job centre.",
                 "I barely slept last night."]:
        assert check_reply(talk, maya).ok, talk


def test_everyday_senses_are_masked_but_their_context_is_still_checked():
    from proto_trainer_tui.sim.reply_guard import mask_everyday, normalise

    rules = default_rules()
    assert "tried" not in mask_everyday(normalise("I tried calling her."), rules)
    assert "tried" in mask_everyday(normalise("I tried to kill myself."), rules)  # a "!" context
    masked = mask_everyday(normalise("I tried hiding my pills from myself."), rules)
    assert "tried" not in masked and "pills" in masked  # the context's words stay
    assert not check_reply("I tried hiding my pills from myself.", Disclosure.of(DANIEL, ["thoughts"])).ok


def test_every_everyday_context_masks_its_trigger_and_every_exception_keeps_it():
    from proto_trainer_tui.sim.reply_guard import mask_everyday

    rules = default_rules()
    for trigger, contexts in rules.everyday.items():
        for everyday, pattern in contexts:
            words = [w.replace("*", "walk") for w in pattern]  # "*ing" -> "walking", "to *" -> "to walk"
            text = " ".join(["well", *trigger, *words]) + "."  # the clause ends: "tried to take."
            masked = mask_everyday(text, rules).split()
            kept = masked[1:1 + len(trigger)] == list(trigger)
            assert kept != everyday or (not everyday and kept), (trigger, pattern)


def test_a_fact_that_is_a_denial_brings_no_words_of_its_own():
    from proto_trainer_tui.sim.reply_guard import _states_something

    rules = default_rules()
    assert not _states_something("Oh, no, no. Nothing like that.", rules)
    assert not _states_something("Me? No, no, I'm okay.", rules)
    assert _states_something("Yeah. I have. I've been thinking about it.", rules)
    teen = nothing_told(get_scenario("teen-self-harm"))  # past attempts: "I've never tried to kill myself"
    assert teen.distinctive_words("past_attempts", rules) == frozenset()


def test_a_wildcard_stands_for_one_to_three_words():
    from proto_trainer_tui.sim.reply_guard import _concept_phrase, _end, phrase

    gave = _concept_phrase("gave * to")
    assert _end(gave, phrase("I gave my old guitar to her"), 1) == 6
    assert _end(gave, phrase("I gave to charity"), 1) is None  # one word at least
    assert _end(gave, phrase("I gave all of my old things to her"), 1) is None  # more than three


def test_concepts_of_different_withheld_facts_together_give_risk_away():
    walter = nothing_told(get_scenario(WALTER))  # "be with Joan" is about thoughts, "soon" a time
    assert not check_reply("I might go and be with Joan soon.", walter).ok
    assert check_reply("I might go to the lunch club soon.", walter).ok


def test_a_weak_concept_coming_back_in_another_clause_counts_twice():
    maya = nothing_told(get_scenario(MAYA))
    assert not check_reply("I told Nina thanks for everything. She'll understand later.", maya).ok
    assert check_reply("I told Nina thanks for everything.", maya).ok


@pytest.mark.parametrize("scenario", load_library(), ids=lambda s: s.id)
def test_every_everyday_line_of_the_offline_caller_passes_for_every_caller(scenario):
    import re

    from proto_trainer_tui.sim.lines import _generic_lines

    disclosure = nothing_told(scenario)
    lines = [line for group in _generic_lines().values() for key in group.values() for line in key]
    for line in lines:
        line = re.sub(r"\{\w+\}", "Sam", line)
        assert check_reply(line, disclosure).ok, (scenario.id, line, check_reply(line, disclosure))


def test_a_word_that_counts_only_said_alone():
    maya = nothing_told(get_scenario(MAYA))
    assert not check_reply("I wanted someone to know. Before.", maya).ok
    assert check_reply("Before that, I was a project manager.", maya).ok


def test_a_bare_time_may_take_several_words_of_its_concept():
    told_all_but_when = Disclosure.of(DANIEL, ["thoughts", "plan", "means"])
    assert not check_reply("Probably this coming Saturday.", told_all_but_when).ok
    assert not check_reply("The end of the month, I reckon.", told_all_but_when).ok


def test_every_filler_is_one_word_and_every_concept_phrase_starts_with_a_word():
    rules = default_rules()
    assert rules.fillers and all(" " not in word and word.isalnum() for word in rules.fillers)
    for concept in rules.concepts:
        for words in (*concept.words, *concept.said_alone):
            assert words and words[0] != "*", concept.name
