"""The caller's story facts by topic, read from a scenario's text (pure; words in facts.toml).

``story_facts(scenario)`` finds the people named (relation, age), and sorts the story's clauses
into topics (durations, work, feelings, coping, supports) in the caller's own words: the caller's
lines first, then the trainer's brief turned from "you" into "I". Clauses about risk and
instructions to the role-player are left out: risk is answered from the profile alone.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from proto_trainer_tui.scenarios.model import Scenario

from .moves import tokens
from .profile_answers import in_callers_words

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
).split()
_AGE = r"(\d{1,3}|(?:" + "|".join(_NUMBER_WORDS) + r")(?:-(?:one|two|three|four|five|six|seven|eight|nine))?)"
# A clause ends where a new subject starts: ", you moved", "and you see", "; she".
_CLAUSE_BREAK = re.compile(r"(?:[,;:]\s+(?:and\s+|but\s+)?|\s+(?:and|but)\s+)(?=(?:you|i|he|she|they)\b)",
                           re.IGNORECASE)


@dataclass(frozen=True)
class Person:
    name: str
    relation: str | None = None
    age: str | None = None
    gone: bool = False  # the story says they died

    @property
    def can_help(self) -> bool:
        """Someone the caller could turn to: alive, a person, not a child."""
        young = self.age is not None and self.age.isdigit() and int(self.age) < 18
        return not self.gone and not young and self.relation not in ("cat", "dog") and self.age not in (
            "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen")

    def named_in(self, words: set[str]) -> bool:
        return bool(set(tokens(self.name)) & words)


@dataclass(frozen=True)
class StoryFacts:
    people: tuple[Person, ...] = ()
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)  # topic -> clauses, caller's words
    # Risk fact ("self_harm") -> clauses saying how long; said only once the caller has disclosed it.
    risk_since: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def clauses(self, topic: str) -> tuple[str, ...]:
        return self.topics.get(topic, ())

    def person(self, words: set[str]) -> Person | None:
        return next((p for p in self.people if p.named_in(words)), None)

    def by_relation(self, words: set[str]) -> Person | None:
        return next((p for p in self.people if p.relation and p.relation in words), None)


@functools.lru_cache(maxsize=1)
def fact_words() -> dict:
    """facts.toml, read once."""
    return tomllib.loads((resources.files(__package__) / "facts.toml").read_text(encoding="utf-8"))


def _has_any(text: str, phrases: list[str]) -> bool:
    low = " " + " ".join(re.findall(r"[a-z0-9'-]+", text.lower())) + " "
    return any(f" {p} " in low for p in phrases)


def first_person(text: str) -> str:
    """"Your divorce was finalised" -> "My divorce was finalised"."""
    out = text
    for pattern, replacement in fact_words()["person"]["rules"]:
        out = re.sub(pattern, replacement, out, flags=re.IGNORECASE)
    out = re.sub(r"\bi\b", "I", out)
    out = out.strip().rstrip(",;:")
    out = out[:1].upper() + out[1:]
    return out if out.endswith((".", "!", "?")) else out + "."


def _sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text.replace("\\\n", " ")).strip()
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", text) if s]


def _clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_BREAK.split(sentence) if len(c.split()) >= 3]


def _people(texts: list[str]) -> tuple[Person, ...]:
    words = fact_words()
    relations = "|".join(sorted(map(re.escape, words["relations"]), key=len, reverse=True))
    titles = "|".join(words["titles"])
    found: dict[str, Person] = {}
    pattern = re.compile(rf"\b({relations})\b,?\s+(?:and\s+(?:close\s+)?\w+\s+)?((?:(?:{titles})\.?\s+)?[A-Z][a-z]+)")
    for text in texts:
        for sentence in _sentences(text):
            for match in pattern.finditer(sentence):
                relation, name = match.group(1).lower(), match.group(2)
                if name.split()[-1] in words["not_names"] or name in found:
                    continue
                gone = _has_any(sentence, words["gone_words"])
                found[name] = Person(name, relation, _age_near(sentence, match.start(), name), gone)
    return tuple(found.values())


def _age_near(sentence: str, start: int, name: str) -> str | None:
    before = re.search(_AGE + r"-year-old\s+(?:\w+\s+){0,2}$", sentence[max(0, start - 40):start + 1] + " ",
                       re.IGNORECASE)
    if before is None:
        before = re.search(_AGE + r"-year-old\s+(?:\w+\s+){0,2}\w*\s*$", sentence[max(0, start - 40):start])
    if before:
        return before.group(1)
    after = re.search(re.escape(name) + r"\s*(?:\(|,\s*(?:who is|aged)?\s*)" + _AGE + r"\b", sentence, re.IGNORECASE)
    return after.group(1) if after else None


# "You are a 67-year-old retired teacher named Ruth", "You are Sarah, 42, a pediatric nurse who ...".
_INTRO = re.compile(
    r"you are (?:an? (?:\S+-year-old\s+)?(?P<kind>.*?)\s+named\s+\w+|(?P<name>[A-Z][a-z]+)(?:,\s*(?:a\s+)?\d+(?:-year-old)?)?)"
    r"(?:,\s+(?P<desc>an?\s+[^,]*?))?(?:\s+who\s+(?P<rest>.*?))?\.?$")


def _introduction(sentence: str) -> tuple[str | None, str | None] | None:
    """The role-player's introduction as (their job, "I'm a retired teacher.", if it says one; what
    follows "who", in the caller's words), or None when ``sentence`` introduces nobody."""
    match = _INTRO.match(sentence[:1].lower() + sentence[1:])
    if not match:
        return None
    kept = [w for w in (match.group("desc") or match.group("kind") or "").split() if w.lower() not in
            ("a", "an", "man", "woman", "person", "boy", "girl", "guy", "lady")]
    description = " ".join(kept).rstrip(".")
    job = None
    if description and _has_any(description, fact_words()["topics"]["work"]):
        article = "an" if re.match(r"[aeio]|u(?!ni|s)", description.lower()) else "a"
        job = f"I'm {article} {description}."
    rest = match.group("rest")
    return job, first_person(f"you {rest}") if rest else None


def _has_duration(clause: str) -> bool:
    return bool(_DURATION.search(clause)) or _has_any(clause, fact_words()["topics"]["duration"])


_DURATION = re.compile(r"\b(?:\d+|a|an|a few|a couple of|several|" + "|".join(_NUMBER_WORDS)
                       + r")(?:-\w+)?\s+(?:minutes?|hours?|days?|weeks?|months?|years?)\b", re.IGNORECASE)


def story_facts(scenario: Scenario) -> StoryFacts:
    words = fact_words()
    own = [scenario.presenting_problem, *scenario.lines.get("open_question", ()), scenario.opening]
    brief = [scenario.prompt, in_callers_words(scenario.profile.protective) if scenario.profile.protective else ""]
    topics: dict[str, list[str]] = {topic: [] for topic in words["topics"]}
    candidates = [(c, c) for text in own for s in _sentences(text) for c in _clauses(s)]
    for sentence in (s for text in brief for s in _sentences(text)):
        introduction = _introduction(sentence)
        if introduction is None:
            candidates += [(c, first_person(c)) for c in _clauses(sentence)]
            continue
        job, rest = introduction
        if job:
            topics["work"].append(job)
        if rest:
            candidates.append((rest, rest))
    since: dict[str, list[str]] = {fact: [] for fact in words["risk_facts"]}
    for written, clause in candidates:
        if _has_any(written, words["instruction_words"]):
            continue
        clause = clause if clause.endswith((".", "!", "?")) else clause + "."
        if _has_any(written, words["risk_words"]):
            for fact, cues in words["risk_facts"].items():
                if _has_duration(clause) and _has_any(written, cues):
                    since[fact].append(clause)
            continue
        for topic, cues in words["topics"].items():
            found = _has_duration(clause) if topic == "duration" else _has_any(clause, cues)
            if found and clause not in topics[topic]:
                topics[topic].append(clause)
    return StoryFacts(_people(own + brief), {t: tuple(c) for t, c in topics.items()},
                      {f: tuple(c) for f, c in since.items() if c})
