"""Per-utterance MITI 4.2 behaviour codes for a counselor turn, decided with the caller's turn before it.

Pure and deterministic. A turn is split into clauses (also without punctuation: recognised speech
has none), each clause gets its codes, and the turn's codes are the clauses' codes in order ("other"
only when nothing else was found). What phrases mean is data (``data/coding.toml``); this module
says how to decide:

- a question is open or closed by its form; a wh-question that asks for a fact ("What kind of
  dog?", "When will he turn three?") is closed;
- a statement in the second person, or one that restates the caller's own words, is a reflection,
  also with a rising "?" when it restates what the caller said; a declarative "?" that brings up
  something new ("So you know some people?") is a closed question;
- a reflection is complex when it adds meaning or feeling beyond the caller's words: a double-sided
  or metaphoric form, a feeling the caller did not name, or mostly new content.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

CODES = (
    "open_question", "closed_question", "simple_reflection", "complex_reflection", "affirmation",
    "seeking_collaboration", "emphasizing_autonomy", "giving_information", "persuade",
    "persuade_with_permission", "confront", "other",
)
QUESTION_CODES = ("open_question", "closed_question")
REFLECTION_CODES = ("simple_reflection", "complex_reflection")

_STOP = frozenset(
    "a an the and or but so to of in on at for with about from by is are was were be been being am i you your "
    "you're youre you've you'd you'll it it's its that that's this these those there their they them he she his her "
    "him we us our my me mine what how like sounds sound seems seem really very just now still even much more some "
    "any all has have had do does did doing not no can could would will should as if then than too also up out over "
    "down into because while lot kind sort thing things bit quite okay ok yeah um uh well right get got go going "
    "gonna want know think say said tell told feel feeling felt make made one way time i'm i've i'd don't didn't "
    "can't won't isn't aren't wasn't there's here".split()
)


@dataclass(frozen=True)
class CodedClause:
    text: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class _Phrases:
    fillers: re.Pattern
    wh_start: re.Pattern
    aux_start: re.Pattern
    open_invitation: re.Pattern
    closed_statement: re.Pattern
    fact_seeking: re.Pattern
    open_despite_fact: re.Pattern
    fact_invitation: re.Pattern
    check_tag: re.Pattern
    reflection_start: re.Pattern
    not_reflection: re.Pattern
    complex_marker: re.Pattern
    feelings: frozenset[str]
    affirmation: re.Pattern
    collaboration: re.Pattern
    proposal: re.Pattern
    autonomy: re.Pattern
    information: re.Pattern
    persuade: re.Pattern
    persuade_start: re.Pattern
    permission: re.Pattern
    asks_permission: re.Pattern
    suggestion: re.Pattern
    confront: re.Pattern
    rhetorical: re.Pattern
    negators: frozenset[str]
    reported: re.Pattern
    other_start: re.Pattern
    split_before: re.Pattern


def alternatives(entries: list[str], start: bool = False, whole_words: bool = False) -> re.Pattern:
    body = "|".join(f"(?:{entry})" for entry in entries)
    if whole_words:
        body = rf"(?:{body})\b"
    return re.compile(("^" if start else "") + f"(?:{body})")


def load_phrases(text: str | None = None) -> _Phrases:
    """Compile the phrase data (``text``: TOML source, for tests; default the packaged file)."""
    if text is None:
        text = resources.files(__package__).joinpath("data/coding.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    fillers = sorted(data["fillers"]["words"], key=len, reverse=True)
    q = data["question"]
    words = lambda items: "|".join(re.escape(w) for w in items)  # noqa: E731
    return _Phrases(
        fillers=re.compile(rf"^(?:(?:{words(fillers)})\b[\s,.!-]*)+"),
        wh_start=re.compile(rf"^(?:{words(q['wh_start'])})\b"),
        aux_start=re.compile(rf"^(?:{words(q['aux_start'])})\b"),
        open_invitation=alternatives(q["open_invitation"], start=True),
        closed_statement=alternatives(q["closed_statement"], start=True),
        fact_seeking=alternatives(q["fact_seeking"], start=True),
        open_despite_fact=alternatives(q["open_despite_fact"], start=True),
        fact_invitation=alternatives(q["fact_invitation"], start=True),
        check_tag=re.compile(rf"(?:^|[\s,]+)(?:{'|'.join(q['check'])})\s*$"),
        reflection_start=alternatives(data["reflection"]["start"], start=True),
        not_reflection=alternatives(data["reflection"]["not_reflection"], start=True),
        complex_marker=alternatives(data["complex"]["markers"]),
        feelings=frozenset(data["complex"]["feelings"]),
        affirmation=alternatives(data["affirmation"]["anywhere"]),
        collaboration=alternatives(data["seeking_collaboration"]["anywhere"]),
        proposal=alternatives(data["seeking_collaboration"]["proposal"], start=True),
        autonomy=alternatives(data["emphasizing_autonomy"]["anywhere"]),
        information=alternatives(data["giving_information"]["anywhere"]),
        persuade=alternatives(data["persuade"]["anywhere"]),
        persuade_start=alternatives(data["persuade"]["start"], start=True),
        permission=alternatives(data["persuade"]["permission"]),
        asks_permission=alternatives(data["persuade"]["asks_permission"]),
        suggestion=alternatives(data["persuade"]["suggestion"]),
        confront=alternatives(data["confront"]["anywhere"]),
        rhetorical=alternatives(data["confront"]["rhetorical"]),
        negators=frozenset(data["context"]["negators"]),
        reported=alternatives(data["context"]["reported"], start=True),
        other_start=alternatives(data["other"]["start"], start=True),
        # Where an unpunctuated run starts a new clause: a question word or a reflection opening.
        split_before=re.compile(
            r"\s(?=(?:what|how|why|when|where|who|do you|did you|are you|have you|can you|could you|would you|"
            r"is there|is it|is that|will you|were you|was it|tell me|it sounds|that sounds|sounds like|so you|"
            r"okay so|i'm wondering|i wonder|i want to ask|thank you|i'm so sorry|i'm sorry)\b)"
        ),
    )


@cache
def phrases() -> _Phrases:
    return load_phrases()


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u2018", "'").lower()).strip()


def stem(word: str) -> str:
    """A rough stem, enough to match "scared" with "scary" and "stopped" with "stop"."""
    word = re.sub(r"(?:'s|ies|ied|ing|ed|es|s|y|ly|er)$", "", word) if len(word) > 4 else word
    return word[:4]


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z']+", normalise(text)) if w not in _STOP and len(w) > 2}


# Words after which a question word continues the clause: "I know what you mean", "tell me how".
_NO_SPLIT_AFTER = frozenset(
    "know knew wonder wondering about is was of to and that me ask asking see understand tell matter matters "
    "remember sure idea explain decide care hear exactly no not".split()
)
_MIN_WORDS_BEFORE_SPLIT = 3


def split_clauses(text: str) -> list[str]:
    """Sentences, and in a long unpunctuated run, the clauses that open with a question or reflection."""
    pieces = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+|(?<=[.!?])(?=[A-Z])", text.strip()) if p.strip()]
    if re.search(r"[.!?]", text):
        return pieces  # punctuated: the sentences are the clauses
    clauses: list[str] = []
    for piece in pieces:
        clauses.extend(_split_run(piece))
    return clauses


def _split_run(piece: str) -> list[str]:
    piece = re.sub(r"\s+", " ", piece.strip())
    low = normalise(piece)
    if len(low) != len(piece):  # positions must line up with the original text
        return [piece]
    cuts: list[int] = []
    for match in phrases().split_before.finditer(low):
        words_before = re.findall(r"[a-z']+", low[cuts[-1] if cuts else 0: match.start()])
        if len(words_before) < _MIN_WORDS_BEFORE_SPLIT or words_before[-1] in _NO_SPLIT_AFTER:
            continue
        cuts.append(match.start() + 1)
    bounds = [0, *cuts, len(piece)]
    parts = [piece[a:b].strip().rstrip(",") for a, b in zip(bounds, bounds[1:])]
    return [part for part in parts if part]


def core(clause: str) -> str:
    """Lower-cased clause without leading fillers and trailing punctuation."""
    low = normalise(clause)
    low = phrases().fillers.sub("", low).strip(" ,")
    return low.rstrip(" ?.!,;:…").strip()


def said_by_counselor(pattern: re.Pattern, text: str, caller: str = "") -> bool:
    """Whether ``pattern`` occurs in ``text`` as the counselor's own stance: not negated just before
    ("I don't think you're overreacting"), not inside a report of someone's view ("Your friend thinks
    you're brave", "You feel like you're being selfish"), and not an echo of the caller's own words
    (caller "I'm fine really", counselor "You're fine")."""
    p = phrases()
    if p.reported.match(text):
        return False
    theirs = content_stems(caller)
    for match in pattern.finditer(text):
        before = re.findall(r"[a-z']+", text[: match.start()])[-3:]
        if any(word in p.negators or word.endswith("n't") for word in before):
            continue
        said = content_stems(match.group(0))
        if caller and said and said <= theirs:
            continue
        return True
    return False


def code_clause(clause: str, caller: str = "", permission_in_turn: bool = False) -> tuple[str, ...]:
    """The MITI codes of one clause, given the caller's preceding turn. ``permission_in_turn``: the turn
    asks permission or hands the choice back, so a suggestion in it is persuasion with permission."""
    p = phrases()
    low = normalise(clause)
    text = core(clause)
    if not text or not re.search(r"[a-z]", text):
        return ("other",)
    asks = low.rstrip().endswith("?")
    codes: list[str] = []
    if said_by_counselor(p.rhetorical, text, caller):
        return ("confront",)  # a question that confronts: "Why would you do something so stupid?"
    if p.asks_permission.match(text) and len(text[p.asks_permission.match(text).end():].split()) >= 5:
        return ("persuade_with_permission",)  # "may i suggest something you could ask your housemate..."
    if p.proposal.match(text):
        return ("seeking_collaboration",)  # "Shall we...?" "Would it be okay if I told you...?"
    question = _question_kind(text, asks, caller, stated=low.rstrip().endswith((".", "!")))
    if question:
        codes.append(question)
        if p.collaboration.search(text):
            codes.append("seeking_collaboration")
        if said_by_counselor(p.autonomy, text, caller):
            codes.append("emphasizing_autonomy")
        return tuple(codes)

    if said_by_counselor(p.confront, text, caller):
        return ("confront",)
    if p.other_start.match(text) and not p.affirmation.search(text):
        return ("other",)
    persuades = bool(p.persuade.search(text) or p.persuade_start.match(text))
    permitted = permission_in_turn or bool(p.permission.search(text))
    if persuades or (permitted and p.suggestion.search(text)):
        codes.append("persuade_with_permission" if permitted else "persuade")
    if said_by_counselor(p.affirmation, text, caller):
        codes.append("affirmation")
    if said_by_counselor(p.autonomy, text, caller) and "persuade_with_permission" not in codes:
        codes.append("emphasizing_autonomy")
    if p.collaboration.search(text):
        codes.append("seeking_collaboration")
    if not codes and p.information.search(text) and (not re.match(r"(?:you|you're|you've|your)\b", text)
                                                     or _SERVICE_OFFER.match(text)):
        codes.append("giving_information")
    if not codes and _is_reflection(text, caller):
        codes.append(_reflection_depth(text, caller))
    return tuple(codes) or ("other",)


def _question_kind(text: str, asks: bool, caller: str, stated: bool = False) -> str | None:
    """'open_question', 'closed_question' or None (a statement), from the clause's form. ``stated``: the
    clause ends with a full stop, so a wh-word opens a question only with an inverted verb ("When people
    hurt this much, they think about suicide." is a statement)."""
    p = phrases()
    if p.open_invitation.match(text):
        return "closed_question" if p.fact_invitation.match(text) else "open_question"
    if p.wh_start.match(text) and not (stated and not _WH_INVERSION.match(text)) and not _EXCLAMATION.match(text):
        if p.fact_seeking.match(text) and not p.open_despite_fact.match(text):
            return "closed_question"
        return "open_question"
    if p.aux_start.match(text) or p.closed_statement.match(text):
        return "closed_question"
    if asks and re.search(r"[,:;]", text):  # "Before we end, how are you feeling now?" "I ask everyone: are you...?"
        tail = p.fillers.sub("", re.split(r"[,:;]", text)[-1].strip())
        if tail and (p.wh_start.match(tail) or p.aux_start.match(tail) or p.open_invitation.match(tail)):
            return _question_kind(tail, asks, caller)
    if asks and _TAG_QUESTION.search(text):
        return "closed_question"  # "You're not suicidal, are you?"
    if asks:
        # A statement said with a rising tone is a reflection, unless it checks a new fact the caller
        # never mentioned ("So you know some people?").
        body = p.check_tag.sub("", text).strip() or text
        if _restates(body, caller) or not _FACT_CHECK.match(body):
            return None
        return "closed_question"
    return None


# "What a week." "How awful." are exclamations, not questions.
_EXCLAMATION = re.compile(
    r"^(?:what a|how (?:awful|hard|scary|terrible|sad|difficult|painful|frightening|lonely|exhausting)"
    r"(?! (?:is|was|has)))\b"
)
_WH_INVERSION = re.compile(
    r"^(?:what|how|why|when|where|who|which)(?:'s|'re| (?:do|does|did|are|is|was|were|have|has|had|can|could|would|"
    r"will|should|might|made|makes|happened|happens|brought|helps|helped|else|kind|about))\b"
)
# "You can call us back any time": information about the service, not a reflection.
_SERVICE_OFFER = re.compile(r"you can (?:always )?(?:call|text|ring|reach|contact|come back|chat)\b")
_TAG_QUESTION = re.compile(
    r",\s*(?:are|aren't|do|don't|did|didn't|is|isn't|was|wasn't|were|weren't|have|haven't|has|hasn't|will|won't|"
    r"would|wouldn't|can|can't|could|couldn't)(?: not)? (?:you|it|he|she|they|there|that)$"
)
_FACT_CHECK = re.compile(
    r"^(?:and |so )?(?:you|you've|you'd|you're|your \w+|he|she|they)(?: still| also| already)? (?:know|have|has|got|live|"
    r"lives|work|works|go|goes|went|take|took|use|used|drink|own|are going|'re going|will|'ll|can|did|do|does|mean|"
    r"haven't|didn't|don't|'ve (?:got|been to|had|taken|told|tried|seen))\b"
)


def _restates(text: str, caller: str) -> bool:
    mine, theirs = content_stems(text), content_stems(caller)
    if not mine or not theirs:
        return False
    shared = mine & theirs
    return len(shared) >= 2 or (len(shared) == 1 and len(mine) <= 3)


def _is_reflection(text: str, caller: str) -> bool:
    p = phrases()
    if p.not_reflection.match(text) or p.other_start.match(text):
        return False
    if p.reflection_start.match(text):
        return True
    if re.match(r"^(?:i|i'm|i've|i'll|i'd|we|we're|let me|let's)\b", text):
        return False  # the counselor talking about themself
    if _restates(text, caller) and len(text.split()) >= 3:
        return True
    mine = content_stems(text)  # an echo: "Stuck." "Nobody knows."
    return bool(mine) and mine <= content_stems(caller) and len(text.split()) <= 4


def _reflection_depth(text: str, caller: str) -> str:
    p = phrases()
    if p.complex_marker.search(text):
        return "complex_reflection"
    words = set(re.findall(r"[a-z']+", text))
    said = set(re.findall(r"[a-z']+", normalise(caller)))
    said_stems = {stem(w) for w in said}
    if any(w in p.feelings and stem(w) not in said_stems for w in words):
        return "complex_reflection"
    mine = content_stems(text)
    new = mine - content_stems(caller)
    if len(new) >= 3 and len(new) > len(mine) / 2:
        return "complex_reflection"
    return "simple_reflection"


def code_turn(text: str, caller: str = "", *, use_model: bool = True, model=None) -> list[CodedClause]:
    """Each clause of a counselor turn with its codes. The learned model (coding_model.py) decides the question
    and reflection codes when its weights ship with the package (``model``: other weights, for training)."""
    from . import coding_model

    coded = _code_turn_by_rules(text, caller)
    model = model if model is not None else (coding_model.weights() if use_model else None)
    if not model:
        return coded
    result = []
    for clause in coded:
        if clause.codes == ("other",) and phrases().other_start.match(core(clause.text)):
            result.append(clause)  # a greeting, acknowledgement or goodbye stays "other"
            continue
        vector = coding_model.features(clause.text, caller, clause.codes, CODES)
        probabilities = coding_model.scores(vector, model)
        result.append(CodedClause(clause.text, coding_model.combine(clause.codes, probabilities)))
    return result


def _code_turn_by_rules(text: str, caller: str) -> list[CodedClause]:
    clauses = split_clauses(text)
    p = phrases()
    permission = any(p.permission.search(core(c)) or p.asks_permission.search(core(c)) for c in clauses)
    coded = [CodedClause(clause, code_clause(clause, caller, permission)) for clause in clauses]
    asked = [i for i, c in enumerate(coded) if p.asks_permission.search(core(c.text))]
    advice = [i for i, c in enumerate(coded)
              if {"persuade", "persuade_with_permission", "giving_information"} & set(c.codes)
              or re.search(r"\b(?:like|such as)\b", core(c.text)) and i in asked
              or asked and i > asked[0] and _shares_after_asking(c)]
    if asked and advice:
        # "Can I share something? Some people hand the pills to someone.": one piece of permitted advice.
        coded = [CodedClause(c.text, ("persuade_with_permission",)) if i in asked or i in advice else c
                 for i, c in enumerate(coded)]
    return coded


def _shares_after_asking(clause: CodedClause) -> bool:
    """A statement after "Can I share something?" is what was shared (unless it asks, greets or praises)."""
    kept = {"open_question", "closed_question", "affirmation", "confront", "other"}
    return not kept & set(clause.codes) and not phrases().other_start.match(core(clause.text))


def turn_codes(clauses) -> list[str]:
    """The turn's codes in the order first found; 'other' only when nothing else was. ``clauses``:
    anything with ``codes`` (CodedClause, the report's CodedSentence)."""
    found = list(dict.fromkeys(code for clause in clauses for code in clause.codes))
    meaningful = [code for code in found if code != "other"]
    return meaningful or found or ["other"]
