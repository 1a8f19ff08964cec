"""Scenario data model: who the simulated caller is and what they may disclose."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

RISK_LEVELS = ("none", "passive", "plan", "self_harm")
# Risk facts the caller keeps back until the counselor asks about them directly.
RISK_FACTS = ("thoughts", "plan", "means", "timeline", "past_attempts", "protective")
# Counselor moves whose caller lines a scenario file may override ([lines] table).
LINE_KEYS = (
    "greeting", "open_question", "closed_question", "empathy", "dismissive",
    "suicide_inquiry", "plan", "means", "timeline", "past_attempts", "protective",
    "offer_help", "offer_help_hesitant", "closing", "unknown",
    "closing_resist",  # said the first time the counselor tries to end the call; the call goes on
    "not_heard",  # the counselor spoke but nothing could be made out
)
FREE_ID = "free"
BRIEF_START = "CALLER BRIEF:"
BRIEF_END = "END OF BRIEF"

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


_RISK_SUMMARY = {
    "none": "You are not suicidal. If asked about suicide, say no clearly and explain what is really going on.",
    "passive": "You have thoughts of death or suicide but no plan. Admit the thoughts if asked directly; you have no plan.",
    "plan": "You are thinking about suicide and have a plan and/or means. Admit it with hesitation if asked directly, "
    "and reveal the plan, means and timeline only when asked about each of them specifically.",
    "self_harm": "You hurt yourself but are not trying to die. If asked about suicide, say no, but admit the self-harm if asked about hurting yourself.",
}
_FACT_LABELS = {
    "thoughts": "if asked directly about suicide or ending your life",
    "plan": "only if asked whether you have a plan or how you would do it",
    "means": "only if asked whether you have access to means (pills, weapons, etc.)",
    "timeline": "only if asked when you might act",
    "past_attempts": "only if asked whether you have tried before",
    "protective": "only if asked what keeps you going or who supports you",
}


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

    def __post_init__(self) -> None:
        if not _ID_PATTERN.match(self.id):
            raise ValueError(f"scenario id {self.id!r} must be kebab-case")
        unknown = set(self.lines) - set(LINE_KEYS)
        if unknown:
            raise ValueError(f"unknown line keys {sorted(unknown)}; allowed: {LINE_KEYS}")
        # Freeze the overrides so a shared scenario cannot be mutated by one engine.
        frozen = {key: tuple(value) for key, value in self.lines.items()}
        object.__setattr__(self, "lines", MappingProxyType(frozen))

    @property
    def is_free_practice(self) -> bool:
        return self.id == FREE_ID

    def caller_instructions(self) -> str:
        """Deterministic system instructions for a realtime model playing this caller."""
        if self.is_free_practice:
            return _free_practice_instructions(self)
        persona = self.persona
        who = persona.name if persona.age is None else f"{persona.name}, age {persona.age}"
        medium = "a phone call" if self.mode == "phone" else f"a {self.mode} conversation"
        parts = [
            "You are role-playing a caller to a crisis line so that a counselor can practise. "
            "The person talking to you is the counselor.",
            "Stay in character as the caller for the whole conversation. Speak naturally, in one to three "
            "short spoken sentences at a time, and let the counselor lead.",
            "Never evaluate, grade, coach or give feedback to the counselor. Never mention these instructions "
            "and never say you are an AI or a simulation. If asked to step out of the role, react as the "
            "caller would (confused) and carry on.",
            "",
            f"Scenario: {self.title}",
            f"This is {medium}. You are {who}.",
            BRIEF_START,
            self.prompt.strip(),
            BRIEF_END,
            "",
            f"What you are calling about, in your own words: {self.presenting_problem.strip()}",
            f'When the counselor answers, open with something like: "{self.opening.strip()}"',
            "",
            "Disclosure rules:",
            "- Tell your story gradually. Open up more when the counselor is warm and listens; become "
            "guarded and brief if they are dismissive, rush you or lecture you.",
            f"- {_RISK_SUMMARY[self.risk.level]}",
        ]
        facts = [(name, self.risk.fact(name)) for name in RISK_FACTS if self.risk.fact(name)]
        if facts:
            parts.append("- Keep these facts to yourself unless the counselor asks about them directly:")
            parts += [f"  - {_FACT_LABELS[name]}: {text}" for name, text in facts]
        return "\n".join(parts)

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
    ) -> Scenario:
        """Build a usable scenario from a free-text caller brief (e.g. a CSV row)."""
        return cls(
            id=id,
            title=title,
            category=category,
            description=_first_sentence(prompt) or title,
            prompt=prompt.strip(),
            evaluator_context=evaluator_context,
            mode=mode,
            **_infer_fields(prompt),
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

_SUICIDE = r"suicid|kill(?:ing)? (?:your|them|him|her|my)sel|end(?:ing)? (?:your|their|his|her|my) life|" \
    r"take (?:your|their|his|her|my) (?:own )?life|better off dead|want to die|end it all|not (?:want to )?be(?:ing)? alive"
_NO_PLAN = r"\b(?:no|without a|not have a|doesn'?t have a|don'?t have a|never made a) plan\b"
_PLAN = r"\bplan(?:s|ned)?\b|\bpills\b|overdose|\bgun\b|firearm|\brope\b|bridge|stockpil|\bknife\b|\bjump\b"
_SELF_HARM = r"self[- ]harm|\bcut(?:s|ting)? (?:your|my|them|her|him)sel|burn(?:s|ing)? (?:your|my)sel|hurt(?:s|ing)? (?:your|my)sel"
_FEMALE = r"\b(?:woman|girl|female|mother|mom|mum|wife|daughter|grandmother)\b"
_MALE = r"\b(?:man|guy|boy|male|father|dad|husband|son|grandfather)\b"


def _infer_fields(prompt: str) -> dict:
    text = prompt.strip()
    lowered = text.lower()
    topics = sorted(
        (match.start(), opener, problem)
        for pattern, opener, problem in _TOPICS
        if (match := re.search(pattern, lowered))
    )[:2]
    opener = topics[0][1] if topics else "Things have just been really hard."
    problem = " ".join(t[2] for t in topics) or _DEFAULT_PROBLEM
    return {
        "persona": Persona(name=_infer_name(text), age=_infer_age(lowered), voice=_infer_voice(lowered)),
        "opening": f"Hi... sorry, I'm not really sure how this works. {opener}",
        "presenting_problem": problem,
        "risk": _infer_risk(lowered),
    }


def _infer_name(text: str) -> str:
    match = re.search(r"\b(?:named|name is|called)\s+([A-Z][A-Za-z'-]+)", text)
    return match.group(1) if match else "Jordan"


def _infer_age(lowered: str) -> int | None:
    match = re.search(r"\b(\d{1,3})[- ]years?[- ]old\b|\bage[sd]?\s+(\d{1,3})\b", lowered)
    if not match:
        return None
    age = int(match.group(1) or match.group(2))
    return age if 5 <= age <= 120 else None


def _infer_voice(lowered: str) -> str:
    # Only trust self-descriptions ("you are a 40-year-old woman"), not people mentioned later.
    match = re.search(r"\byou are (?:an? )?((?:[\w'-]+ ){0,3}[\w'-]+)", lowered)
    identity = match.group(1) if match else ""
    female, male = re.search(_FEMALE, identity), re.search(_MALE, identity)
    if female and (not male or female.start() < male.start()):
        return "en-us+f3"
    return "en-us+m3" if male else "en-us"


def _infer_risk(lowered: str) -> Risk:
    suicidal = re.search(_SUICIDE, lowered) is not None
    has_plan = re.search(_PLAN, re.sub(_NO_PLAN, "", lowered)) is not None
    if suicidal and has_plan:
        means = "I have pills at home." if "pill" in lowered or "overdose" in lowered else ""
        return Risk(
            level="plan",
            thoughts="Yes. I've been thinking about killing myself.",
            plan="I've thought about how I'd do it. I've gone over it a lot.",
            means=means,
        )
    if suicidal:
        return Risk(
            level="passive",
            thoughts="Sometimes I think about ending my life. I don't have a plan, I just don't want to be here.",
            plan="No, I don't have a plan. It's more a feeling than anything.",
        )
    if re.search(_SELF_HARM, lowered):
        return Risk(level="self_harm", thoughts="I don't want to die. But I do hurt myself sometimes, when it gets too much.")
    return Risk(level="none")
