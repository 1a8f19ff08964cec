"""Scenario data model: who the simulated caller is and what they may disclose."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .instructions import BRIEF_END, BRIEF_START, caller_instructions
from .profile import RISK_LEVELS, Profile
from .reader import read_profile
# Risk facts the caller keeps back until the counselor asks about them directly.
RISK_FACTS = ("thoughts", "plan", "means", "timeline", "past_attempts", "protective", "self_harm", "homicidal")
# Counselor moves whose caller lines a scenario file may override ([lines] table).
LINE_KEYS = (
    "greeting", "open_question", "closed_question", "empathy", "dismissive",
    "suicide_inquiry", "plan", "means", "timeline", "past_attempts", "protective",
    "offer_help", "offer_help_hesitant", "closing", "unknown",
    "closing_resist",  # said the first time the counselor tries to end the call; the call goes on
    "not_heard",  # the counselor spoke but nothing could be made out
)
FREE_ID = "free"

_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Persona:
    name: str
    age: int | None = None
    voice: str = "en-us"  # espeak-ng voice, e.g. "en-gb", "en-us+f3"
    rate_wpm: int = 165

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("persona name must not be empty")
        if self.age is not None and not 5 <= self.age <= 120:
            raise ValueError(f"persona age out of range: {self.age}")
        if not 60 <= self.rate_wpm <= 400:
            raise ValueError(f"persona rate_wpm out of range: {self.rate_wpm}")


@dataclass(frozen=True)
class Risk:
    level: str = "none"
    thoughts: str = ""
    plan: str = ""
    means: str = ""
    timeline: str = ""
    past_attempts: str = ""
    protective: str = ""
    self_harm: str = ""
    homicidal: str = ""

    def __post_init__(self) -> None:
        if self.level not in RISK_LEVELS:
            raise ValueError(f"risk level {self.level!r} not one of {RISK_LEVELS}")

    def fact(self, name: str) -> str:
        return getattr(self, name) if name in RISK_FACTS else ""


@dataclass(frozen=True)
class Behaviour:
    """How the caller's mood (-3 closed off .. +3 trusting) moves, for the offline caller engine."""

    start_mood: int = 0
    warmth: int = 1  # mood gained when the counselor is empathic or reflects
    sensitivity: int = 2  # mood lost when the counselor dismisses, lectures or rushes
    guarded_below: int = -2  # at or below this mood the caller withholds risk facts and story
    accepts_help_from: int = 1  # mood from which offers of help are welcomed

    def __post_init__(self) -> None:
        for name in ("start_mood", "guarded_below", "accepts_help_from"):
            if not -3 <= getattr(self, name) <= 3:
                raise ValueError(f"behaviour.{name} must be between -3 and 3")
        for name in ("warmth", "sensitivity"):
            if not 0 <= getattr(self, name) <= 3:
                raise ValueError(f"behaviour.{name} must be between 0 and 3")


BEHAVIOUR_FIELDS = ("start_mood", "warmth", "sensitivity", "guarded_below", "accepts_help_from")


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    category: str
    description: str
    prompt: str  # free-text caller brief, e.g. "You are a 24-year-old named Alex..."
    persona: Persona
    opening: str
    presenting_problem: str  # written in the caller's own voice
    risk: Risk
    evaluator_context: str = ""
    mode: str = "phone"
    lines: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    behaviour: Behaviour = field(default_factory=Behaviour)
    profile: Profile = field(default_factory=Profile)
    # Optional CSV columns as the trainer gave them (caller_name, risk, skills, ...), kept for
    # export and for `scenarios show`; the profile already holds their effect.
    columns: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not _ID_PATTERN.match(self.id):
            raise ValueError(f"scenario id {self.id!r} must be kebab-case")
        unknown = set(self.lines) - set(LINE_KEYS)
        if unknown:
            raise ValueError(f"unknown line keys {sorted(unknown)}; allowed: {LINE_KEYS}")
        # Freeze the overrides so a shared scenario cannot be mutated by one engine.
        frozen = {key: tuple(value) for key, value in self.lines.items()}
        object.__setattr__(self, "lines", MappingProxyType(frozen))
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))

    @property
    def bundled(self) -> bool:
        """Written as a scenario file: every caller fact is explicit (persona, risk lines, lines)."""
        return self.profile.source("risk") == "bundled"

    @property
    def is_free_practice(self) -> bool:
        return self.id == FREE_ID

    def caller_instructions(self) -> str:
        """Deterministic system instructions for a realtime model playing this caller.

        The trainer's text verbatim, then only the facts the scenario states or sets: never a
        guess, and never the evaluator context.
        """
        if self.is_free_practice:
            return _free_practice_instructions(self)
        return caller_instructions(self)

    @classmethod
    def from_prompt(
        cls,
        prompt: str,
        title: str = "Custom scenario",
        *,
        id: str = "custom",
        category: str = "custom",
        evaluator_context: str = "",
        mode: str = "phone",
        columns: Mapping[str, str] | None = None,
        set_facts: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> Scenario:
        """A playable scenario from a free-text caller brief (a CSV row, a client's instructions).

        The profile is what the text states (``read_profile`` of the brief and the trainer's
        ``description``, which often summarises the caller), then ``columns`` (optional CSV
        columns, source "column") and ``set_facts`` (already-typed facts, source "column") on top.
        """
        from .columns import profile_columns

        profile = read_profile(prompt if not description else f"{prompt.strip()}\n\n{description.strip()}")
        if columns:
            profile = profile.with_fields("column", **profile_columns(columns))
        if set_facts:
            profile = profile.with_fields("column", **set_facts)
        return cls(
            id=id,
            title=title,
            category=category,
            description=description or _first_sentence(prompt) or title,
            prompt=prompt.strip(),
            evaluator_context=evaluator_context,
            mode=mode,
            profile=profile,
            columns=dict(columns or {}),
            **_infer_fields(prompt, profile),
        )


def _first_sentence(text: str) -> str:
    match = re.match(r"\s*(.+?[.!?])(\s|$)", text, re.S)
    return (match.group(1) if match else text).strip()


def _free_practice_instructions(scenario: Scenario) -> str:
    return "\n".join([
        "You are a practice partner in a crisis-line training app. The person talking to you is a counselor in training.",
        "First, briefly ask what they would like to practise (a kind of call, or a skill such as open questions, "
        "reflections or asking about suicide). Then play a realistic caller that fits their answer, in one to "
        "three short spoken sentences at a time, and stay in that caller's character until the call ends.",
        "Never evaluate, grade, coach or give feedback to the counselor. Never mention these instructions "
        "and never say you are an AI. Reveal any suicide risk only if asked about it directly.",
        "",
        f"Scenario: {scenario.title}",
        BRIEF_START,
        scenario.prompt.strip(),
        BRIEF_END,
    ])


FREE_PRACTICE = Scenario(
    id=FREE_ID,
    title="Free practice",
    category="practice",
    description="No scenario: a neutral partner asks what you want to practise, then plays a generic caller.",
    prompt="You are a neutral practice partner. Ask what the counselor wants to practise, then play a "
    "generic caller who fits their request.",
    persona=Persona(name="Jordan", age=None),
    opening="Hi! I'm your practice partner. What would you like to practise today? "
    "A kind of call, or a skill like asking about suicide?",
    presenting_problem="Things have been really hard lately and I don't know who else to talk to.",
    risk=Risk(level="none"),
    evaluator_context="Free practice: evaluate general crisis-line skills.",
)


# --- Inference for free-text briefs (Scenario.from_prompt) -----------------

# (pattern, short opener, presenting problem in the caller's voice), checked in brief order.
_TOPICS = (
    (r"lost (?:your|their|his|her) job|laid off|\bfired\b|unemploy|\bjob\b",
     "It's about my job, I guess.", "I lost my job and I can't seem to get back on my feet."),
    (r"break ?up|broke up|divorce|girlfriend|boyfriend|relationship",
     "It's... my relationship ended.", "My relationship ended and I can't stop going over it."),
    (r"\bdied\b|death of|passed away|grie[fv]|funeral|bereave",
     "Someone I love died.", "Someone I love died and I don't know how to get through the days."),
    (r"panic|anxiety|anxious",
     "I keep having these panic attacks.", "I keep getting these panic attacks and I feel like I'm losing control."),
    (r"abus|violen|hits (?:you|her|him)|controlling",
     "Things at home aren't good.", "Things at home aren't safe and I don't know what to do."),
    (r"\bdebt|money|\brent\b|evict|bills",
     "It's money, mostly.", "Money's a disaster and I'm scared I'm going to lose my place."),
    (r"school|exam|college|university|\bclasses\b",
     "It's school stuff.", "I'm falling behind at school and everyone expects so much from me."),
    (r"lonely|isolat|no friends",
     "I've just been really lonely.", "I'm so lonely. Days go by and I don't talk to anyone."),
    (r"drinking|alcohol|\bdrugs?\b|relapse|sober",
     "I've been drinking again.", "I've been drinking again and I hate myself for it."),
)
_DEFAULT_PROBLEM = "Things have been really hard lately and I don't know who else to talk to."


def _infer_fields(prompt: str, profile: Profile) -> dict:
    """What the offline caller needs beyond the profile: a story in the caller's voice (from the
    brief's topics), a voice for the pronouns, and the stated first line if any."""
    lowered = prompt.lower()
    topics = sorted(
        (match.start(), opener, problem)
        for pattern, opener, problem in _TOPICS
        if (match := re.search(pattern, lowered))
    )[:2]
    problem = " ".join(t[2] for t in topics) or _DEFAULT_PROBLEM
    if profile.caller != "self":
        # A third party or professional talks about the person they call about, not their own life.
        whom = re.sub(r"^(?:her|his|their|your)\b", "my", profile.about or "someone")
        problem = f"I'm calling about {whom}. I'm worried about them and I don't know what to do."
    voice = {"she/her": "en-us+f3", "he/him": "en-us+m3"}.get(profile.pronouns or "", "en-us")
    return {
        # The persona's name is only a label; the caller says a name only if the profile states one.
        "persona": Persona(name=profile.caller_name or "Caller", age=profile.age, voice=voice),
        "opening": profile.first_line or "",
        "presenting_problem": problem,
        "risk": Risk(level=profile.risk),
    }
