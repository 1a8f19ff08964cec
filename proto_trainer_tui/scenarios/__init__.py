"""Bundled practice scenarios and lookup helpers."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from .model import (
    BEHAVIOUR_FIELDS,
    FREE_ID,
    FREE_PRACTICE,
    LINE_KEYS,
    RISK_FACTS,
    RISK_LEVELS,
    Behaviour,
    Persona,
    Risk,
    Scenario,
)
from .profile import FIELD_NAMES, Profile

__all__ = [
    "FREE_PRACTICE", "Persona", "Risk", "Scenario", "ScenarioFileError", "UnknownScenario",
    "get_scenario", "load_library", "parse_scenario_toml", "scenario_for_instructions", "select_scenario",
]

_REQUIRED_TEXT = ("id", "title", "category", "description", "prompt", "opening", "presenting_problem")


class ScenarioFileError(ValueError):
    """A scenario file is malformed; the message names the file and the field."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        super().__init__(f"{source}: field '{field}' {problem}")
        self.source = source
        self.field = field


class UnknownScenario(KeyError):
    def __init__(self, scenario_id: str, valid_ids: list[str]) -> None:
        super().__init__(scenario_id)
        self.message = f"unknown scenario {scenario_id!r}; valid ids: {', '.join(valid_ids)}"

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


def parse_scenario_toml(text: str, source: str = "<string>") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioFileError(source, "<toml>", f"is not valid TOML: {error}") from error
    return scenario_from_dict(data, source)


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Validate one scenario table field by field so errors point at the culprit."""
    text = {name: _text(data, name, source) for name in _REQUIRED_TEXT}
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", text["id"]):
        raise ScenarioFileError(source, "id", f"must be kebab-case, got {text['id']!r}")
    persona_data = _table(data, "persona", source, required=True)
    risk_data = _table(data, "risk", source, required=True)
    level = _text(risk_data, "level", source, prefix="risk.")
    if level not in RISK_LEVELS:
        raise ScenarioFileError(source, "risk.level", f"must be one of {RISK_LEVELS}, got {level!r}")
    extra_risk = set(risk_data) - {"level", *RISK_FACTS}
    if extra_risk:
        raise ScenarioFileError(source, f"risk.{sorted(extra_risk)[0]}", f"is unknown; allowed: {RISK_FACTS}")
    fields = dict(
        text,
        persona=_persona(persona_data, source),
        risk=Risk(level=level, **{f: _text(risk_data, f, source, "risk.", "") for f in RISK_FACTS}),
        evaluator_context=_text(data, "evaluator_context", source, default=""),
        mode=_text(data, "mode", source, default="phone") or "phone",
        lines=_lines(_table(data, "lines", source, required=False), source),
        behaviour=_behaviour(_table(data, "behaviour", source, required=False), source),
    )
    fields["profile"] = _profile(_table(data, "profile", source, required=False), fields, source)
    try:
        return Scenario(**fields)
    except ValueError as error:  # model-level checks not covered above
        raise ScenarioFileError(source, "<scenario>", str(error)) from error


def _text(data: Mapping, name: str, source: str, prefix: str = "", default: str | None = None) -> str:
    value = data.get(name, default)
    if value is None:
        raise ScenarioFileError(source, prefix + name, "is required")
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ScenarioFileError(source, prefix + name, "must be a non-empty string")
    return value.strip()


def _table(data: Mapping, name: str, source: str, required: bool) -> Mapping:
    value = data.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise ScenarioFileError(source, name, "must be a table" + (" and is required" if required else ""))
    return value


def _persona(data: Mapping, source: str) -> Persona:
    age = data.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or not 5 <= age <= 120):
        raise ScenarioFileError(source, "persona.age", "must be an integer between 5 and 120, or omitted")
    rate = data.get("rate_wpm", 165)
    if not isinstance(rate, int) or isinstance(rate, bool) or not 60 <= rate <= 400:
        raise ScenarioFileError(source, "persona.rate_wpm", "must be an integer between 60 and 400")
    return Persona(
        name=_text(data, "name", source, prefix="persona."),
        age=age,
        voice=_text(data, "voice", source, prefix="persona.", default="en-us"),
        rate_wpm=rate,
    )


# [profile] keys a scenario file may set; plan/means = false states "none".
_PROFILE_KEYS = tuple(name for name in FIELD_NAMES if name not in ("caller_name", "age", "risk", "story"))


def _profile(data: Mapping, fields: Mapping[str, Any], source: str) -> Profile:
    """The explicit caller profile of a scenario file: the [profile] table, the persona's name and
    age and the risk level, all with source "bundled"; whatever the file leaves out is not stated."""
    unknown = set(data) - set(_PROFILE_KEYS)
    if unknown:
        raise ScenarioFileError(source, f"profile.{sorted(unknown)[0]}", f"is unknown; allowed: {_PROFILE_KEYS}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("plan", "means") and value is False:
            value = None
        elif key == "substances":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ScenarioFileError(source, "profile.substances", "must be a list of strings")
            value = tuple(value)
        values[key] = value
    persona = fields["persona"]
    values.update(caller_name=persona.name, risk=fields["risk"].level, story=fields["presenting_problem"])
    if persona.age is not None:
        values["age"] = persona.age
    try:
        profile = Profile().with_fields("bundled", **values)
    except (TypeError, ValueError) as error:
        raise ScenarioFileError(source, "profile", str(error)) from error
    return profile


def _behaviour(data: Mapping, source: str) -> Behaviour:
    unknown = set(data) - set(BEHAVIOUR_FIELDS)
    if unknown:
        raise ScenarioFileError(source, f"behaviour.{sorted(unknown)[0]}", f"is unknown; allowed: {BEHAVIOUR_FIELDS}")
    for name, value in data.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ScenarioFileError(source, f"behaviour.{name}", "must be an integer")
    try:
        return Behaviour(**data)
    except ValueError as error:
        raise ScenarioFileError(source, "behaviour", str(error)) from error


def _lines(data: Mapping, source: str) -> dict[str, tuple[str, ...]]:
    lines = {}
    for key, value in data.items():
        if key not in LINE_KEYS:
            raise ScenarioFileError(source, f"lines.{key}", f"is not a known move; allowed: {LINE_KEYS}")
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise ScenarioFileError(source, f"lines.{key}", "must be a non-empty list of strings")
        lines[key] = tuple(v.strip() for v in value)
    return lines


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[Scenario, ...]:
    folder = resources.files(__package__) / "library"
    scenarios: dict[str, Scenario] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        scenario = parse_scenario_toml(entry.read_text(encoding="utf-8"), source=entry.name)
        if scenario.id in scenarios or scenario.id == FREE_ID:
            raise ScenarioFileError(entry.name, "id", f"duplicates another scenario id: {scenario.id!r}")
        scenarios[scenario.id] = scenario
    return tuple(sorted(scenarios.values(), key=lambda s: s.title.lower()))


def load_library(imported: Iterable[Scenario] = ()) -> list[Scenario]:
    """Bundled scenarios (parsed once, then cached) and any ``imported`` ones (from
    ``Store.imported_scenarios()``), sorted by title; bundled ids win a clash."""
    bundled = _bundled()
    ids = {s.id for s in bundled}
    extra = [s for s in imported if s.id not in ids and s.id != FREE_ID]
    return sorted([*bundled, *extra], key=lambda s: (s.title.lower(), s.id))


def get_scenario(scenario_id: str, imported: Iterable[Scenario] = ()) -> Scenario:
    if scenario_id == FREE_ID:
        return FREE_PRACTICE
    library = load_library(imported)
    for scenario in library:
        if scenario.id == scenario_id:
            return scenario
    raise UnknownScenario(scenario_id, [FREE_ID, *(s.id for s in library)])


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@functools.lru_cache(maxsize=1)
def _by_instructions() -> dict[str, Scenario]:
    known = (FREE_PRACTICE, *_bundled())
    by_text = {_normal(s.caller_instructions()): s for s in known}
    by_text.update({_normal(s.prompt): s for s in _bundled()})  # a client sending just the brief
    return by_text


def scenario_for_instructions(text: str) -> Scenario:
    """A scenario from `session.update` instructions: a bundled one (whitespace aside), free
    practice, or one read from the text (its brief and its stated facts, see instructions.py)."""
    from .columns import profile_columns
    from .instructions import unwrap
    from .reader import read_profile

    if not text.strip():
        return FREE_PRACTICE
    known = _by_instructions().get(_normal(text))
    if known is not None:
        return known
    brief, title, cells, mode = unwrap(text)
    known = _by_instructions().get(_normal(brief))
    if known is not None:
        return known
    read = read_profile(brief)
    try:
        given = profile_columns(cells)
    except ValueError:
        given = {}
    # Facts the text itself states keep the source "text"; the rest were set by a column.
    set_facts = {k: v for k, v in given.items() if not read.stated(k) or getattr(read, k) != v}
    return Scenario.from_prompt(brief, title=title or "Custom scenario", set_facts=set_facts, mode=mode)


def select_scenario(scenario_id: str | None, instructions: str) -> Scenario:
    """The scenario a client asked for: by id when it names a bundled scenario or free practice,
    else read from the instructions (an imported scenario's instructions carry its facts)."""
    if scenario_id:
        try:
            return get_scenario(scenario_id)
        except UnknownScenario:
            pass
    return scenario_for_instructions(instructions)
