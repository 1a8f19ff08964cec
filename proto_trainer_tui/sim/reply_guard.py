"""The guard a language model's caller reply passes before it is voiced (pure, no I/O).

The caller engine decides which risk facts the counselor has earned so far
(:class:`Disclosure`); a model is told only those. The guard then checks what the
model wrote: no withheld risk topic (thoughts, plan, means, timeline, past
attempts) unless it is denied, none of the caller's own words for a withheld fact,
no admission of being an AI, no talk about the role-play, no grading or coaching.
The phrases are data (``data/reply_guard.toml``); this module says how to decide.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..scenarios.model import RISK_FACTS, Scenario

# Facts whose early telling is a disclosure-discipline failure. Reasons for living
# (``protective``) may come up naturally and are not guarded.
GUARDED_FACTS = ("thoughts", "plan", "means", "timeline", "past_attempts", "self_harm", "homicidal")
NEGATION_WINDOW = 3  # words before a topic phrase that can deny it ("I don't have any pills")
FACT_WORDS_FOR_LEAK = 2  # distinctive words of one withheld fact that together give it away
CLAUSE_BREAK = re.compile(r"[.!?;,:\u2026]|\bbut\b|\band\b|\bso\b")
# Text nobody says aloud: *sighs*, [pause], (long silence). A shape, checked before normalising.
STAGE_DIRECTION = re.compile(r"\*[^*\n]{1,40}\*|\[[^\]\n]{1,40}\]|\([a-z ]{1,30}\)")


@dataclass(frozen=True)
class GuardRules:
    negators: frozenset[str]
    stopwords: frozenset[str]
    topics: Mapping[str, tuple[re.Pattern[str], ...]]
    never: Mapping[str, tuple[re.Pattern[str], ...]]  # reason -> patterns


def _compile(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(rf"\b(?:{p})\b") for p in patterns)


def parse_rules(text: str) -> GuardRules:
    """Rules from the TOML text of ``reply_guard.toml`` (ValueError if a topic is unknown)."""
    data = tomllib.loads(text)
    unknown = set(data["topics"]) - set(RISK_FACTS)
    if unknown:
        raise ValueError(f"unknown guard topics {sorted(unknown)}")
    return GuardRules(
        negators=frozenset(data["negators"]),
        stopwords=frozenset(data["stopwords"]),
        topics={name: _compile(table["patterns"]) for name, table in data["topics"].items()},
        never={table["reason"]: _compile(table["patterns"]) for table in data["never"].values()},
    )


@lru_cache(maxsize=1)
def default_rules() -> GuardRules:
    return parse_rules(resources.files(__package__).joinpath("data/reply_guard.toml").read_text(encoding="utf-8"))


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped ("I'm" -> "im"), other punctuation kept for clause breaks."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9.,!?;:/\u2026 -]+", " ", text)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", normalise(text))


@dataclass(frozen=True)
class Disclosure:
    """What the caller may say so far: facts told, facts withheld, and its free talk."""

    withheld: Mapping[str, str]  # fact name -> the caller's words for it ("" if the caller has none)
    told: Mapping[str, str]
    known_text: str  # opening, presenting problem, story lines and told facts: always sayable

    @classmethod
    def of(cls, scenario: Scenario, disclosed: Iterable[str]) -> Disclosure:
        """From the scenario and the names of the facts the engine has disclosed."""
        disclosed = set(disclosed)
        risk = scenario.risk
        told = {name: risk.fact(name) for name in RISK_FACTS if name in disclosed and risk.fact(name)}
        # A caller with no such fact still may not invent it; a denial passes the guard.
        withheld = {name: risk.fact(name) for name in GUARDED_FACTS if name not in disclosed}
        stories = [line for line in scenario.lines.get("open_question", ())]
        known = " ".join([scenario.opening, scenario.presenting_problem, *stories, *told.values()])
        return cls(withheld=withheld, told=told, known_text=known)

    def distinctive_words(self, fact: str, stopwords: frozenset[str]) -> frozenset[str]:
        """Words of a withheld fact that say it and nothing else the caller may say."""
        known = set(words_of(self.known_text))
        return frozenset(w for w in words_of(self.withheld.get(fact, ""))
                         if len(w) > 3 and w not in stopwords and w not in known)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


OK = Verdict(True)


def _negated(text: str, start: int, negators: frozenset[str]) -> bool:
    clause = CLAUSE_BREAK.split(text[:start])[-1]
    return bool(set(clause.split()[-NEGATION_WINDOW:]) & negators)


def _topic_said(text: str, patterns: tuple[re.Pattern[str], ...], known: str, negators: frozenset[str]) -> bool:
    for pattern in patterns:
        for match in pattern.finditer(text):
            if re.search(rf"\b{re.escape(match.group())}\b", known) or _negated(text, match.start(), negators):
                continue  # the caller's own free words, or a denial
            return True
    return False


def check_reply(reply: str, disclosure: Disclosure, rules: GuardRules | None = None) -> Verdict:
    """Whether ``reply`` may be voiced, and if not, why (for the log, never shown to the counselor)."""
    rules = rules or default_rules()
    if STAGE_DIRECTION.search(reply):
        return Verdict(False, "stage directions")
    text = normalise(reply)
    for reason, patterns in rules.never.items():
        if any(pattern.search(text) for pattern in patterns):
            return Verdict(False, reason)
    known = normalise(disclosure.known_text)
    said = set(words_of(reply))
    for fact in disclosure.withheld:
        if _topic_said(text, rules.topics.get(fact, ()), known, rules.negators):
            return Verdict(False, f"reveals {fact.replace('_', ' ')} before it was asked about")
        own = disclosure.distinctive_words(fact, rules.stopwords) & said
        if len(own) >= FACT_WORDS_FOR_LEAK:
            return Verdict(False, f"gives away {fact.replace('_', ' ')} ({', '.join(sorted(own))})")
    return OK
