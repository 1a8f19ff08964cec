"""Read a caller profile out of a trainer's free text, deterministically.

Pure: text in, ``Profile`` out; the phrases live in ``profile_phrases.toml``. Every fact is found as
a *mention* in one sentence and then judged in its context: is it negated ("Deny SI/self-harm"),
uncertain ("does not know if she has a plan"), in the past ("history of SI"), an instruction to the
counselor rather than a fact ("assess for suicide"), and is it about the caller or about someone
else ("her brother died by suicide")? Only what the text states is filled in; the rest stays
``not_stated``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .profile import Profile

_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\bdr\.)(?<!\bmr\.)(?<!\bms\.)(?<!\bst\.)(?<!\bvs\.)(?<!\bpt\.)(?<!\bhx\.)(?<!\bmrs\.)(?<!e\.g\.)(?<!i\.e\.)"
    r"\s+(?=[\"'\u201c(]?[A-Za-z0-9])|(?<=[.!?][\"\u201d)])\s+(?=[A-Za-z0-9])|\n\s*\n|\n\s*(?=[-*\u2022]|\d+[.)])|\n(?=[A-Z][\w ]*\s*:)", re.I)
_MAX_FACT = 160  # characters of a sentence kept as a stated fact (plan, protective factors)


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


@dataclass(frozen=True)
class Voice:
    """How a text speaks of its caller: "You are ..." (second person) or "Caller is ... she ..."."""

    second_person: bool = True
    pronoun: str | None = None  # the caller's, when the text genders them ("she/her")
    name: str | None = None  # the caller's first name, a word that speaks about the caller
    caller: str = "self"


def _unquoted(text: str) -> str:
    return re.sub(r'["\u201c][^"\u201d]*["\u201d]', " ", text)


def _voice(text: str, caller: str) -> Voice:
    identity = _unquoted(_identity(text)).lower()
    second = re.search(r"\b(?:you(?:'re|r|rself)?|u|ur)\b", identity) is not None
    if re.search(r"\byou(?:'re| are)? play(?:ing)?\b|\brole of\b", identity):
        second = False  # "You're playing Imani ... She has a plan": the text speaks of Imani
    name = _name(text, caller)[0] if caller != "professional" else None  # a professional's name labels them
    first = name.split()[-1 if name.split()[0].rstrip(".").lower() in ("mr", "mrs", "ms", "dr") else 0] if name else None
    return Voice(second_person=second, pronoun=_pronouns(text, caller), name=first.lower() if first else None,
                 caller=caller)


@dataclass(frozen=True)
class Mention:
    concept: str
    sentence: int
    start: int
    end: int
    text: str
    negated: bool
    uncertain: bool
    past: bool
    about_self: bool


def _sentences(text: str) -> list[str]:
    parts = [p.strip(" \t\r\n-*\u2022") for p in _SENTENCE_END.split(text)]
    return [re.sub(r"\s+", " ", p) for p in parts if p and p.strip()]


def _clause_prefix(lower: str, start: int) -> str:
    """The part of the sentence before ``start`` that a negation or subject could reach."""
    prefix = lower[:start]
    cut = 0
    for key in ("negation.scope_breaks", "negation.clause_breaks"):
        match = rules().last(key, prefix)
        if match:
            cut = max(cut, match.end())
    return prefix[cut:]


def _subject_prefix(lower: str, start: int) -> str:
    """The part of the sentence before ``start`` that says who it is about (to the last clause break)."""
    prefix = lower[:start]
    match = rules().last("negation.clause_breaks", prefix)
    return prefix[match.end():] if match else prefix


def _answer_follows(after: str) -> bool:
    """"if asked about suicide, deny it" / "..., admit it": the answer states the fact."""
    return bool(rules().any("negation.after_when_asked", after) or re.match(
        r"[^.;]{0,25}?\b(?:admits?|says? yes|acknowledges?|discloses?)\b(?:\s+(?:it|that|this))?\s*(?:[.;,]|$)", after))


def _negated(lower: str, start: int, end: int, concept: str) -> bool:
    r = rules()
    if r.raw["concepts"][concept].get("negated_in"):
        return True
    if r.any("negation.after", lower[end:]):
        return True
    if r.any("negation.asked_conditionally", lower[max(0, start - 40):start]) and r.any(
            "negation.after_when_asked", lower[end:]):
        return True
    prefix = _clause_prefix(lower, start)[-90:]
    cue = r.last("negation.before", prefix)
    if cue is None:
        return False
    if cue.group(0).startswith("den"):
        # "denies wanting to kill herself" denies the wish too; "will deny SI unless asked twice" hides it
        return not re.match(r"[^.;]{0,30}\b(?:unless|until|at first|initially)\b", lower[end:])
    between = prefix[cue.end():]
    return r.any("negation.verbs", between) is None


def _relation_at(text: str, subject_only: bool = False) -> re.Match | None:
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
_EMPHATIC_SELF = re.compile(r"(?:suicidal|risk|ideation|thoughts?|\bsi|harm|plan)\s*$")


def _about_self(lower: str, start: int, end: int, caller: str, voice: Voice = Voice()) -> bool:
    r = rules()
    if re.match(r"\s*(?:your|my)sel", lower[end:]):
        return True
    if re.search(r"without (?:you|me)\b", lower[start:end]):
        return True  # "your kids would be better off without you" is the caller's thought
    if re.match(r"\s*(?:her|him|them)sel", lower[end:]) and _EMPHATIC_SELF.search(lower[start:end]):
        return caller != "self" or _relation_at(lower[:start], subject_only=True) is None  # "not suicidal herself"
    # Decide from the clause the mention is in; a relative clause ("a man who says he wants to
    # jump") is about the noun before "who".
    clause = _subject_prefix(lower, start)
    decided = _subject(clause, voice=voice)
    if decided is None or (decided is False and re.search(r"\b(?:she|he|they)\b", clause)):
        relative = re.search(r"\b(?:who|which|whose)\s+(?:[\w']+\s+){0,8}$", lower[:start])
        if relative and re.search(r"\b(?:you are|you're|caller is|i am|i'm|you play)\s+(?:an?\s+)?(?:[\w-]+[\s,]+){0,4}$",
                                  lower[:relative.start()]):
            return True  # "You are a woman who ..."
        if relative:
            antecedent = lower[max(0, relative.start() - 40): relative.start()]
            if caller != "self" and re.search(r"\b(?:a|another|the) caller\s*$", antecedent):
                return False  # a professional transferring "a caller who ..."
            decided = _subject(antecedent, antecedent=True, voice=voice)
    if decided is None:
        return caller == "self"
    return decided


def _subject(text: str, antecedent: bool = False, voice: Voice = Voice()) -> bool | None:
    """True: ``text`` speaks about the caller; False: about someone else; None: it doesn't say.

    The last person named decides. A "he" or "she" is someone else in a "You are ..." text, and
    in a third-person text is the caller when it matches the caller's stated gender.
    """
    self_word = rules().last("callers.self_words", text)
    if voice.caller == "professional" and self_word and "caller" in self_word.group(0):
        self_word = None  # to a transferring professional, "the caller" is the person handed over
    if voice.name:
        named = None
        for named in re.finditer(rf"\b{re.escape(voice.name)}\b", text):
            pass
        if named and (self_word is None or named.end() > self_word.end()):
            self_word = named  # "Jess admits she ..." speaks about the caller, Jess
    other = _relation_at(text, subject_only=not antecedent)
    if other and voice.caller == "self" and other.group(0) in ("client", "patient"):
        # In a clinician's note about the caller, "Client reports SI" is the caller.
        if self_word is None or other.end() > self_word.end():
            self_word = other
        other = _relation_at(text[: other.start()], subject_only=not antecedent)
    pronoun = None
    for pronoun in re.finditer(r"\b(she|he|they)\b", text):
        pass
    ends = {"self": self_word.end() if self_word else -1, "other": other.end() if other else -1,
            "pronoun": pronoun.end() if pronoun else -1}
    latest = max(ends, key=lambda k: (ends[k], k == "other"))
    if ends[latest] < 0:
        return None
    if latest == "other":
        return False
    if latest == "self":
        return True
    word = pronoun.group(1)
    anyone = _relation_at(text)  # "about my girlfriend - she says ...": objects are antecedents too
    nouns = {"self": ends["self"], "other": max(ends["other"], anyone.end() if anyone else -1)}
    nouns = {k: v for k, v in nouns.items() if v >= 0}
    if nouns:
        return max(nouns, key=nouns.get) == "self"  # "Jess admits she ...", "her son says he ..."
    if voice.second_person or voice.caller != "self":
        return False  # "he" in a "You are ..." text, or in a call about someone else
    if voice.pronoun and word != "they":
        return voice.pronoun.startswith(word + "/")
    return None


def mentions(text: str, caller: str = "self") -> list[Mention]:
    """Every concept found in ``text``, each judged in its sentence."""
    r = rules()
    voice = _voice(text, caller)
    found: list[Mention] = []
    for index, sentence in enumerate(_sentences(text)):
        lower = sentence.lower()
        quotes = [q.span() for q in re.finditer(r'["\u201c][^"\u201d]*["\u201d]', sentence)]
        for concept in r.raw["concepts"]:
            spans = [(m.start(), m.end()) for p in r.compiled[f"concept.{concept}"] for m in p.finditer(lower)]
            spans += [(m.start(), m.end()) for p in r.compiled[f"cased.{concept}"] for m in p.finditer(sentence)
                      if not _greeting(sentence, m)]
            for start, end in sorted(set(spans)):
                prefix = lower[:start]
                near = re.split(r"[,;:]", prefix)[-1][-40:]  # "asks about suicide, he admits to passive SI"
                if r.any("negation.not_a_fact_before", near) and not (
                        r.any("negation.asked_conditionally", near) and _answer_follows(lower[end:])):
                    continue  # an instruction to the counselor or a question's topic, not a fact
                clause = _clause_prefix(lower, start)
                found.append(Mention(
                    concept=concept, sentence=index, start=start, end=end, text=sentence,
                    negated=_negated(lower, start, end, concept),
                    uncertain=r.any("negation.uncertain", clause) is not None,
                    past=bool(r.any("negation.past_before", clause.rsplit(",", 1)[-1][-30:])
                              or r.any("negation.past_after", lower[end:])),
                    about_self=_about_self(lower, start, end, caller, voice)
                    and not _quoted_from_someone_else(lower, start, quotes, voice),
                ))
    # "Passive SI" is passive ideation, not the plain "SI" inside it.
    passive = [(m.sentence, m.start, m.end) for m in found if m.concept == "si_passive"]
    return [m for m in found if not (m.concept == "si_active" and any(
        s == m.sentence and a <= m.start and m.end <= b for s, a, b in passive))]


def _greeting(sentence: str, match: re.Match) -> bool:
    """"HI, IS THIS THE CRISIS LINE?" greets; "Denies SI, HI, AVH" does not."""
    return match.group(0) == "HI" and not re.sub(r"[\W_]", "", sentence[: match.start()]) and bool(
        re.match(r"\s*[,!]", sentence[match.end():]))


def _quoted_from_someone_else(lower: str, start: int, quotes: list[tuple[int, int]], voice: Voice) -> bool:
    """Words in quotes said by someone else ("her ex texted 'just kill yourself then'")."""
    for begin, finish in quotes:
        if begin < start < finish:
            speaker = lower[max(0, begin - 150): begin]
            said = None
            for said in re.finditer(r"\b(?:said|says|told|tells|texted|texts|wrote|writes|posted|yelled|messaged|"
                                    r"screamed|shouted|replied|called (?:you|her|him))\b", speaker):
                pass  # the last speech verb before the quote introduces it
            if not said:
                return False
            who = speaker[: said.start()]
            # "Kids at school texted you ..." is someone else; a bare "Says ..." is the caller.
            return _subject(who, voice=voice) is False or (bool(who.strip()) and _subject(who, voice=voice) is None
                                                             and voice.second_person)
    return False


# --- who is calling -----------------------------------------------------------------------------

def _identity(text: str) -> str:
    """The sentences that say who the caller is: the first one and any "You are ..." one."""
    sentences = _sentences(text)
    # The first sentence, a short second one ("HI, IS THIS THE CRISIS LINE? I NEED TO TALK ABOUT MY
    # MOM"; "Warm transfer from the warmline. The warmline counselor (Beth) ..."), and "You are" ones.
    first = sentences[:2] if sentences and (len(sentences[0].split()) <= 8) else sentences[:1]
    chosen = first + [s for s in sentences[len(first):4] if re.match(
        r"(?i)(?:you are|you're|caller is|the caller is|caller:|i am|i'm)\b", s)]
    return " ".join(chosen)


def _who_calls(text: str) -> dict[str, Any]:
    r = rules()
    identity = _identity(text)
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
            about = _about_whom(" ".join(tail.split()[:5]))
            strong = re.search(r"third|not calling|\bof\b|caller", third.group(0))
            if about is None and strong:
                about = _about_whom(tail) or " ".join(tail.split()[:4]).strip(" ,.") or None
        else:
            about = _about_whom(lower[third.end():] if third else lower)
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


def _about_whom(text: str) -> str | None:
    """"her 16-year-old son" from the words after "calling about"."""
    head = text[:120]
    match = _relation_at(head)
    if match is None:
        return None
    start = re.search(r"\b(?:her|his|their|your|my|the|a|an|one of (?:her|his|their|your|my))\s+(?:[\w/'-]+\s+){0,3}$",
                      head[: match.start()])
    phrase = head[start.start() if start else match.start(): match.end()]
    return phrase.strip()


# --- names, ages, pronouns ----------------------------------------------------------------------

def _clean_name(found: str, not_names: set[str]) -> str | None:
    words = found.split()
    while words and words[-1].strip(".") in not_names:
        words.pop()  # "Chris Deny SI": the surname slot caught a capitalised word
    if not words or words[-1].strip(".") in not_names or words[-1].isupper():
        return None
    return " ".join(words)


def _name(text: str, caller: str) -> tuple[str | None, str | None]:
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
                other = _relation_at(before[-30:])
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


def _age(text: str, caller: str) -> int | None:
    """The caller's age, when stated as a number (the earliest mention that is not someone else's)."""
    r = rules()
    scope = _identity(text) if caller != "self" else text
    if caller != "self":
        third = r.any("callers.third_party", scope.lower())
        scope = scope[: third.start()] if third else scope
    found = sorted(((m.start(), m) for p in r.compiled["ages"] for m in p.finditer(scope)), key=lambda f: f[0])
    for _, match in found:
        after = scope[match.end(): match.end() + 14].lower()
        before = scope[max(0, match.start() - 16): match.start()].lower()
        if _relation_at(re.match(r"[\s\w/-]*", after).group(0)) and re.search(
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


def _pronouns(text: str, caller: str) -> str | None:
    r = rules()
    explicit = re.search(r"\b(she/her|he/him|they/them)\b", text.lower())
    if explicit:
        return explicit.group(1)
    coded = re.search(r"\b\d{1,2}\s?([MF])\b", text)  # "25F", "34 M"
    if coded and caller == "self":
        return "she/her" if coded.group(1) == "F" else "he/him"
    identity = _identity(text).lower()
    third = r.any("callers.third_party", identity)
    identity = identity[: third.start()] if third else identity
    if caller == "self":
        # Only a self-description counts: "You are a 40-year-old woman", "Caller is a man".
        described = re.search(r"\b(?:you are|you're|caller is|the caller is|i am|i'm)\b(.*)", identity)
        # Without a self-description only the text's first words describe the caller ("Mother of two, 45").
        opening_words = " ".join(identity.split()[:6])
        identity = described.group(1) if described else (opening_words if not re.search(r"\byou\b", identity) else "")
        identity = re.sub(r"\b(?:her|his|their|your|my|whose|\w+'s)\s+[\w-]+", " ", identity)  # "her husband" is someone else
        if re.search(r"\byou\b", _identity(text).lower()):
            identity = re.sub(r"\b(?:she|he|her|him|his|hers)\b", " ", identity)  # others, in a "you are" text
    if caller != "self":
        identity = " ".join(identity.split()[:4])  # "Mother calling ...", not "... about a suicidal male"
    female, male = r.any("callers.female", identity), r.any("callers.male", identity)
    if female and (not male or female.start() < male.start()):
        return "she/her"
    if male:
        return "he/him"
    title = re.search(r"\b(Mrs|Ms|Miss|Mr)\.?\s+[A-Z]", _identity(text))
    if title:
        return "he/him" if title.group(1) == "Mr" else "she/her"
    if caller == "self" and not re.search(r"\byou\b", _identity(text).lower()):
        # A third-person text: "Caller found his neighbor ...", "Pt reports she ...".
        lower = text.lower()
        first = re.search(r"\b(she|he|his|himself|herself)\b", lower) or re.match(
            r"\W*(?:the )?(?:caller|client|texter|pt|patient|[a-z]+)(?:'s)?\s+\w+\s+(his|her)\b", lower)
        if first:
            return "she/her" if first.group(1) in ("she", "her", "herself") else "he/him"
    return None


# --- the profile --------------------------------------------------------------------------------

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
    voice = _voice(text, caller)
    named, denied = [], False
    for index, sentence in enumerate(_sentences(text)):
        lower = sentence.lower()
        for name in r.raw["substances"]:
            for pattern in r.compiled[f"substance.{name}"]:
                for match in pattern.finditer(lower):
                    prefix = _clause_prefix(lower, match.start())
                    if r.any("negation.not_a_fact_before", prefix[-40:]):
                        continue
                    if not _about_self(lower, match.start(), match.end(), caller, voice):
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
    who = _who_calls(text)
    caller = who["caller"]
    found = mentions(text, caller)
    attempts = {m.sentence for m in found if m.concept == "attempt" and not m.negated}
    found = [m for m in found if not (m.concept in ("method", "means") and m.sentence in attempts)]  # how they tried
    own, other = _current(found, True), _current(found, False)
    risk, plan_flag = _risk(own)
    about_risk, _ = _risk(other) if caller != "self" else ("not_stated", None)
    facts: dict[str, Any] = {"caller": caller, "role": who["role"], "about": who["about"]}
    name, about_name = _name(text, caller)
    facts.update(caller_name=name, about_name=about_name, age=_age(text, caller), pronouns=_pronouns(text, caller),
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
    sentences = _sentences(text)
    story = " ".join(sentences[:2])[:300]
    return Profile().with_fields("text", **stated, story=story)
