"""Scenario model, bundled library and instructions round trip."""

import pytest

from proto_trainer_tui.scenarios import (
    FREE_PRACTICE,
    ScenarioFileError,
    UnknownScenario,
    get_scenario,
    load_library,
    parse_scenario_toml,
    scenario_for_instructions,
)
from proto_trainer_tui.scenarios.model import RISK_LEVELS, Scenario

VALID_TOML = '''
id = "test-case"
title = "Test"
category = "test"
description = "A test scenario."
prompt = "You are a 40-year-old named Kim who feels lonely."
opening = "Hi, is this the crisis line?"
presenting_problem = "I feel lonely."

[persona]
name = "Kim"
age = 40

[risk]
level = "none"
'''

CSV_PROMPT = (
    "You are a 24-year-old named Alex who recently lost your job. You feel hopeless "
    "and have been thinking about ending your life."
)


def test_library_has_at_least_five_scenarios_sorted_by_title():
    library = load_library()
    assert len(library) >= 5
    titles = [s.title.lower() for s in library]
    assert titles == sorted(titles)


def test_library_ids_unique_and_cover_risk_levels():
    library = load_library()
    ids = [s.id for s in library]
    assert len(ids) == len(set(ids))
    assert "free" not in ids
    assert {s.risk.level for s in library} >= {"none", "passive", "plan"}
    assert all(s.risk.level in RISK_LEVELS for s in library)


@pytest.mark.parametrize("scenario", [*load_library(), FREE_PRACTICE], ids=lambda s: s.id)
def test_instructions_contain_brief_and_in_character_rule(scenario):
    text = scenario.caller_instructions()
    assert scenario.prompt in text
    assert "character" in text
    assert "Never evaluate" in text
    assert text == scenario.caller_instructions()  # deterministic


def test_plan_scenario_instructions_gate_facts_behind_direct_questions():
    scenario = get_scenario("plan-and-means")
    text = scenario.caller_instructions()
    assert scenario.risk.plan in text and scenario.risk.means in text
    assert "asks about them directly" in text


def test_get_scenario_free_and_unknown():
    assert get_scenario("free") is FREE_PRACTICE
    with pytest.raises(UnknownScenario) as info:
        get_scenario("nope")
    assert isinstance(info.value, KeyError)
    assert "free" in str(info.value) and "plan-and-means" in str(info.value)


def test_parse_valid_toml_defaults():
    scenario = parse_scenario_toml(VALID_TOML, "kim.toml")
    assert scenario.persona.voice == "en-us" and scenario.persona.rate_wpm == 165
    assert scenario.mode == "phone" and dict(scenario.lines) == {}


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (VALID_TOML.replace('level = "none"', 'level = "maybe"'), "risk.level"),
        (VALID_TOML.replace("age = 40", 'age = "forty"'), "persona.age"),
        (VALID_TOML.replace('opening = "Hi, is this the crisis line?"\n', ""), "opening"),
        (VALID_TOML.replace('id = "test-case"', 'id = "Test Case"'), "id"),
        (VALID_TOML + '\n[lines]\nshouting = ["HEY"]\n', "lines.shouting"),
        (VALID_TOML + '\n[lines]\ngreeting = "hi"\n', "lines.greeting"),
    ],
    ids=lambda value: value if "\n" not in value else "",
)
def test_bad_toml_error_names_file_and_field(broken, field):
    with pytest.raises(ScenarioFileError) as info:
        parse_scenario_toml(broken, "broken.toml")
    assert "broken.toml" in str(info.value)
    assert f"'{field}'" in str(info.value)
    assert info.value.field == field


@pytest.mark.parametrize("scenario", [*load_library(), FREE_PRACTICE], ids=lambda s: s.id)
def test_instructions_round_trip(scenario):
    assert scenario_for_instructions(scenario.caller_instructions()) is scenario


def test_empty_instructions_mean_free_practice():
    assert scenario_for_instructions("") is FREE_PRACTICE
    assert scenario_for_instructions("   \n") is FREE_PRACTICE


def test_free_text_prompt_fallback():
    scenario = scenario_for_instructions(CSV_PROMPT)
    assert scenario.persona.name == "Alex"
    assert scenario.persona.age == 24
    assert scenario.profile.risk in ("passive", "active", "plan")
    assert scenario.prompt == CSV_PROMPT


def test_custom_scenario_round_trips_through_its_instructions():
    custom = Scenario.from_prompt(CSV_PROMPT, title="Alex after the layoff")
    assert scenario_for_instructions(custom.caller_instructions()) == custom


@pytest.mark.parametrize(
    ("prompt", "level"),
    [
        ("You are a man who is stressed about exams.", "not_stated"),  # silence is not "no risk"
        ("You are a woman who has thought about suicide but has no plan.", "active"),
        ("You are a man planning to kill himself with pills he has saved.", "plan"),
        ("You are a teenager who has been cutting yourself to cope.", "not_stated"),
    ],
)
def test_from_prompt_reads_the_stated_risk_level(prompt, level):
    scenario = Scenario.from_prompt(prompt)
    assert scenario.profile.risk == scenario.risk.level == level


def test_a_trailing_newline_keeps_a_bundled_scenario():
    scenario = get_scenario("plan-and-means")
    assert scenario_for_instructions(scenario.caller_instructions() + "\n") is scenario
    assert scenario_for_instructions("  " + scenario.prompt + "\n") is scenario


def test_instructions_carry_only_stated_facts_and_never_the_evaluator_context():
    scenario = Scenario.from_prompt("You are Sarah. Deny SI/self-harm.", evaluator_context="SECRET CRITERIA")
    text = scenario.caller_instructions()
    assert "SECRET CRITERIA" not in text
    assert "- caller_name: Sarah" in text and "- risk: none" in text and "- self_harm: no" in text
    assert "plan:" not in text and "means:" not in text  # not stated, so not sent


def test_from_prompt_infers_voice_from_self_description():
    assert Scenario.from_prompt("You are a 60-year-old woman whose son died.").persona.voice == "en-us+f3"
    assert Scenario.from_prompt("You are a man whose mother died.").persona.voice == "en-us+m3"


def test_scenarios_are_immutable():
    scenario = get_scenario("panic-attack-at-work")
    with pytest.raises(Exception):
        scenario.title = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        scenario.lines["greeting"] = ("hi",)  # type: ignore[index]
