"""The instructions a realtime model gets for a scenario, and reading them back (pure).

A model receives the trainer's text verbatim and the profile facts that are stated or set, as a
``key: value`` block between ``CALLER FACTS:`` and ``END OF FACTS`` in the CSV column vocabulary
(``columns.py``), so a server given these instructions reads the same facts back
(``facts_from_instructions``). Guesses and the evaluator context never appear.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources
from typing import TYPE_CHECKING, Any

from .columns import PROFILE_COLUMNS
from .profile import Profile

if TYPE_CHECKING:
    from .model import Scenario

BRIEF_START = "CALLER BRIEF:"
BRIEF_END = "END OF BRIEF"
FACTS_START = "CALLER FACTS:"
FACTS_END = "END OF FACTS"
_RISK_FACTS = ("thoughts", "plan", "means", "timeline", "past_attempts", "protective", "self_harm", "homicidal")


@functools.lru_cache(maxsize=1)
def _text() -> dict[str, Any]:
    return tomllib.loads((resources.files(__package__) / "instructions.toml").read_text(encoding="utf-8"))


def _cell(value: Any) -> str:
    if value is None:
        return "no"  # a stated absence: "plan: no"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "none"
    return re.sub(r"\s+", " ", str(value)).strip()


def profile_cells(profile: Profile) -> dict[str, str]:
    """The stated fields as column cells (the inverse of ``columns.profile_columns``)."""
    cells = {}
    for column in PROFILE_COLUMNS:
        if column == "opening":
            if profile.stated("first_line") and profile.first_line:
                cells["opening"] = _cell(profile.first_line)
            elif profile.stated("opening"):
                cells["opening"] = profile.opening
        elif profile.stated(column):
            cells[column] = _cell(getattr(profile, column))
    return cells


def caller_instructions(scenario: Scenario) -> str:
    text = _text()
    profile = scenario.profile
    named = profile.caller_name if profile.stated("caller_name") else None
    medium = "a phone call" if scenario.mode == "phone" else f"a {scenario.mode} conversation"
    parts = [*text["preamble"], "", f"Scenario: {scenario.title}", f"This is {medium}."
             + (f" You are {named}." if named else "")]
    if scenario.mode != "phone":
        parts.append(text["chat_medium"])
    parts += [BRIEF_START, scenario.prompt.strip(), BRIEF_END, ""]
    cells = profile_cells(profile)
    if cells:
        parts += [text["facts_intro"], FACTS_START, *(f"- {k}: {v}" for k, v in cells.items()), FACTS_END, ""]
    if scenario.bundled:
        parts.append(f"What you are calling about, in your own words: {scenario.presenting_problem.strip()}")
    opening = scenario.opening.strip() if scenario.bundled or profile.stated("first_line") else ""
    if opening:
        parts.append(f'When the counselor answers, open with something like: "{opening}"')
    if profile.opening != "speaks":
        parts.append(text["opening"][profile.opening])
    if profile.caller != "self":
        parts.append(text["about"][profile.caller])
    parts += ["", "How to play it:", f"- {text['story_rules']}"]
    if profile.risk != "not_stated":
        parts.append(f"- {text['risk'][profile.risk]}")
    facts = [(name, scenario.risk.fact(name)) for name in _RISK_FACTS if scenario.risk.fact(name)]
    if facts:
        parts.append(f"- {text['keep_back']}")
        parts += [f"  - {text['fact_labels'][name]}: {line}" for name, line in facts]
    parts.append(f"- {text['not_stated']}")
    return "\n".join(parts)


def unwrap(instructions: str) -> tuple[str, str | None, dict[str, str], str]:
    """(brief, title, fact cells, mode) from instructions made by ``caller_instructions``; other
    text is returned whole as the brief, with no title, no cells and mode "phone"."""
    brief = re.search(rf"^{BRIEF_START}\n(.*?)\n{BRIEF_END}$", instructions, re.S | re.M)
    if not brief:
        return instructions, None, {}, "phone"
    medium = re.search(r"^This is a (\w+) conversation\.", instructions, re.M)
    title = re.search(r"^Scenario: (.+)$", instructions, re.M)
    cells = {}
    block = re.search(rf"^{FACTS_START}\n(.*?)\n{FACTS_END}$", instructions, re.S | re.M)
    if block:
        for line in block.group(1).splitlines():
            match = re.match(r"- ([a-z_]+): (.*)$", line)
            if match and match.group(1) in PROFILE_COLUMNS:
                cells[match.group(1)] = match.group(2)
    return brief.group(1), title.group(1).strip() if title else None, cells, medium.group(1) if medium else "phone"
