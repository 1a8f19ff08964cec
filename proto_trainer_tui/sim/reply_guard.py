"""The guard a language model's caller reply passes before it is voiced (pure, no I/O).

The caller engine decides which risk facts the counselor has earned so far
(:class:`Disclosure`); a model is told only those. The guard then checks what the
model wrote: no withheld risk topic (thoughts, plan, means, timeline, past
attempts) unless it is denied, none of the caller's own words for a withheld fact,
no admission of being an AI, no talk about the role-play, no grading or coaching.

A withheld fact is also recognised by its content however it is worded: the words
of the fact bring in concepts (``data/fact_words.toml``: pills = tablets = meds =
sleepers, weekend = Saturday, saving = collecting = stash ...), and a reply that
says, not denied, a word of a strong concept or words of two concepts of that fact
gives it away (a word the caller also says in free talk only backs another).
Some concepts say what a fact is about rather than its words, and guard every
caller's plan, means or timeline, invented ones too: having a way, having got
something ready, a time it will happen (alone, "Saturday, probably.", it is an
answer to "when?"), not being around, goodbyes, giving things away.
Everyday senses of risk words ("I tried calling her", "they cut my hours") are
masked first. The phrases are data (``data/reply_guard.toml``,
``data/fact_words.toml``); this module says how to decide.

A reply the phrases pass then meets a learned second layer (guard_model.py): a
small model per topic that knows wording no phrase names ("everyone'd be happier
if I wasn't around"). A reply is blocked when either layer blocks it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache
from importlib import resources

from ..scenarios.model import RISK_FACTS, Scenario
from .guard_model import GuardModel, default_model
from .moves import tokens

# Facts whose early telling is a disclosure-discipline failure. Reasons for living
# (``protective``) may come up naturally and are not guarded.
GUARDED_FACTS = ("thoughts", "plan", "means", "timeline", "past_attempts", "self_harm", "homicidal")
NEGATION_WINDOW = 3  # words before a topic phrase that can deny it ("I don't have any pills")
FACT_WORDS_FOR_LEAK = 2  # distinctive words of one withheld fact that together give it away
STRONG, WEAK, BACKING = 3, 2, 1  # how much a concept said counts (see _gives_away)
CLAUSE_BREAK = re.compile(r"[.!?;,:\u2026]|\bbut\b|\band\b|\bso\b")
# A word, or a mark that ends a clause (punctuation, "but", "and", "so": CLAUSE_BREAK).
TOKEN_OR_BREAK = re.compile(r"[a-z0-9]+|[.!?;,:\u2026]")
CLAUSE_WORDS = frozenset({"but", "and", "so"})
CLAUSE_END = "|"  # punctuation, for everyday contexts that must stay inside a clause
ANY_WORD = "*"  # in a concept's phrase, one to WILDCARD_WORDS words ("build * up", "gave * to")
WILDCARD_WORDS = 3
# Text nobody says aloud: *sighs*, [pause], (long silence). A shape, checked before normalising.
STAGE_DIRECTION = re.compile(r"\*[^*\n]{1,40}\*|\[[^\]\n]{1,40}\]|\([a-z ]{1,30}\)")


def stem(word: str) -> str:
    """A light stem so that simple variants meet: pills/pill, saving/saved/save, cutting/cut.
    A plural goes first, then -ing or -ed, so "evenings" and "evening" meet too."""
    bare = word
    if word.endswith("ies") and len(word) > 4:
        bare = word[:-3] + "y"
    elif word.endswith(("ches", "shes", "xes", "sses")) and len(word) >= 5:
        bare = word[:-2]
    elif word.endswith("s") and len(word) >= 4 and not word.endswith(("ss", "us", "is")):
        bare = word[:-1]
    if bare.endswith("ing") and len(bare) >= 6 and not bare.endswith("thing"):  # not everything
        bare = bare[:-3]
    elif bare.endswith("ed") and len(bare) >= 5 and not bare.endswith("eed"):
        bare = bare[:-2]
    if bare != word and len(bare) > 3 and bare[-1] == bare[-2] and bare[-1] not in "aeiouls":
        bare = bare[:-1]  # cutt(ing) -> cut, stopp(ed) -> stop
    if len(bare) >= 4 and bare.endswith("e") and bare[-2] not in "aeiou":
        bare = bare[:-1]  # save, sav(ed), sav(ing) meet
    return bare


Phrase = tuple[str, ...]  # stems of a word or a phrase


@dataclass(frozen=True, eq=False)  # hashed by identity: one object per concept of the rules
class Concept:
    """Words that say one thing a risk fact can be about (the pills, the weekend, saving them up)."""

    name: str
    strong: bool  # one word of it alone gives the fact away
    words: tuple[Phrase, ...]  # said in a reply
    cues: tuple[Phrase, ...]  # in a fact's text, bring the concept in (with ``words``)
    always: frozenset[str]  # facts it guards whatever their text says
    bare: bool = False  # a clause of nothing but its word and fillers ("Saturday, probably.") is strong
    said_alone: tuple[Phrase, ...] = ()  # words that count only so, as a bare clause ("..., before.")

    @cached_property
    def by_first(self) -> Mapping[str, tuple[Phrase, ...]]:
        """Its phrases by their first stem, so a reply is looked up, not every phrase tried."""
        index: dict[str, list[Phrase]] = {}
        for words in (*self.words, *self.said_alone):
            index.setdefault(words[0], []).append(words)
        return {first: tuple(phrases) for first, phrases in index.items()}


# An everyday context after a trigger word: (whether it is everyday, its word patterns).
Context = tuple[bool, tuple[str, ...]]


@dataclass(frozen=True, eq=False)  # hashed by identity, so per-fact work can be cached
class GuardRules:
    negators: frozenset[str]
    hedges: frozenset[str]  # "dont think": a negator before these denies nothing that follows
    stopwords: frozenset[str]
    topics: Mapping[str, tuple[re.Pattern[str], ...]]
    never: Mapping[str, tuple[re.Pattern[str], ...]]  # reason -> patterns
    concepts: tuple[Concept, ...] = ()
    fillers: frozenset[str] = frozenset()  # words a bare answer may have around it (maybe, I think)
    everyday: Mapping[tuple[str, ...], tuple[Context, ...]] = field(default_factory=dict)  # trigger -> contexts

    def everyday_at(self, words: list[str], i: int) -> int:
        """How many words from ``i`` on are a trigger used in an everyday sense (0: none)."""
        for trigger, contexts in self.everyday.items():
            end = i + len(trigger)
            if tuple(words[i:end]) != trigger:
                continue
            for everyday, pattern in contexts:  # the first context that fits decides
                after = words[end:end + len(pattern)]
                if len(after) == len(pattern) and all(
                        word != CLAUSE_END and fnmatchcase(word, want) for word, want in zip(after, pattern)):
                    if everyday:
                        return len(trigger)
                    break
        return 0


def _compile(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(rf"\b(?:{p})\b") for p in patterns)


def phrase(text: str) -> Phrase:
    return tuple(stem(word) for word in words_of(text))


def _concept_phrase(text: str) -> Phrase:
    """A concept's word or phrase as stems, ``*`` kept (one to three words)."""
    return tuple(stem_ for part in text.split()
                 for stem_ in ((ANY_WORD,) if part == ANY_WORD else phrase(part)))


def parse_concepts(text: str) -> tuple[Concept, ...]:
    """Concepts from the TOML text of ``fact_words.toml`` (ValueError if a fact name is unknown)."""
    concepts = []
    for name, table in tomllib.loads(text)["concepts"].items():
        always = frozenset(table.get("always", ()))
        if always - set(GUARDED_FACTS):
            raise ValueError(f"concept {name}: unknown facts {sorted(always - set(GUARDED_FACTS))}")
        words = tuple(_concept_phrase(w) for w in table["words"])
        if any(not w or w[0] == ANY_WORD for w in words):
            raise ValueError(f"concept {name}: a phrase must start with a word")
        concepts.append(Concept(name, bool(table["strong"]), words,
                                tuple(phrase(w) for w in table.get("cues", ())), always,
                                bool(table.get("bare", False)),
                                tuple(_concept_phrase(w) for w in table.get("said_alone", ()))))
    return tuple(concepts)


def parse_everyday(table: Mapping[str, list[str]]) -> dict[tuple[str, ...], tuple[Context, ...]]:
    """``{"tried": ["!to kill", "to *", "*ing"]}``: contexts after a trigger, "!" = not everyday."""
    return {tuple(trigger.split()): tuple((not c.startswith("!"), tuple(c.lstrip("!").split())) for c in contexts)
            for trigger, contexts in table.items()}


def parse_rules(text: str, concepts: str = "") -> GuardRules:
    """Rules from the TOML text of ``reply_guard.toml`` (ValueError if a topic is unknown)."""
    data = tomllib.loads(text)
    unknown = set(data["topics"]) - set(RISK_FACTS)
    if unknown:
        raise ValueError(f"unknown guard topics {sorted(unknown)}")
    return GuardRules(
        negators=frozenset(data["negators"]),
        hedges=frozenset(data.get("hedges", ())),
        stopwords=frozenset(data["stopwords"]),
        topics={name: _compile(table["patterns"]) for name, table in data["topics"].items()},
        never={table["reason"]: _compile(table["patterns"]) for table in data["never"].values()},
        concepts=parse_concepts(concepts) if concepts else (),
        fillers=frozenset(tomllib.loads(concepts).get("fillers", ())) if concepts else frozenset(),
        everyday=parse_everyday(data.get("everyday", {})),
    )


def _data(name: str) -> str:
    return resources.files(__package__).joinpath(f"data/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_rules() -> GuardRules:
    return parse_rules(_data("reply_guard.toml"), _data("fact_words.toml"))


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped ("I'm" -> "im"), other punctuation kept for clause breaks."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9.,!?;:/\u2026 -]+", " ", text)


words_of = tokens  # the caller engine's own tokenizer: lower case, apostrophes dropped, words only


def mask_everyday(text: str, rules: GuardRules) -> str:
    """A normalised reply with the trigger words of everyday senses blanked ("i       calling her")."""
    if not rules.everyday:
        return text
    matches = list(TOKEN_OR_BREAK.finditer(text))  # a context never runs past the end of a clause
    words = [m.group() if m.group()[0].isalnum() else CLAUSE_END for m in matches]
    out, i = list(text), 0
    while i < len(words):
        n = rules.everyday_at(words, i)
        if n:
            for m in matches[i:i + n]:
                out[m.start():m.end()] = " " * (m.end() - m.start())
            i += n
        else:
            i += 1
    return "".join(out)


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

    def concepts(self, fact: str, rules: GuardRules) -> tuple[Concept, ...]:
        """The concepts that can give a withheld fact away: its text's, and those always guarded."""
        return _fact_concepts(fact, self.withheld.get(fact, ""), rules)

    def distinctive_words(self, fact: str, rules: GuardRules) -> frozenset[str]:
        """Words of a withheld fact that say it and nothing else the caller may say (none for a
        fact that is a denial: "I've never tried to kill myself" said again tells nothing)."""
        return _distinctive_words(self.withheld.get(fact, ""), self.known_text, rules)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


OK = Verdict(True)


@lru_cache(maxsize=256)
def _distinctive_words(fact_text: str, known_text: str, rules: GuardRules) -> frozenset[str]:
    if not _states_something(fact_text, rules):
        return frozenset()
    known = set(words_of(known_text))
    return frozenset(w for w in words_of(fact_text) if len(w) > 3 and w not in rules.stopwords and w not in known)


def _negated(text: str, start: int, rules: GuardRules) -> bool:
    window = CLAUSE_BREAK.split(text[:start])[-1].split()[-NEGATION_WINDOW:]
    return any(word in rules.negators and (i + 1 == len(window) or window[i + 1] not in rules.hedges)
               for i, word in enumerate(window))


def _topic_said(text: str, patterns: tuple[re.Pattern[str], ...], known: str, rules: GuardRules) -> bool:
    for pattern in patterns:
        for match in pattern.finditer(text):
            if re.search(rf"\b{re.escape(match.group())}\b", known) or _negated(text, match.start(), rules):
                continue  # the caller's own free words, or a denial
            return True
    return False


def _match(needle: Phrase, stems: tuple[str, ...], i: int) -> tuple[int, ...] | None:
    """Where the words of ``needle`` said at ``stems[i]`` are (``*``: one to three words between,
    not counted as its words), or None."""
    if not needle:
        return ()
    head = needle[0]
    if head == ANY_WORD:
        return next((found for k in range(1, WILDCARD_WORDS + 1) if i + k <= len(stems)
                     and (found := _match(needle[1:], stems, i + k)) is not None), None)
    if i < len(stems) and stems[i] == head and (rest := _match(needle[1:], stems, i + 1)) is not None:
        return (i, *rest)
    return None


def _end(needle: Phrase, stems: tuple[str, ...], i: int) -> int | None:
    """Where ``needle`` said at ``stems[i]`` ends, or None."""
    found = _match(needle, stems, i)
    return None if found is None else found[-1] + 1


def _at(needle: Phrase, stems: tuple[str, ...], i: int) -> bool:
    return _match(needle, stems, i) is not None


def _occurs(needle: Phrase, stems: tuple[str, ...]) -> bool:
    return any(_at(needle, stems, i) for i in range(len(stems)))


def _states_something(fact_text: str, rules: GuardRules) -> bool:
    """Whether a fact says something (not a denial: "No, no plan.", "Oh, no, no. Nothing like that").
    Its first sentence decides, after a one-word one ("Me? No, no, I'm okay.")."""
    sentences = [words_of(part) for part in re.split(r"[.!?\u2026]+", fact_text)]
    sentences = [words for words in sentences if words]
    first = next((words for words in sentences if len(words) > 1), sentences[0] if sentences else [])
    return bool(first) and not set(first) & rules.negators


@lru_cache(maxsize=256)
def _fact_concepts(fact: str, fact_text: str, rules: GuardRules) -> tuple[Concept, ...]:
    stated = phrase(fact_text) if _states_something(fact_text, rules) else ()
    return tuple(c for c in rules.concepts
                 if fact in c.always or any(_occurs(p, stated) for p in (*c.words, *c.cues)))


@dataclass(frozen=True)
class _Said:
    """A normalised reply as stems, with where each stem starts, which clause it is in, and where
    each stem occurs."""

    text: str
    stems: tuple[str, ...]
    offsets: tuple[int, ...]
    at: Mapping[str, list[int]]
    words: tuple[str, ...] = ()
    clauses: tuple[int, ...] = ()

    @classmethod
    def of(cls, text: str) -> _Said:
        words, offsets, clauses, clause = [], [], [], 0
        for m in TOKEN_OR_BREAK.finditer(text):
            word = m.group()
            if not word[0].isalnum():
                clause += 1
                continue
            if word in CLAUSE_WORDS:
                clause += 1
            words.append(word)
            offsets.append(m.start())
            clauses.append(clause)
        stems = tuple(stem(word) for word in words)
        at: dict[str, list[int]] = {}
        for i, token in enumerate(stems):
            at.setdefault(token, []).append(i)
        return cls(text, stems, tuple(offsets), at, tuple(words), tuple(clauses))

    def bare(self, start: int, places: set[int], fillers: frozenset[str]) -> bool:
        """Whether the words at ``start`` make their clause with nothing but ``places`` (the words of
        one concept: "this coming Saturday") and fillers."""
        clause = self.clauses[start]
        return all(i in places or self.words[i] in fillers or self.words[i] in CLAUSE_WORDS
                   for i, c in enumerate(self.clauses) if c == clause)


@lru_cache(maxsize=64)
def _known_said(known_text: str) -> _Said:
    return _Said.of(normalise(known_text))


def _concepts_said(said_words: _Said, concepts: tuple[Concept, ...], known: _Said,
                   rules: GuardRules) -> list[tuple[Concept, int]]:
    """The concepts a reply says, not denied, each with how much it counts here. A concept said only
    by words another concept already counted ("a few days": a span and a time) is not counted again;
    a weak one (not a time) said by two phrases of its own in two clauses ("said thanks for
    everything. He'll understand later.") counts twice: the reply keeps coming back to it."""
    text, stems, starts = said_words.text, said_words.stems, said_words.at
    said, used = [], set()
    for concept in concepts:
        index, strong = concept.by_first, concept.strong
        found = []  # (phrase, where each time it is said, not denied: its own words' places)
        for words in (words for first in (starts.keys() & index.keys()) for words in index[first]):
            said_at = [at for i in starts[words[0]] if (at := _match(words, stems, i)) is not None
                       and not _negated(text, said_words.offsets[i], rules)]
            if said_at:
                found.append((words, said_at))
        if not found:
            continue
        places = {j for _, said_at in found for at in said_at for j in at}  # not the words a * stood for
        covered = {j for _, said_at in found for at in said_at for j in range(at[0], at[-1] + 1)}
        weight, own_phrases = 0, []
        if concept.bare and any(said_words.bare(at[0], covered, rules.fillers) for _, said_at in found for at in said_at):
            weight = STRONG  # a time said alone answers "when?", even a time of free talk
        for words, spans in found:
            if words in concept.said_alone:
                continue
            # A word of the caller's free talk says less: a strong one only backs another concept.
            free = any(_at(words, known.stems, i) for i in known.at.get(words[0], ()))
            weight = max(weight, STRONG if strong and not free else WEAK if not free else
                         BACKING if strong else 0)
            if not free:
                own_phrases.append({j for at in spans for j in at})
        if weight and (weight == STRONG or not places <= used):
            said.append((concept, weight))
            if weight == WEAK and not concept.bare and _apart(own_phrases, said_words.clauses):
                said.append((concept, WEAK))
            used |= places
    return said


def _apart(phrases: list[set[int]], clauses: tuple[int, ...]) -> bool:
    """Whether two of these stretches of words are in different clauses."""
    said_in = [{clauses[i] for i in words} for words in phrases]
    return any(not a & b for n, a in enumerate(said_in) for b in said_in[n + 1:])


def _gives_away(said: list[tuple[Concept, int]]) -> bool:
    """One strong word, or two concepts of which at least one not from the caller's free talk."""
    weights = [weight for _, weight in said]
    return STRONG in weights or (WEAK in weights and len(weights) >= 2)


def check_reply(reply: str, disclosure: Disclosure, rules: GuardRules | None = None, *,
                use_model: bool = True, model: GuardModel | None = None) -> Verdict:
    """Whether ``reply`` may be voiced, and if not, why (for the log, never shown to the counselor).
    The phrases decide first; then the learned layer (``model``, by default the shipped one; none with
    ``use_model=False``)."""
    rules = rules or default_rules()
    verdict = _check_phrases(reply, disclosure, rules)
    model = model if model is not None else (default_model() if use_model else None)
    if not verdict.ok or model is None:
        return verdict
    found = model.blocks(reply, disclosure.withheld, rules.negators, disclosure.known_text)
    if found is None:
        return verdict
    topic, p = found
    what = "AI, role-play or grading talk" if topic == "meta" else f"withheld {topic.replace('_', ' ')}"
    return Verdict(False, f"sounds like {what} (learned layer, {p:.2f})")


def _check_phrases(reply: str, disclosure: Disclosure, rules: GuardRules) -> Verdict:
    if STAGE_DIRECTION.search(reply):
        return Verdict(False, "stage directions")
    text = normalise(reply)
    for reason, patterns in rules.never.items():
        if any(pattern.search(text) for pattern in patterns):
            return Verdict(False, reason)
    text = mask_everyday(text, rules)
    known = normalise(disclosure.known_text)
    known_stems = _known_said(disclosure.known_text)
    reply_stems = _Said.of(text)
    said = {word for word, at in zip(reply_stems.words, reply_stems.offsets) if not _negated(text, at, rules)}
    for fact in disclosure.withheld:
        if _topic_said(text, rules.topics.get(fact, ()), known, rules):
            return Verdict(False, f"reveals {fact.replace('_', ' ')} before it was asked about")
        own = disclosure.distinctive_words(fact, rules) & said
        if len(own) >= FACT_WORDS_FOR_LEAK:
            return Verdict(False, f"gives away {fact.replace('_', ' ')} ({', '.join(sorted(own))})")
    for fact in disclosure.withheld:  # after the phrases, which name the fact more surely
        concepts = _concepts_said(reply_stems, disclosure.concepts(fact, rules), known_stems, rules)
        if _gives_away(concepts):
            return Verdict(False, f"gives away {fact.replace('_', ' ')} ({', '.join(c.name for c, _ in concepts)})")
    # Risk is one story: "go and be with Joan" (thoughts) and "soon" (a timeline) together tell it.
    concepts = _concepts_said(reply_stems, _all_concepts(disclosure, rules), known_stems, rules)
    if _gives_away(concepts):
        return Verdict(False, f"gives away withheld risk ({', '.join(c.name for c, _ in concepts)})")
    return OK


def _all_concepts(disclosure: Disclosure, rules: GuardRules) -> tuple[Concept, ...]:
    """What every withheld fact is about (the ``always`` concepts), each once. The words of one
    fact's own text are judged for that fact alone: Daniel's "a few weeks" of saving pills and any
    time together say nothing."""
    return tuple(c for c in rules.concepts if c.always & disclosure.withheld.keys())
