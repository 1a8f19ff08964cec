"""Sentences a crisis-line counselor says, for the recogniser's language model (pure; data in
counselor_corpus.toml).

pocketsphinx's general English model mishears short counselor questions
("are you thinking of killing yourself" -> "the killing yourself"); a small
n-gram model built from the way counselors actually talk is both more accurate
and several times faster to decode. But a word outside the model can never be
heard, so each call adds its scenario's people (`scenario_sentences`), by name,
in the ways counselors ask about someone. (Adding the scenario's whole text was
tried and lost: 117 vs 124 of 252 development lines, against 131 for names only.)
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources

from ..scenarios.model import Scenario


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return tomllib.loads((resources.files(__package__) / "counselor_corpus.toml").read_text(encoding="utf-8"))


def sentences() -> list[str]:
    return [line.strip() for line in _data()["sentences"].splitlines() if line.strip()]


def person_templates() -> tuple[str, ...]:
    return tuple(_data()["about_a_person"])


def spoken_form(text: str) -> str:
    """Lowercase words and apostrophes only, as the language model holds them."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("\u2019", "'")).split())


def scenario_sentences(scenario: Scenario) -> tuple[str, ...]:
    """The sentences one scenario adds to the counselor model (sorted, so equal scenarios share one)."""
    from .facts import story_facts

    names = {spoken_form(person.name) for person in story_facts(scenario).people}
    if scenario.persona.name and len(scenario.persona.name) > 1:
        names.add(spoken_form(scenario.persona.name))
    return tuple(sorted({spoken_form(t.format(person=name)) for name in names for t in person_templates()}))
