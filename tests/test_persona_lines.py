"""Everyday lines written per persona: no two bundled callers share a line (issue 14)."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from importlib import resources

import pytest

from proto_trainer_tui.scenarios import load_library
from proto_trainer_tui.scenarios.model import Scenario
from proto_trainer_tui.sim.caller import CallerEngine, generic, profile_lines
from proto_trainer_tui.sim.lines import persona_lines
from proto_trainer_tui.text import printable

# What any caller may say in passing, whatever their story: the keys each persona writes.
EVERYDAY = ("greeting", "no_answer", "not_heard", "open_more", "guarded", "guarded_risk", "empathy",
            "empathy_hurt", "dismissive", "closed_question", "offer_help", "offer_help_hesitant", "closing",
            "closing_hurt", "off_script", "unknown", "hesitation", "repeat", "freshen")
GROUPS = ("adult", "older", "young")
HELLO = "Hi, this is Alex at the crisis line."


def bundled() -> list[Scenario]:
    return list(load_library())


def spoken_by(scenario: Scenario) -> set[str]:
    """Every everyday line this caller can say: the scenario's own [lines], then its persona's."""
    own = persona_lines()[scenario.id]
    return {line for key in (*EVERYDAY, "closing_resist") for line in (*scenario.lines.get(key, ()), *own.get(key, ()))}


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
    own = persona_lines()[scenario.id]
    engine = CallerEngine(scenario)
    for key, lines in own.items():
        for line in lines:
            # Nothing only the brief holds (the lunch club, a brother) before anyone has said it.
            assert engine._nothing_unsaid(line), (key, line)
            assert "{" not in engine._fill(line), line
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
