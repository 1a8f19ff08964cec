"""A scenario and its caller profile, for `proto-trainer scenarios show` (pure).

JSON: the scenario's fields, ``profile`` (each field's value) and ``profile_sources`` (the same
keys, each one of column, text, bundled, model or not_stated). Markdown: the same for a person,
with untrusted text made printable.
"""

from __future__ import annotations

from typing import Any

from ..text import one_line, printable
from .model import Scenario
from .profile import FIELD_NAMES


def scenario_json(scenario: Scenario) -> dict[str, Any]:
    profile = scenario.profile
    return {
        "id": scenario.id, "title": scenario.title, "category": scenario.category, "mode": scenario.mode,
        "description": scenario.description, "prompt": scenario.prompt,
        "evaluator_context": scenario.evaluator_context,
        "columns": dict(scenario.columns),
        "profile": profile.to_dict(),
        "profile_sources": dict(profile.sources),
    }


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(value) or "none"
    return str(value)


def scenario_markdown(scenario: Scenario) -> str:
    profile = scenario.profile
    lines = [f"# {printable(scenario.title)}", "",
             f"id `{scenario.id}`, {printable(scenario.category)}, {scenario.mode}", "",
             "## Caller profile", "", "| field | value | from |", "| --- | --- | --- |"]
    for name in FIELD_NAMES:
        if name == "story":
            continue
        source = profile.source(name)
        shown = "not stated" if source == "not_stated" else _value(getattr(profile, name))
        cell = one_line(shown).replace('|', '/')
        lines.append(f"| {name} | {cell} | {source.replace('_', ' ')} |")
    extra = {k: v for k, v in scenario.columns.items() if k in ("skills", "difficulty", "estimated_minutes", "one_time")}
    if extra:
        lines += ["", "## Scenario notes", "", *(f"- {k}: {printable(v)}" for k, v in extra.items())]
    lines += ["", "## Brief", "", printable(scenario.prompt)]
    if scenario.evaluator_context:
        lines += ["", "## Evaluator context", "", printable(scenario.evaluator_context)]
    return "\n".join(lines)
