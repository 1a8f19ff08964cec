"""Read a caller profile out of a trainer's free text, deterministically.

Pure: text in, ``Profile`` out; the phrases live in ``profile_phrases.toml``. Every fact is found as
a *mention* in one sentence and then judged in its context: is it negated ("Deny SI/self-harm"),
uncertain ("does not know if she has a plan"), in the past ("history of SI"), an instruction to the
counselor rather than a fact ("assess for suicide"), and is it about the caller or about someone
else ("her brother died by suicide")? Only what the text states is filled in; the rest stays
``not_stated``.
"""

from __future__ import annotations

import re
from typing import Any

from .mentions import Mention, about_self, mentions, voice_of
from .people import stated_age, stated_names, stated_pronouns, who_calls
from .phrases import clause_prefix, rules, split_sentences
from .profile import Profile

__all__ = ["mentions", "read_profile", "rules"]

_MAX_FACT = 160  # characters of a sentence kept as a stated fact (plan, protective factors)


def _current(found: list[Mention], about_self: bool) -> list[Mention]:
    return [m for m in found if m.about_self == about_self and not m.uncertain]


def _risk(found: list[Mention]) -> tuple[str, bool | None]:
    """(risk level, has a plan: True / False (stated none) / None) from one person's mentions."""
    now = [m for m in found if not m.past]

    def positive(*concepts: str) -> bool:
        return any(m.concept in concepts and not m.negated for m in now)

    def negative(*concepts: str) -> bool:
        return any(m.concept in concepts and m.negated for m in now)

    # Warning signs and preparation (giving things away, saving pills) make intent only beside
    # ideation or a plan; on their own they are not stated ideation.
    preparation = re.compile(r"giv|count|stockpil|sav|hoard|collect|letter|note|date|rehears|practic|standing")
    suicidal = positive("si_active", "si_passive") or any(
        m.concept == "intent" and not m.negated and not preparation.search(m.text[m.start:m.end].lower()) for m in now)
    method = positive("method")
    plan_yes = (positive("plan") and (suicidal or method)) or (method and not negative("plan"))
    plan: bool | None = True if plan_yes else (False if negative("plan") else None)
    risky = {m.sentence for m in now if not m.negated and m.concept in ("si_active", "si_passive", "plan", "method")}
    # A plan with a date ("tonight"), or preparation such as saving pills, is intent to act.
    timed = plan_yes and any(m.concept == "timeline" and not m.negated and m.sentence in risky for m in now)
    prepared = any(m.concept == "intent" and not m.negated and re.search(r"pill|med|tablet|stockpil", m.text[m.start:m.end].lower())
                   for m in now)
    if ((positive("intent") and (suicidal or plan_yes)) or timed or prepared) and not negative("intent"):
        return "intent", True  # intent to act is a plan carried further (C-SSRS 4-6)
    if plan_yes:
        return "plan", True
    # "SI ..., passive in nature": a plain "SI" or "suicidal" is only as active as the text says.
    specific = [m for m in now if m.concept == "si_active" and not m.negated and not re.fullmatch(
        r"si|s/i|sib|suicidal|suicidality|suicide", m.text[m.start:m.end].lower())]
    if positive("si_active") and (specific or not positive("si_passive")):
        return "active", plan
    if positive("si_passive"):
        return "passive", plan
    if method:
        return "active", plan  # a method thought about, with the plan denied ("no specific plan")
    if negative("si_active", "si_passive", "risk_none") or any(m.concept == "risk_none" for m in now):
        return "none", (False if plan is None and negative("plan") else plan)
    return "not_stated", plan


def _flag(found: list[Mention], concept: str, include_past: bool = True) -> bool | None:
    """True if stated, False if denied (or only in the past, when the past does not count)."""
    chosen = [m for m in found if m.concept == concept]
    if any(not m.negated and (include_past or not m.past) for m in chosen):
        return True
    return False if any(m.negated for m in chosen) else None


def _sentence_of(mention: Mention) -> str:
    text = mention.text.strip()
    return text if len(text) <= _MAX_FACT else text[: _MAX_FACT - 1].rstrip() + "\u2026"


def _means(found: list[Mention], suicidal_sentences: set[int]) -> tuple[str | None, bool, frozenset]:
    """(the caller's means, whether the text states them, the spans counted as means)."""
    r = rules()
    items, denied, spans = [], False, set()
    attempts = {m.sentence for m in found if m.concept == "attempt" and not m.negated}
    for m in found:
        if m.concept != "means" or (m.sentence in attempts and m.sentence not in suicidal_sentences):
            continue  # the pills of an attempt years ago are not today's means
        window = m.text.lower()
        if not (r.any("means.always", window[m.start:m.end]) or r.any("means.access", window)
                or m.sentence in suicidal_sentences):
            continue
        spans.add((m.sentence, m.start, m.end))
        if m.negated:
            denied = True
        else:
            item = re.sub(r"^.*\b(?:his|her|my|your|their|the|a)\s+", "", window[m.start:m.end])  # "drive his car"
            if not any(item in known or known in item for known in items):
                items.append(item)
    return (", ".join(items) if items else None), bool(items) or denied, frozenset(spans)


def _homicidal_target(found: list[Mention]) -> str | None:
    for m in found:
        if m.concept == "homicidal" and not m.negated:
            tail = m.text[m.start:].lower()
            target = re.search(
                r"(?:kill(?:ing)?|murder(?:ing)?|shoot(?:ing)?|stab(?:bing)?|hurt(?:ing)?|harm(?:ing)?)\s+((?:her|his|their|your|my|the|a)\s+[a-z-]+(?:\s+[a-z-]+)?|him|her|them|others|someone|people)"
                r"|(?:towards?|against)\s+((?:(?:her|his|their|your|my|the|a)\s+)?[a-z-]+(?:\s+[a-z-]+)?)",
                tail)
            if target:
                found = target.group(1) or target.group(2)
                words = re.split(r"\s+(?:if|because|and|but|for|when|who|whom|after|with|at|won)\b", found)[0]
                return words.strip()
    return None


def _substances(text: str, caller: str, means_spans: frozenset = frozenset()) -> tuple[str, ...] | None:
    """The caller's substances: named ones, () when the text denies use ("sober 10 years")."""
    r = rules()
    voice = voice_of(text, caller)
    named, denied = [], False
    for index, sentence in enumerate(split_sentences(text)):
        lower = sentence.lower()
        for name in r.raw["substances"]:
            for pattern in r.compiled[f"substance.{name}"]:
                for match in pattern.finditer(lower):
                    prefix = clause_prefix(lower, match.start())
                    if r.any("negation.not_a_fact_before", prefix[-40:]):
                        continue
                    if not about_self(lower, match.start(), match.end(), caller, voice):
                        continue  # her husband's drinking is not hers
                    if re.search(r.raw["substances_context"]["not_use_before"][0], lower[:match.start()]):
                        continue  # "tapering your opioids": a prescription
                    if any(s == index and a <= match.start() < b for s, a, b in means_spans):
                        continue  # "take all my mom's Xanax": a means, not substance use
                    cue = r.last("negation.before", prefix[-60:])
                    if name == "sober" or (cue is not None and not r.any("negation.verbs", prefix[-60:][cue.end():])):
                        denied = True
                    elif name not in named and not r.any("negation.past_before", prefix[-30:]):
                        named.append(name)
    if "drugs" in named and len(named) > 1:
        named.remove("drugs")  # a named drug says more than "drugs"
    return tuple(named) if named else (() if denied else None)


def _opening(found: list[Mention], role: str | None) -> str:
    def said(concept: str) -> bool:
        return any(m.concept == concept and not m.negated and not m.uncertain for m in found)

    if said("silent"):
        return "silent"
    if any(m.concept == "hang_up" and not m.negated and not re.search(
            r"\b(?:if|when|unless|should|may|might|threaten\w*|whenever|could|until)\b", m.text.lower())
           for m in found):
        return "hang_up"
    if said("transfer") or role == "transferring service":
        return "transfer"
    return "speaks"


def read_profile(text: str) -> Profile:
    """The profile a trainer's text states; everything else ``not_stated``."""
    who = who_calls(text)
    caller = who["caller"]
    found = mentions(text, caller)
    attempts = {m.sentence for m in found if m.concept == "attempt" and not m.negated}
    found = [m for m in found if not (m.concept in ("method", "means") and m.sentence in attempts)]  # how they tried
    own, other = _current(found, True), _current(found, False)
    risk, plan_flag = _risk(own)
    about_risk, _ = _risk(other) if caller != "self" else ("not_stated", None)
    facts: dict[str, Any] = {"caller": caller, "role": who["role"], "about": who["about"]}
    name, about_name = stated_names(text, caller)
    facts.update(caller_name=name, about_name=about_name, age=stated_age(text, caller), pronouns=stated_pronouns(text, caller),
                 risk=risk, about_risk=about_risk)
    if plan_flag is not None:
        planned = [m for m in own if m.concept in ("plan", "method", "intent") and not m.negated and not m.past]
        facts["plan"] = _sentence_of(planned[0]) if plan_flag and planned else None
    suicidal_sentences = {m.sentence for m in own if m.concept in ("si_active", "si_passive", "plan", "method", "intent")
                          and not m.negated}
    means, means_stated, means_spans = _means([m for m in found if m.about_self], suicidal_sentences)
    if means_stated:
        facts["means"] = means
    timeline = [m for m in own if m.concept == "timeline" and not m.negated and m.sentence in suicidal_sentences]
    if timeline:
        facts["timeline"] = timeline[0].text[timeline[0].start:timeline[0].end]
    for field, concept, past_counts in (("past_attempts", "attempt", True), ("self_harm", "self_harm", False),
                                        ("homicidal", "homicidal", False)):
        value = _flag(own, concept, include_past=past_counts)  # self-harm and HI are current facts
        if value is not None:
            facts[field] = value
    if facts.get("homicidal"):
        facts["homicidal_target"] = _homicidal_target(own)
    means_spans |= frozenset((m.sentence, m.start, m.end) for m in own
                             if m.concept == "method" and m.sentence in suicidal_sentences)
    substances = _substances(text, caller, means_spans)  # "a bottle of oxycodone" to take is a means
    if substances is not None:
        facts["substances"] = substances
    protective = [m for m in (found if caller == "self" else own) if m.concept == "protective"]
    if protective:
        kept = [m for m in protective if not m.negated]
        facts["protective"] = _sentence_of(kept[0]) if kept else "none"
    if any(m.concept == "disclose_when_asked" for m in found):
        facts["disclose_when_asked"] = True
    facts["opening"] = _opening(found, who["role"])
    first = rules().any("first_line", text)
    if first:
        facts["first_line"] = first.group(1).strip()
    stated = {k: v for k, v in facts.items() if v is not None and not (k == "caller" and v == "self")
              and not (k in ("risk", "about_risk") and v == "not_stated") and not (k == "opening" and v == "speaks")}
    for key in ("plan", "means"):  # None here is a stated absence ("does NOT have a plan")
        if key in facts:
            stated[key] = facts[key]
    sentences = split_sentences(text)
    story = " ".join(sentences[:2])[:300]
    return Profile().with_fields("text", **stated, story=story)
