"""The scenario's own criteria as a checklist: the trainer's evaluator context, item by item.

Pure. The free text ("Look for: a direct question about suicide, a warm transfer, ... Penalise telling
her what to do.") is split into items; each item the offline evaluator can recognise
(data/checklist.toml) is marked met or not met with turn evidence from the call, the rest are listed
as not checked offline. A model evaluator may judge every item (llm.py).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .coding import alternatives
from .markers import Sentence, normalise
from .report import ChecklistItem, Evidence, RiskCoverage, SkillMarker

ITEM_CHARS = 200
_NEGATIVE = re.compile(r"^(?:penali[sz]e|avoid|do not|don't|never|mark down|deduct for)\b[:,]?\s*", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"^(?:look for|looking for|evaluate(?:s)? (?:for|on)|assess(?:ed)? (?:for|on)|grade (?:for|on)|"
    r"good practice(?: also)?(?: includes?)?|expect(?:ed)?|assess(?:es)?|we want|the counsell?or should|"
    r"counsell?ors? should|must|should|required|criteria|key skills|skills)\b[:,]?\s*",
    re.IGNORECASE,
)
# Sentences about the caller, not the counselor: "High risk: the caller has a plan ...".
_DESCRIBES_CALLER = re.compile(
    r"^(?:high|low|moderate|no|some|imminent) (?:suicide |suicidal )?risk\b|\bthe caller (?:has|is|was|will|answers|"
    r"denies|says|does|doesn't|does not|can|cannot|won't)\b",
    re.IGNORECASE,
)
# "Penalise failing to ask directly" asks for the skill: a negative item that names an omission.
_OMISSION = re.compile(r"^(?:failing to|failure to|not |missing |forgetting to|never )|\bwithout (?:a |an |any )?",
                       re.IGNORECASE)


@dataclass(frozen=True)
class _Criterion:
    id: str
    item: re.Pattern
    check: str
    line: re.Pattern | None
    negative: bool


@cache
def criteria() -> tuple[_Criterion, ...]:
    data = tomllib.loads(resources.files(__package__).joinpath("data/checklist.toml").read_text(encoding="utf-8"))
    return tuple(
        _Criterion(c["id"], alternatives(c["item"]), c["check"], alternatives(c["line"]) if c.get("line") else None,
                   bool(c.get("negative")))
        for c in data["criterion"]
    )


@dataclass(frozen=True)
class CallFacts:
    """What the offline evaluator found, as the checklist needs it."""

    markers: dict[str, SkillMarker]
    risk: RiskCoverage
    sentences: Sequence[tuple[int, Sentence]]  # (turn, counselor sentence), in call order
    quote: Callable[[str], str] = lambda text: text


def split_items(context: str) -> list[tuple[str, bool]]:
    """The trainer's text as (item, negative) pairs: one per list entry of a "Look for: a, b and c." sentence."""
    items: list[tuple[str, bool]] = []
    for sentence in re.split(r"\n+|(?<=[.;!?])\s+|(?:^|\s)[-*\u2022]\s+", context.strip()):
        sentence = sentence.strip(" .;-*\u2022\t")
        if not sentence:
            continue
        negative = bool(_NEGATIVE.match(sentence.lower()))
        body = _NEGATIVE.sub("", sentence, count=1) if negative else sentence
        listed = bool(_LEAD_IN.match(body.lower())) or negative
        body = _LEAD_IN.sub("", body, count=1) if _LEAD_IN.match(body.lower()) else body
        parts = _list_entries(body) if listed else [body]
        items += [(_cut(part), negative) for part in parts if not _DESCRIBES_CALLER.search(part)]
    return items


def _list_entries(text: str) -> list[str]:
    """Split "a, b (c, d), and e" on top-level commas and a final "and"."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")" and depth > 0
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    cleaned = [re.sub(r"^(?:and|or)\s+", "", part.strip()) for part in parts]
    merged: list[str] = []
    for part in filter(None, cleaned):
        # "plan, means, timeline": one entry, not three; "arguing" is an entry of its own.
        if merged and len(part.split()) == 1 and not part.endswith("ing"):
            merged[-1] += ", " + part
        else:
            merged.append(part)
    return merged


def _cut(text: str) -> str:
    text = text.strip()
    if len(text) <= ITEM_CHARS:
        return text
    return text[:ITEM_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def build_checklist(context: str, facts: CallFacts) -> list[ChecklistItem]:
    result = []
    for text, negative in split_items(context):
        low = normalise(text)
        # "Penalise failing to ask directly" is met by asking directly: the skill's own check.
        wants_skill = not negative or bool(_OMISSION.search(text))
        found = [c for c in criteria() if c.item.search(low) and c.negative != wants_skill]
        if not found:
            result.append(ChecklistItem(item=text, avoid=negative, status="not_checked", note="not checked offline"))
            continue
        checks = [_check(c, facts) for c in found]
        met = all(ok for ok, _, _ in checks)
        evidence = [e for _, found_evidence, _ in checks for e in found_evidence][:3]
        note = "; ".join(note for _, _, note in checks if note)
        result.append(ChecklistItem(item=text, avoid=negative, status="met" if met else "not_met", evidence=evidence,
                                    note=note))
    return result


def _marker_check(facts: CallFacts, skill: str, accept=("shown",)) -> tuple[bool, list[Evidence], str]:
    marker = facts.markers.get(skill)
    if marker is None or marker.status == "not_applicable":
        return True, [], marker.note if marker else ""
    return marker.status in accept, list(marker.evidence[:2]), f"{marker.label}: {marker.status}"


def _found(facts, hit, missing: str):
    """Met, with the line that meets it as evidence; or not met, saying what is missing."""
    if hit:
        return True, [Evidence(turn=hit[0], quote=facts.quote(hit[1].text))], ""
    return False, [], missing


def _first_line(facts: CallFacts, pattern: re.Pattern, questions_only: bool) -> tuple[int, Sentence] | None:
    for order, sentence in facts.sentences:
        if questions_only and sentence.question is None:
            continue
        if pattern.search(normalise(sentence.text)):
            return order, sentence
    return None


def _check(criterion: _Criterion, facts: CallFacts) -> tuple[bool, list[Evidence], str]:
    kind = criterion.check
    if kind == "asked_directly":
        risk = facts.risk
        if risk.asked_directly:
            item = next((i for i in risk.cssrs + risk.lifeline if i.asked and i.turn == risk.first_asked_turn), None)
            return True, [Evidence(turn=risk.first_asked_turn, quote=item.quote if item else "")], \
                f"asked directly at turn {risk.first_asked_turn}"
        return False, [], "suicide was never asked about directly"
    if kind == "follow_up":
        return _marker_check(facts, "risk_follow_up")
    if kind in ("means_safety", "safety_planning", "reflections", "open_questions", "summarising", "resources",
                "closing"):
        accept = ("shown", "partial") if kind in ("reflections", "resources", "closing") else ("shown",)
        return _marker_check(facts, kind, accept)
    if kind == "protective":
        buffers = next((i for i in facts.risk.lifeline if i.item == "buffers"), None)
        if buffers and buffers.asked:
            return True, [Evidence(turn=buffers.turn, quote=buffers.quote)], "supports and reasons for living asked about"
        return False, [], "supports and reasons for living were not asked about"
    if kind.startswith("topic:"):
        topic = kind.split(":", 1)[1]
        hit = next(((o, s) for o, s in facts.sentences if topic in s.risk_topics), None)
        return _found(facts, hit, f"{topic.replace('_', ' ')} was not asked about")
    if kind in ("line", "question_line"):
        hit = _first_line(facts, criterion.line, questions_only=kind == "question_line")
        return _found(facts, hit, "no counselor line does this")
    if kind.startswith("code:"):
        code = kind.split(":", 1)[1]
        hit = next(((o, s) for o, s in facts.sentences if code in s.codes), None)
        return _found(facts, hit, f"no line coded {code.replace('_', ' ')}")
    if kind.startswith("absent:"):
        what = kind.split(":", 1)[1]
        test = (lambda s: s.dismissive) if what == "dismissive" else (lambda s: what in s.codes)
        hits = [(o, s) for o, s in facts.sentences if test(s)]
        if not hits:
            return True, [], "none found"
        return False, [Evidence(turn=o, quote=facts.quote(s.text)) for o, s in hits[:2]], f"{len(hits)} found"
    raise ValueError(f"unknown checklist check {kind!r}")
