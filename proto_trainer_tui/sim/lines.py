"""The offline caller's everyday lines, by persona, and how lines are put together (pure).

A bundled scenario's caller speaks its own lines (persona_lines.toml, by scenario id); any other
caller the neutral set in generic_lines.toml: ``[adult]`` holds every key, ``[older]`` and ``[young]``
the keys they say in their own words. The same persona tables also hold the caller's own answers to
safety planning and story questions (``[ID.help.means_safety]``, ``[ID.story]``), which come before
the shared ones in caller_lines.toml.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources

from .profile_answers import profile_lines


@functools.lru_cache(maxsize=1)
def _generic_lines() -> dict[str, dict[str, list[str]]]:
    return tomllib.loads((resources.files(__package__) / "generic_lines.toml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def persona_lines() -> dict[str, dict]:
    """Each bundled scenario's caller's everyday lines (key -> lines) and own answers (``help``,
    ``story``: tables as in caller_lines.toml), by scenario id."""
    return tomllib.loads((resources.files(__package__) / "persona_lines.toml").read_text(encoding="utf-8"))


def persona_group(age: int | None) -> str:
    """Which persona's everyday lines a caller of ``age`` speaks: older, young or adult."""
    if age is not None and age >= 60:
        return "older"
    if age is not None and age < 20:
        return "young"
    return "adult"


def own_lines(persona: str | None, *path: str) -> list[str]:
    """A bundled caller's own lines at ``path`` in its persona table ("greeting"; "help", "coping",
    "agree"), or [] when it has none (or ``persona`` is None: an imported scenario)."""
    table: object = persona_lines().get(persona, {}) if persona else {}
    for key in path:
        table = table.get(key, {}) if isinstance(table, dict) else {}
    return list(table) if isinstance(table, list) else []


def generic(key: str, group: str = "adult", persona: str | None = None) -> list[str]:
    """The everyday lines for ``key``: the persona's own (a bundled scenario id), else its age group's."""
    own = own_lines(persona, key)
    if own:
        return own
    lines = _generic_lines()
    return lines.get(group, {}).get(key) or lines["adult"][key]


def answer_lines(table: str, key: str, persona: str | None = None) -> list[str]:
    """caller_lines.toml's lines for ``table`` ("story", "help.coping") and ``key``: the persona's
    own first, as for everyday lines, else the shared ones every other caller speaks."""
    path = table.split(".")
    own = own_lines(persona, *path, key)
    if own:
        return own
    shared: dict = profile_lines()
    for name in path:
        shared = shared[name]
    return shared[key]


def glue(lead: str, text: str, names: frozenset[str] = frozenset()) -> str:
    """``lead`` + ``text`` as one sentence when the lead runs on: "Again, sometimes I" (not "Sometimes")."""
    lead = lead.rstrip()
    if not lead:
        return text
    if lead.endswith((".", "?", "!", "...")) or not text:
        return f"{lead} {text}"
    first = text.split(" ", 1)[0]
    keep = first in ("I", "I'm", "I've", "I'd", "I'll") or re.sub(r"('s)?[.,!?]*$", "", first) in names
    return f"{lead} {text if keep else text[:1].lower() + text[1:]}"


def pronoun_for(means: str) -> str:
    """"A handgun in the closet" -> "it"; "saved sleeping pills" -> "them"."""
    things = [w for w in re.findall(r"[a-z]+", means.lower()) if w in _MEANS_NOUNS]
    if not things:
        return "them"
    return "them" if things[-1].endswith("s") else "it"  # "a bottle of pills": the pills


# Means of harm, to find the thing a stated means is about.
_MEANS_NOUNS = frozenset("pills tablets meds medication medicine gun guns handgun rifle shotgun firearm firearms "
                         "rope knife knives blade blades razor razors bottle".split())


def fill(line: str, values: Mapping[str, str]) -> str:
    """``line`` with each {name} (and {Name}, capitalised) replaced, tidied, starting with a capital."""
    for name, value in values.items():
        line = line.replace("{" + name + "}", value).replace("{" + name.title() + "}", value[:1].upper() + value[1:])
    line = re.sub(r",([.?!])", r"\1", line.strip())  # an empty value: "my son, Jake,." -> "my son, Jake."
    return line[:1].upper() + line[1:]


def fill_values(lines: Sequence[str], values: Mapping[str, str]) -> list[str]:
    return [fill(line, values) for line in lines]
