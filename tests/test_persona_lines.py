"""Everyday lines and answers written per persona: no two bundled callers share a line (issue 14)."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from importlib import resources

import pytest

from proto_trainer_tui.scenarios import load_library
from proto_trainer_tui.scenarios.model import Scenario
from proto_trainer_tui.sim.caller import CallerEngine, generic, profile_lines
from proto_trainer_tui.sim.lines import answer_lines, own_lines, persona_lines
from proto_trainer_tui.sim.moves import Move
from proto_trainer_tui.sim.reply_guard import Disclosure, check_reply
from proto_trainer_tui.text import printable

# What any caller may say in passing, whatever their story: the keys each persona writes.
EVERYDAY = ("greeting", "no_answer", "not_heard", "open_more", "guarded", "guarded_risk", "empathy",
            "empathy_hurt", "dismissive", "closed_question", "offer_help", "offer_help_hesitant", "closing",
            "closing_hurt", "off_script", "unknown", "hesitation", "repeat", "freshen")
GROUPS = ("adult", "older", "young")
HELLO = "Hi, this is Alex at the crisis line."


def bundled() -> list[Scenario]:
    return list(load_library())


# caller_lines.toml's answers a persona may write its own of: safety planning and help by stance, and
# the story's fallbacks (a fact the story does not hold; the lead-in before a fact told again).
HELP = {f"help.{table}": tuple(keys) for table, keys in profile_lines()["help"].items()}
STORY = ("who_unknown", "age_person_not_stated", "age_self_not_stated", "duration_not_stated", "work_not_stated",
         "coping_not_stated", "again")
ANSWERS = {**HELP, "story": STORY}


def own_answers(persona: str) -> list[tuple[str, str, str]]:
    """(table, key, line) for every answer the persona writes itself."""
    return [(table, key, line) for table, keys in ANSWERS.items() for key in keys
            for line in own_lines(persona, *table.split("."), key)]


def spoken_by(scenario: Scenario) -> set[str]:
    """Every everyday line this caller can say: the scenario's own [lines], then its persona's; and its
    own answers."""
    own = persona_lines()[scenario.id]
    everyday = {line for key in (*EVERYDAY, "closing_resist")
                for line in (*scenario.lines.get(key, ()), *own.get(key, ()))}
    return everyday | {line for _, _, line in own_answers(scenario.id)}


def reachable_answers(scenario: Scenario) -> set[tuple[str, str]]:
    """The answers this caller can give, at any mood: each (table, key) its story and profile lead to."""
    engine = CallerEngine(scenario)
    facts = engine._story_facts
    reached = {("story", "who_unknown"), ("story", "age_person_not_stated"), ("story", "again")}
    if not (scenario.profile.age or scenario.persona.age):
        reached.add(("story", "age_self_not_stated"))
    reached |= {("story", f"{topic}_not_stated") for topic in ("duration", "work", "coping")
                if not facts.clauses(topic)}
    for move in (Move(table.split(".")[1]) for table in HELP):
        if move is Move.COPING and not facts.clauses("coping"):
            continue  # answered by the story's coping_not_stated
        for mood in range(-3, 4):
            engine._mood = mood
            reached.add((f"help.{move.value}", engine._help_stance(move)))
    return reached


def placeholders(line: str) -> set[str]:
    return {name.lower() for name in re.findall(r"\{(\w+)\}", line)}


def test_every_bundled_caller_has_its_own_lines_for_every_everyday_key():
    ids = {scenario.id for scenario in bundled()}
    assert set(persona_lines()) == ids
    for scenario in bundled():
        missing = [key for key in EVERYDAY if not persona_lines()[scenario.id].get(key)]
        assert not missing, (scenario.id, missing)


def test_no_line_is_said_by_two_personas():
    speakers: dict[str, set[str]] = defaultdict(set)
    for scenario in bundled():
        for line in spoken_by(scenario):
            speakers[line].add(scenario.id)
    for group in GROUPS:  # the neutral set is another caller too (imported scenarios)
        for key in EVERYDAY:
            for line in generic(key, group):
                speakers[line].add("neutral")
    for table, keys in ANSWERS.items():
        for key in keys:
            for line in answer_lines(table, key):
                speakers[line].add("neutral")
    shared = {line: sorted(who) for line, who in speakers.items() if len(who) > 1}
    assert not shared


def _all_lines(table) -> list[str]:
    if isinstance(table, str):
        return [table]
    if isinstance(table, (list, tuple)):
        return [line for item in table for line in _all_lines(item)]
    return [line for value in table.values() for line in _all_lines(value)]


def test_every_line_is_printable_text():
    generic_lines = tomllib.loads((resources.files("proto_trainer_tui.sim") / "generic_lines.toml").read_text())
    lines = [*_all_lines(persona_lines()), *_all_lines(generic_lines), *_all_lines(profile_lines()),
             *(line for scenario in bundled() for line in _all_lines(dict(scenario.lines)))]
    assert len(lines) > 500
    for line in lines:
        assert line and line == line.strip() and line == printable(line) and "\n" not in line, repr(line)


@pytest.mark.parametrize("scenario", bundled(), ids=lambda s: s.id)
def test_persona_lines_keep_the_disclosure_rules(scenario):
    own = {key: lines for key, lines in persona_lines()[scenario.id].items() if isinstance(lines, list)}
    engine = CallerEngine(scenario)
    nothing = Disclosure.of(scenario, [])
    for key, lines in own.items():
        for line in lines:
            # Nothing only the brief holds (the lunch club, a brother) before anyone has said it.
            assert engine._nothing_unsaid(line), (key, line)
            assert "{" not in engine._fill(line), line
            # Nor anything the reply guard would hold back from a model ("Not yet." sounds like a when).
            assert check_reply(engine._fill(line), nothing).ok, (key, line)
    for line in own["closed_question"]:  # an unrecognised yes/no question may be about risk
        assert not re.search(r"\b(yes|yeah|i think so|maybe|sort of|kind of)\b", line.lower()), line
    for line in own["off_script"]:
        assert not re.search(r"\b(ai|bot|model|grade|score|assistant)\b", line.lower()), line


def test_callers_answer_small_talk_in_their_own_words():
    script = [HELLO, "Thank you for telling me that.", "Mm.", "Could we look at some options together?",
              "Sorry, what was that?", "Thanks for calling, take care, goodbye."]
    replies: dict[str, str] = {}
    for scenario in bundled():
        engine = CallerEngine(scenario, seed=3)
        for reply in (engine.reply(text) for text in script[:1]):
            assert reply
        for text in script[1:]:
            reply = engine.reply(text)
            assert reply not in replies, (scenario.id, replies.get(reply), reply)
            replies[reply] = scenario.id


def test_imported_scenarios_keep_the_neutral_set():
    imported = Scenario.from_prompt("You are Sam, 40. Your father died six weeks ago.")
    engine = CallerEngine(imported)
    assert engine._generic("empathy") == generic("empathy", "adult")
    older = CallerEngine(Scenario.from_prompt("You are a 75-year-old widow named June."))
    assert older._generic("empathy") == generic("empathy", "older")


def test_freshening_lead_ins_stand_alone():
    """They go before any line already said ("Thank you."), so none runs on into it."""
    for table in (*persona_lines().values(), *(({"freshen": generic("freshen", g)}) for g in GROUPS)):
        for lead in table["freshen"]:
            assert lead.endswith((".", "?", "!")), lead


# --- the caller's own answers to safety planning and story questions -----------------


@pytest.mark.parametrize("scenario", bundled(), ids=lambda s: s.id)
def test_every_bundled_caller_answers_in_its_own_words(scenario):
    """Each answer the caller can give, at any mood, is its own; and it writes no key the engine lacks."""
    written = {(table, key) for table, key, _ in own_answers(scenario.id)}
    assert reachable_answers(scenario) <= written, sorted(reachable_answers(scenario) - written)
    own = persona_lines()[scenario.id]
    for table in ("help", "story"):
        for name, keys in own.get(table, {}).items():
            path = f"help.{name}" if table == "help" else "story"
            assert (set(keys) if table == "help" else {name}) <= set(ANSWERS.get(path, ())), (table, name)


@pytest.mark.parametrize("scenario", bundled(), ids=lambda s: s.id)
def test_own_answers_keep_the_shared_placeholders_and_meaning(scenario):
    for table, key, line in own_answers(scenario.id):
        shared = [placeholders(s) for s in answer_lines(table, key)]
        required, allowed = set.intersection(*shared), set.union(*shared)
        assert required <= placeholders(line) <= allowed, (table, key, line)
        words = re.findall(r"[a-z']+", line.lower())
        said_no = {"no", "not", "nothing", "nobody", "never", "none", "nah", "nope", "won't", "don't", "doesn't",
                   "can't", "isn't", "wouldn't", "couldn't", "haven't", "didn't", "shouldn't", "dunno"} & set(words)
        if key in ("refuse", "nothing", "nobody", "no_risk") or key.endswith("_not_stated") or key == "who_unknown":
            assert said_no, (table, key, line)  # a refusal, nothing, nobody, no risk, not saying
        if key == "agree":
            assert words[0] not in ("no", "not", "nothing", "nobody", "never"), line
        if table == "story" and key != "again":
            assert not re.search(r"\d", line), line  # never an invented age or span
        if key == "again":
            assert line.endswith(","), line  # a lead-in that runs on into the fact told again


@pytest.mark.parametrize("scenario", bundled(), ids=lambda s: s.id)
def test_own_answers_tell_nothing_and_pass_the_reply_guard(scenario):
    engine = CallerEngine(scenario)
    nothing, told = Disclosure.of(scenario, []), Disclosure.of(scenario, ["thoughts", "plan", "means"])
    values = {"help": "my sister", "Help": "My sister", "them": "them", "coping": "I go for a walk."}
    for table, key, line in own_answers(scenario.id):
        assert engine._nothing_unsaid(line), (table, key, line)
        filled = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], line)
        if key != "again":
            assert check_reply(filled, told if table.startswith("help") else nothing).ok, (table, key, line)


def test_a_bundled_caller_answers_with_its_own_lines_an_imported_one_with_the_shared():
    give = "Would you be willing to give the pills to someone until the weekend is over?"
    daniel = CallerEngine(next(s for s in bundled() if s.id == "plan-and-means"))
    daniel.reply(HELLO)
    own = [line.replace("{them}", "them").replace("{help}", "someone")
           for line in own_lines("plan-and-means", "help", "means_safety", "bargain") +
           own_lines("plan-and-means", "help", "means_safety", "agree")]
    assert daniel.reply(give) in own
    imported = CallerEngine(Scenario.from_prompt("You are Sam, 40. Your father died six weeks ago. You have no plan."))
    imported.reply(HELLO)
    assert imported._answers("help.call_back", "agree") == profile_lines()["help"]["call_back"]["agree"]
    assert imported._answers("story", "again") == profile_lines()["story"]["again"]
