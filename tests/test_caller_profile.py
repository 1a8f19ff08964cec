"""The offline caller plays the scenario's profile: stated facts as stated, nothing invented."""

from __future__ import annotations

import pytest

from proto_trainer_tui.scenarios.model import Scenario
from proto_trainer_tui.sim.caller import CallerEngine, profile_answer_key, profile_lines

HELLO = "Crisis line, this is Sam."
SUICIDE = "Are you thinking about killing yourself?"
PLAN = "Do you have a plan?"
NAME = "Can I ask your name?"


def plays(caller: CallerEngine, reply: str, table: str, key: str) -> bool:
    """``reply`` is one of the lines for (table, key), perhaps after a hesitation."""
    return any(reply.endswith(caller._fill(line)) for line in profile_lines()[table][key])


def caller_for(prompt: str, **columns: str) -> CallerEngine:
    caller = CallerEngine(Scenario.from_prompt(prompt, columns=columns or None))
    caller.reply(HELLO)
    return caller


def test_a_stated_name_is_given_and_an_unstated_one_is_never_invented():
    assert "Sarah" in caller_for("You are Sarah, 34. Work is crushing you.").reply(NAME)
    assert "Chris" in caller_for("Name: Chris. No Risk.").reply("What's your name?")
    unnamed = caller_for("Caller lost their job.")
    answer = unnamed.reply(NAME)
    assert answer in [unnamed._fill(line) for line in profile_lines()["name"]["not_stated"]]
    assert "Jordan" not in " ".join(unnamed.reply(q) for q in ("Tell me more.", "Go on.", "What else?"))


def test_denials_are_played_as_denials():
    caller = caller_for("Deny SI/self-harm, discuss coping skills for work stress.")
    assert caller.reply(SUICIDE).lower().startswith("no")
    assert "don't hurt myself" in caller.reply("Have you been hurting yourself?").lower()
    no_plan = caller_for("You have been thinking about killing yourself but you do NOT have a specific plan.")
    assert plays(no_plan, no_plan.reply(SUICIDE), "suicide", "active")
    assert "don't have a plan" in no_plan.reply(PLAN).lower()


def test_what_is_not_stated_is_deflected_never_invented():
    caller = caller_for("You are calling because your car broke down and you feel overwhelmed.")
    lines = profile_lines()
    assert caller.reply(SUICIDE) in [caller._fill(x) for x in lines["suicide"]["not_stated"]]
    assert caller.reply(PLAN) in [caller._fill(x) for x in lines["plan"]["not_stated"]]
    assert caller.reply("Do you have access to pills or a gun?") in [caller._fill(x) for x in lines["means"]["not_stated"]]
    assert not caller.disclosed


def test_plan_and_means_as_stated():
    caller = caller_for("You plan to overdose on the pills you keep in your nightstand.")
    assert plays(caller, caller.reply(SUICIDE), "suicide", "plan")
    assert plays(caller, caller.reply(PLAN), "plan", "yes")
    assert "pills" in caller.reply("Do you have access to the pills?").lower()


def test_a_column_sets_what_the_caller_plays():
    caller = caller_for("A caller who is struggling.", risk="none", caller_name="Robin")
    assert caller.reply(SUICIDE).lower().startswith("no")
    assert "Robin" in caller.reply(NAME)


def test_professional_callers_answer_as_themselves_and_open_as_themselves():
    scenario = Scenario.from_prompt("You are a police officer calling about a man standing on a bridge.")
    caller = CallerEngine(scenario)
    opening = caller.reply(HELLO)
    assert "police officer" in opening and "not really sure how this works" not in opening
    assert plays(caller, caller.reply(SUICIDE), "suicide", "professional")


def test_third_parties_answer_about_the_person_they_call_about():
    caller = caller_for("Mother calling about her son, Jake, who has been talking about suicide. "
                        "She is not suicidal herself.")
    assert caller.reply("Is he thinking about killing himself?") in [
        caller._fill(x) for x in profile_lines()["about_suicide"]["yes"]]
    assert caller.reply("And are you thinking about suicide yourself?").lower().startswith(("me? no", "no, not me"))


def test_a_silent_caller_stays_silent_until_engaged():
    caller = CallerEngine(Scenario.from_prompt("Silent call. The caller is silent at first, just breathing."))
    assert caller.reply(HELLO) == ""
    assert caller.reply("Hello? Is anyone there?") == ""
    assert caller.reply("I'm here whenever you're ready. Take your time.") != ""


def test_transfer_and_hang_up_openings():
    transfer = CallerEngine(Scenario.from_prompt("911 dispatcher transferring a caller who is intoxicated and suicidal."))
    assert "transferring" in transfer.reply(HELLO).lower()
    assert plays(transfer, transfer.reply(SUICIDE), "suicide", "active")  # the caller handed over speaks now
    hang_up = CallerEngine(Scenario.from_prompt("Hang-up call: the caller hangs up right after the greeting."))
    hang_up.reply(HELLO)
    assert hang_up.ended


def test_homicidal_ideation_is_played_with_its_target():
    caller = caller_for("You want to kill your stepfather for what he did. You deny SI.")
    assert caller.reply(SUICIDE).lower().startswith("no")
    assert "my stepfather" in caller.reply("Are you having thoughts of hurting someone else?")


@pytest.mark.parametrize("table", ["name", "suicide", "about_suicide", "plan", "about_plan", "means", "timeline",
                                   "past_attempts", "self_harm", "homicidal", "opening"])
def test_every_line_table_is_non_empty_and_every_answer_key_exists(table):
    lines = profile_lines()[table]
    assert lines and all(options and all(o.strip() for o in options) for options in lines.values())


def test_profile_answer_keys_exist_for_every_state():
    for prompt in ("Deny SI.", "Passive SI.", "Pt endorses SI.", "Has a plan to overdose.", "You lost your job.",
                   "Mother calling about her son.", "You are a police officer calling about a man."):
        profile = Scenario.from_prompt(prompt).profile
        for topic in ("name", "suicide", "plan", "means", "timeline", "past_attempts", "self_harm", "homicidal"):
            for about_other in (False, True):
                table, key = profile_answer_key(profile, topic, about_other)
                assert profile_lines()[table][key]
