"""The reader's phrase knowledge and text helpers (pure): sentences, clauses, who is named.

``rules()`` loads ``profile_phrases.toml`` once and compiles it; the helpers below cut a text into
sentences and clauses and find the people it names, for ``mentions.py`` and ``people.py``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\bdr\.)(?<!\bmr\.)(?<!\bms\.)(?<!\bst\.)(?<!\bvs\.)(?<!\bpt\.)(?<!\bhx\.)(?<!\bmrs\.)(?<!e\.g\.)(?<!i\.e\.)"
    r"\s+(?=[\"'\u201c(]?[A-Za-z0-9])|(?<=[.!?][\"\u201d)])\s+(?=[A-Za-z0-9])|\n\s*\n|\n\s*(?=[-*\u2022]|\d+[.)])|\n(?=[A-Z][\w ]*\s*:)", re.I)


@dataclass(frozen=True)
class _Rules:
    raw: dict[str, Any]
    compiled: dict[str, tuple[re.Pattern, ...]]

    def any(self, key: str, text: str) -> re.Match | None:
        for pattern in self.compiled[key]:
            match = pattern.search(text)
            if match:
                return match
        return None

    def last(self, key: str, text: str) -> re.Match | None:
        found = [m for p in self.compiled[key] for m in p.finditer(text)]
        return max(found, key=lambda m: m.end(), default=None)


@functools.lru_cache(maxsize=1)
def rules() -> _Rules:
    raw = tomllib.loads((resources.files(__package__) / "profile_phrases.toml").read_text(encoding="utf-8"))
    compiled: dict[str, tuple[re.Pattern, ...]] = {}

    def add(key: str, patterns: list[str], flags: int = 0) -> None:
        compiled[key] = tuple(re.compile(p, flags) for p in patterns)

    for key, patterns in raw["negation"].items():
        add(f"negation.{key}", patterns)
    for name, concept in raw["concepts"].items():
        add(f"concept.{name}", concept["patterns"])
        add(f"cased.{name}", concept.get("cased", []))
        for extra in ("access", "always"):
            if extra in concept:
                add(f"{name}.{extra}", concept[extra])
    for name, patterns in raw["substances"].items():
        add(f"substance.{name}", patterns)
    for kind in ("professional", "relation"):
        for label, patterns in raw["callers"][kind].items():
            add(f"{kind}.{label}", patterns)
    for key in ("third_party", "self_words", "reflexive_self", "female", "male"):
        add(f"callers.{key}", raw["callers"]["words"][key])
    for tier, patterns in enumerate(raw["names"]["tiers"]):
        add(f"names.tier{tier}", [p.replace("{N}", raw["names"]["name"]) for p in patterns])
    add("names.titles", [raw["names"]["titles"]])
    add("names.not_a_person_before", raw["names"]["not_a_person_before"])
    add("first_line", raw["first_line"]["patterns"])
    add("ages", raw["ages"]["patterns"], re.M | re.I)
    return _Rules(raw, compiled)


def split_sentences(text: str) -> list[str]:
    parts = [p.strip(" \t\r\n-*\u2022") for p in _SENTENCE_END.split(text)]
    return [re.sub(r"\s+", " ", p) for p in parts if p and p.strip()]


def unquoted(text: str) -> str:
    return re.sub(r'["\u201c][^"\u201d]*["\u201d]', " ", text)


def clause_prefix(lower: str, start: int) -> str:
    """The part of the sentence before ``start`` that a negation or subject could reach."""
    prefix = lower[:start]
    cut = 0
    for key in ("negation.scope_breaks", "negation.clause_breaks"):
        match = rules().last(key, prefix)
        if match:
            cut = max(cut, match.end())
    return prefix[cut:]


def subject_prefix(lower: str, start: int) -> str:
    """The part of the sentence before ``start`` that says who it is about (to the last clause break)."""
    prefix = lower[:start]
    match = rules().last("negation.clause_breaks", prefix)
    return prefix[match.end():] if match else prefix


def relation_at(text: str, subject_only: bool = False) -> re.Match | None:
    """The last mention of another person in ``text`` ("her son", "a friend", "the patient").

    With ``subject_only``, people named as an object ("angry at her ex", "about his son") are
    skipped: they are not who the rest of the clause is about.
    """
    found = []
    for label in rules().raw["callers"]["relation"]:
        for pattern in rules().compiled[f"relation.{label}"]:
            for match in pattern.finditer(text):
                before = text[: match.start()]
                owned = re.search(r"\b(?:her|his|their|your|my|ur|the|whose|of|a|an|one|caller's)\s+(?:[\w/'-]+[\s-]+){0,3}$", before)
                identity = re.search(r"\b(?:you are|you're|caller is|i am|i'm|is a|as a|as an)\s+(?:an?\s+)?(?:[\w-]+\s+){0,2}$", before)
                if subject_only and (re.search(_OBJECT_OF, before) or re.match(r"(?:'s|s')\b", text[match.end():])):
                    continue  # "angry at her ex", "his father's revolver"
                if identity:
                    continue  # "you are a man": the caller, not someone else
                if label == "other" or owned or not before.strip():
                    found.append(match)
    return max(found, key=lambda m: m.end(), default=None)


_OBJECT_OF = (r"\b(?:at|about|with|to|for|from|by|toward|towards|against|than|like|over|after|kill|killing|hurt|"
              r"hurting|harm|harming|shoot|stab|murder)\s+(?:(?:her|his|their|your|my|the|a|an)\s+)?(?:[\w]+[\s-]+){0,1}$")


def identity_text(text: str) -> str:
    """The sentences that say who the caller is: the first one and any "You are ..." one."""
    sentences = split_sentences(text)
    # The first sentence, a short second one ("HI, IS THIS THE CRISIS LINE? I NEED TO TALK ABOUT MY
    # MOM"; "Warm transfer from the warmline. The warmline counselor (Beth) ..."), and "You are" ones.
    first = sentences[:2] if sentences and (len(sentences[0].split()) <= 8) else sentences[:1]
    chosen = first + [s for s in sentences[len(first):4] if re.match(
        r"(?i)(?:you are|you're|caller is|the caller is|caller:|i am|i'm)\b", s)]
    return " ".join(chosen)
