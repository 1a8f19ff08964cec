"""Facts found in a text, each judged in its sentence (pure).

A *mention* is one concept (suicidal ideation, a plan, a means, self-harm, ...) found by a phrase
in ``profile_phrases.toml``, with its context: negated ("Deny SI/self-harm"), uncertain ("does not
know if she has a plan"), past ("history of SI"), and about the caller or about someone else ("her
brother died by suicide"). An instruction to the counselor ("assess for suicide") is no mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .people import stated_names, stated_pronouns
from .phrases import clause_prefix, identity_text, relation_at, rules, split_sentences, subject_prefix, unquoted

@dataclass(frozen=True)
class Voice:
    """How a text speaks of its caller: "You are ..." (second person) or "Caller is ... she ..."."""

    second_person: bool = True
    pronoun: str | None = None  # the caller's, when the text genders them ("she/her")
    name: str | None = None  # the caller's first name, a word that speaks about the caller
    caller: str = "self"


def voice_of(text: str, caller: str) -> Voice:
    identity = unquoted(identity_text(text)).lower()
    second = re.search(r"\b(?:you(?:'re|r|rself)?|u|ur)\b", identity) is not None
    if re.search(r"\byou(?:'re| are)? play(?:ing)?\b|\brole of\b", identity):
        second = False  # "You're playing Imani ... She has a plan": the text speaks of Imani
    name = stated_names(text, caller)[0] if caller != "professional" else None  # a professional's name labels them
    first = name.split()[-1 if name.split()[0].rstrip(".").lower() in ("mr", "mrs", "ms", "dr") else 0] if name else None
    return Voice(second_person=second, pronoun=stated_pronouns(text, caller), name=first.lower() if first else None,
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


def answer_follows(after: str) -> bool:
    """"if asked about suicide, deny it" / "..., admit it": the answer states the fact."""
    return bool(rules().any("negation.after_when_asked", after) or re.match(
        r"[^.;]{0,25}?\b(?:admits?|says? yes|acknowledges?|discloses?)\b(?:\s+(?:it|that|this))?\s*(?:[.;,]|$)", after))


def is_negated(lower: str, start: int, end: int, concept: str) -> bool:
    r = rules()
    if r.raw["concepts"][concept].get("negated_in"):
        return True
    if r.any("negation.after", lower[end:]):
        return True
    if r.any("negation.asked_conditionally", lower[max(0, start - 40):start]) and r.any(
            "negation.after_when_asked", lower[end:]):
        return True
    prefix = clause_prefix(lower, start)[-90:]
    if concept == "protective":
        # Denied only right before it ("no support"); "would not do it because of his daughter" names one.
        return re.search(r"\b(?:no|not|without|denies|lacks?)\s+(?:any\s+|a\s+)?$", prefix) is not None
    cue = r.last("negation.before", prefix)
    if cue is None:
        return False
    if cue.group(0).startswith("den"):
        # "denies wanting to kill herself" denies the wish too; "will deny SI unless asked twice" hides it
        return not re.match(r"[^.;]{0,30}\b(?:unless|until|at first|initially)\b", lower[end:])
    between = prefix[cue.end():]
    return r.any("negation.verbs", between) is None


_EMPHATIC_SELF = re.compile(r"(?:suicidal|risk|ideation|thoughts?|\bsi|harm|plan)\s*$")


def about_self(lower: str, start: int, end: int, caller: str, voice: Voice = Voice()) -> bool:
    r = rules()
    if re.match(r"\s*(?:your|my)sel", lower[end:]):
        return True
    if re.search(r"without (?:you|me)\b", lower[start:end]):
        return True  # "your kids would be better off without you" is the caller's thought
    if re.match(r"\s*(?:her|him|them)sel", lower[end:]) and _EMPHATIC_SELF.search(lower[start:end]):
        return caller != "self" or relation_at(lower[:start], subject_only=True) is None  # "not suicidal herself"
    # Decide from the clause the mention is in; a relative clause ("a man who says he wants to
    # jump") is about the noun before "who".
    clause = subject_prefix(lower, start)
    decided = subject_of(clause, voice=voice)
    if decided is None or (decided is False and re.search(r"\b(?:she|he|they)\b", clause)):
        relative = re.search(r"\b(?:who|which|whose)\s+(?:[\w']+\s+){0,8}$", lower[:start])
        if relative and re.search(r"\b(?:you are|you're|caller is|i am|i'm|you play)\s+(?:an?\s+)?(?:[\w-]+[\s,]+){0,4}$",
                                  lower[:relative.start()]):
            return True  # "You are a woman who ..."
        if relative:
            antecedent = lower[max(0, relative.start() - 40): relative.start()]
            if caller != "self" and re.search(r"\b(?:a|another|the) caller\s*$", antecedent):
                return False  # a professional transferring "a caller who ..."
            decided = subject_of(antecedent, antecedent=True, voice=voice)
    if decided is None:
        return caller == "self"
    return decided


def subject_of(text: str, antecedent: bool = False, voice: Voice = Voice()) -> bool | None:
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
    other = relation_at(text, subject_only=not antecedent)
    if other and voice.caller == "self" and other.group(0) in ("client", "patient"):
        # In a clinician's note about the caller, "Client reports SI" is the caller.
        if self_word is None or other.end() > self_word.end():
            self_word = other
        other = relation_at(text[: other.start()], subject_only=not antecedent)
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
    anyone = relation_at(text)  # "about my girlfriend - she says ...": objects are antecedents too
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
    voice = voice_of(text, caller)
    found: list[Mention] = []
    for index, sentence in enumerate(split_sentences(text)):
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
                        r.any("negation.asked_conditionally", near) and answer_follows(lower[end:])):
                    continue  # an instruction to the counselor or a question's topic, not a fact
                clause = clause_prefix(lower, start)
                found.append(Mention(
                    concept=concept, sentence=index, start=start, end=end, text=sentence,
                    negated=is_negated(lower, start, end, concept),
                    uncertain=r.any("negation.uncertain", clause) is not None,
                    past=bool(r.any("negation.past_before", clause.rsplit(",", 1)[-1][-30:])
                              or r.any("negation.past_after", lower[end:])),
                    about_self=about_self(lower, start, end, caller, voice)
                    and not quoted_from_someone_else(lower, start, quotes, voice),
                ))
    # "Passive SI" is passive ideation, not the plain "SI" inside it.
    passive = [(m.sentence, m.start, m.end) for m in found if m.concept == "si_passive"]
    return [m for m in found if not (m.concept == "si_active" and any(
        s == m.sentence and a <= m.start and m.end <= b for s, a, b in passive))]


def _greeting(sentence: str, match: re.Match) -> bool:
    """"HI, IS THIS THE CRISIS LINE?" greets; "Denies SI, HI, AVH" does not."""
    return match.group(0) == "HI" and not re.sub(r"[\W_]", "", sentence[: match.start()]) and bool(
        re.match(r"\s*[,!]", sentence[match.end():]))


def quoted_from_someone_else(lower: str, start: int, quotes: list[tuple[int, int]], voice: Voice) -> bool:
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
            return subject_of(who, voice=voice) is False or (bool(who.strip()) and subject_of(who, voice=voice) is None
                                                             and voice.second_person)
    return False
