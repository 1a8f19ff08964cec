"""Who is calling, as the text states it (pure): self, a third party or a professional, and the
caller's stated name, age and pronouns."""

from __future__ import annotations

import re
from typing import Any

from .phrases import identity_text, relation_at, rules

def who_calls(text: str) -> dict[str, Any]:
    r = rules()
    identity = identity_text(text)
    lower_identity = identity.lower()
    lower = text.lower()
    third = r.any("callers.third_party", lower_identity)
    transfer = r.any("concept.transfer", lower)
    cut = third.start() if third else len(lower_identity)
    role = None
    for label in r.raw["callers"]["professional"]:
        on_duty = third or transfer or re.search(
            r"\bcalling (?:to|for|about|after|from|regarding|on behalf)\b|\bconsult|\bon scene\b|\bwelfare check\b", lower_identity)
        match = r.any(f"professional.{label}", lower_identity[:cut]) if on_duty else None
        speaking = match and re.match(r"\s*(?:\([^)]*\)\s*)?(?:says|introduces|explains|reports|tells|is transferring|transfers)\b",
                                      lower_identity[match.end():])
        if match and (speaking or not re.search(r"\b(?:the|by|to|from|called|call|with)\s+(?:[\w-]+\s+)?$",
                                                 lower_identity[:match.start()])):
            role = label
            break
        calling = re.search(rf"(?:{'|'.join(p.pattern for p in r.compiled[f'professional.{label}'])})\s+(?:calling|calls|who is calling|is calling|reaching out)", lower)
        if calling:
            role = label
            break
    if role is None and transfer and re.search(r"\b(?:you are|caller is|this is)\b[^.]{0,60}\btransferring\b", lower):
        role = "transferring service"
    about = None
    if third or role:
        if third and not role:
            tail = lower_identity[third.end():]
            # "calling about her son": the person follows the cue at once; "calling about stress
            # from caring for his brother" is the caller's own story.
            about = about_whom(" ".join(tail.split()[:5]))
            strong = re.search(r"third|not calling|\bof\b|caller", third.group(0))
            if about is None and strong:
                about = about_whom(tail) or " ".join(tail.split()[:4]).strip(" ,.") or None
        else:
            about = about_whom(lower[third.end():] if third else lower)
        if about is None and transfer:
            about = "a caller"
    if role:
        return {"caller": "professional", "role": role, "about": about}
    if third and about:
        relation = None
        for label in ("parent", "partner", "sibling", "friend", "roommate", "relative"):
            match = r.any(f"relation.{label}", lower_identity[: third.start()])
            if match:
                relation = match.group(0)
                break
        return {"caller": "third_party", "role": relation, "about": about}
    if re.search(r"\bthird[- ]party\b", lower_identity):
        return {"caller": "third_party", "role": None, "about": about}
    return {"caller": "self", "role": None, "about": None}


def about_whom(text: str) -> str | None:
    """"her 16-year-old son" from the words after "calling about"."""
    head = text[:120]
    match = relation_at(head)
    if match is None:
        return None
    # The words that describe that person ("her 16-year-old"), never across a preposition: in "the
    # crisis line about a man" the person is "a man".
    start = re.search(r"\b(?:her|his|their|your|my|the|a|an|one of (?:her|his|their|your|my))\s+"
                      r"(?:(?!(?:about|of|for|on|with|at|to|from|in)\b)[\w/'-]+\s+){0,3}$", head[: match.start()])
    phrase = head[start.start() if start else match.start(): match.end()]
    return phrase.strip()


def _clean_name(found: str, not_names: set[str]) -> str | None:
    words = found.split()
    while words and words[-1].strip(".") in not_names:
        words.pop()  # "Chris Deny SI": the surname slot caught a capitalised word
    if not words or words[-1].strip(".") in not_names or words[-1].isupper():
        return None
    return " ".join(words)


def stated_names(text: str, caller: str) -> tuple[str | None, str | None]:
    """(the caller's name, the name of the person they call about), as stated."""
    r = rules()
    not_names = set(r.raw["names"]["not_names"])
    caller_name = about_name = None
    if caller == "professional":
        title = r.any("names.titles", text)
        if title:
            caller_name = f"{title.group(1)} {title.group(2)}"
    for tier in range(len(r.raw["names"]["tiers"])):
        found = []
        for pattern in r.compiled[f"names.tier{tier}"]:
            for match in pattern.finditer(text):
                name = _clean_name(match.group(1), not_names)
                if name is None:
                    continue
                before = text[max(0, match.start(1) - 50): match.start(1)].lower()
                if r.any("names.not_a_person_before", before):
                    continue  # "a cat named Biscuit"
                # Another person mentioned just before, in the same sentence: "her son, Jake".
                other = relation_at(re.split(r"[.!?;]\s+", before)[-1][-30:])
                if other and len(text[: match.start(1)].split()) <= 2:
                    other = None  # "Mom (Linda, 45) reports ...": the caller introduced by who she is
                speaking = re.search(r"\b(?:you are|you're|my name|your name|caller|i am|i'm|this is|it's)\b",
                                     before[other.end():] if other else "")
                found.append((match.start(1), name, other is not None and speaking is None))
        for _, name, about_other in sorted(found):
            if about_other:
                about_name = about_name or (name if caller != "self" else None)
            elif caller_name is None:
                caller_name = name
        if caller_name:
            break
    if about_name is None and caller != "self":
        # "calling about her son, Jake" / "her son Jake"
        match = re.search(r"\b(?:son|daughter|friend|brother|sister|husband|wife|partner|roommate|client|patient|"
                          r"mom|mother|dad|father|boyfriend|girlfriend)\s*,?\s+([A-Z][a-z]+)\b", text)
        if match and match.group(1) not in not_names:
            about_name = match.group(1)
    return caller_name, about_name


def stated_age(text: str, caller: str) -> int | None:
    """The caller's age, when stated as a number (the earliest mention that is not someone else's)."""
    r = rules()
    scope = identity_text(text) if caller != "self" else text
    if caller != "self":
        third = r.any("callers.third_party", scope.lower())
        scope = scope[: third.start()] if third else scope
    found = sorted(((m.start(), m) for p in r.compiled["ages"] for m in p.finditer(scope)), key=lambda f: f[0])
    for _, match in found:
        after = scope[match.end(): match.end() + 14].lower()
        before = scope[max(0, match.start() - 16): match.start()].lower()
        if relation_at(re.match(r"[\s\w/-]*", after).group(0)) and re.search(
                r"\b(?:her|his|their|your|my|whose|our)\s*$", before):
            continue  # "her 16-year-old son" (but "a 45 year old father of two" is the caller)
        if re.search(r"\b(?:son|daughter|child|kid|brother|sister|friend|husband|wife|partner|boyfriend|girlfriend|"
                     r"mother|father|mom|dad|grandson|granddaughter)\b[\s,(]*$", before) and len(
                         scope[: match.start()].split()) > 1:
            continue  # "her son, 16" (but "Mom (Linda, 45) reports ..." introduces the caller)
        age = int(match.group(1))
        if 5 <= age <= 120:
            return age
    return None


def stated_pronouns(text: str, caller: str) -> str | None:
    r = rules()
    explicit = re.search(r"\b(she/her|he/him|they/them)\b", text.lower())
    if explicit:
        return explicit.group(1)
    coded = re.search(r"\b\d{1,2}\s?([MF])\b", text)  # "25F", "34 M"
    if coded and caller == "self":
        return "she/her" if coded.group(1) == "F" else "he/him"
    identity = identity_text(text).lower()
    third = r.any("callers.third_party", identity)
    identity = identity[: third.start()] if third else identity
    if caller == "self":
        # Only a self-description counts: "You are a 40-year-old woman", "Caller is a man".
        described = re.search(r"\b(?:you are|you're|caller is|the caller is|i am|i'm)\b(.*)", identity)
        # Without a self-description only the text's first words describe the caller ("Mother of two, 45").
        opening_words = " ".join(identity.split()[:6])
        identity = described.group(1) if described else (opening_words if not re.search(r"\byou\b", identity) else "")
        identity = re.sub(r"\b(?:her|his|their|your|my|whose|\w+'s)\s+[\w-]+", " ", identity)  # "her husband" is someone else
        if re.search(r"\byou\b", identity_text(text).lower()):
            identity = re.sub(r"\b(?:she|he|her|him|his|hers)\b", " ", identity)  # others, in a "you are" text
    if caller != "self":
        identity = " ".join(identity.split()[:4])  # "Mother calling ...", not "... about a suicidal male"
    female, male = r.any("callers.female", identity), r.any("callers.male", identity)
    if female and (not male or female.start() < male.start()):
        return "she/her"
    if male:
        return "he/him"
    title = re.search(r"\b(Mrs|Ms|Miss|Mr)\.?\s+[A-Z]", identity_text(text))
    if title:
        return "he/him" if title.group(1) == "Mr" else "she/her"
    if caller == "self" and not re.search(r"\byou\b", identity_text(text).lower()):
        # A third-person text: "Caller found his neighbor ...", "Pt reports she ...".
        lower = text.lower()
        first = re.search(r"\b(she|he|his|himself|herself)\b", lower) or re.match(
            r"\W*(?:the )?(?:caller|client|texter|pt|patient|[a-z]+)(?:'s)?\s+\w+\s+(his|her)\b", lower)
        if first:
            return "she/her" if first.group(1) in ("she", "her", "herself") else "he/him"
    return None
