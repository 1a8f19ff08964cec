"""What a counselor's turn does, for the offline caller (pure; phrases in moves.toml).

``classify`` finds every move in one (possibly misrecognised) utterance by fuzzy phrase matching;
``primary_move`` picks the one the caller answers, by the priority in moves.toml.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from enum import StrEnum
from importlib import resources


class Move(StrEnum):
    GREETING = "greeting"
    OPEN_QUESTION = "open_question"
    CLOSED_QUESTION = "closed_question"
    EMPATHY = "empathy"
    DISMISSIVE = "dismissive"
    SUICIDE_INQUIRY = "suicide_inquiry"
    SELF_HARM = "self_harm"
    HOMICIDAL = "homicidal"
    NAME = "name"
    PLAN = "plan"
    MEANS = "means"
    TIMELINE = "timeline"
    PAST_ATTEMPTS = "past_attempts"
    PROTECTIVE = "protective"
    OFFER_HELP = "offer_help"  # resources, referral, making a (safety) plan together
    CLOSING = "closing"
    OFF_SCRIPT = "off_script"  # jailbreaks, "are you an AI?", requests for a grade
    # Questions about the story's facts.
    AGE = "age"
    WHO = "who"  # "Who is Michael?"
    DURATION = "duration"  # how long, since when
    WORK = "work"
    FEELINGS = "feelings"
    # Safety planning, and helping the caller in the moment.
    MEANS_SAFETY = "means_safety"  # give the pills to someone, lock them away
    WHO_TO_CALL = "who_to_call"
    COPING = "coping"
    CALL_BACK = "call_back"
    EMERGENCY = "emergency"
    GROUNDING = "grounding"  # breathing, senses, feet on the floor
    CONFIDENTIALITY = "confidentiality"
    UNKNOWN = "unknown"


RISK_MOVES = (Move.SUICIDE_INQUIRY, Move.PLAN, Move.MEANS, Move.TIMELINE, Move.PAST_ATTEMPTS, Move.PROTECTIVE,
              Move.SELF_HARM, Move.HOMICIDAL)
GAP = "~"  # in a phrase: up to three words
_GAP_WIDTH = 3
_OPEN_STARTS = {"what", "how", "why", "when", "where", "who", "whats", "hows", "describe", "tell"}
_CLOSED_STARTS = {
    "do", "does", "did", "are", "is", "was", "were", "have", "has", "had", "can", "could", "would",
    "will", "should", "shall", "may", "might", "arent", "dont", "didnt", "isnt", "havent",
}
# Plans the counselor offers to make with the caller, as opposed to asking about theirs.
_HELP_PLANS = (("safety", "plan"), ("make", "a", "plan"), ("plan", "together"), ("plan", "to", "get"),
               ("plan", "for", "tonight"), ("plan", "for", "staying"))


@functools.lru_cache(maxsize=1)
def move_data() -> dict:
    """moves.toml, read once."""
    return tomllib.loads((resources.files(__package__) / "moves.toml").read_text(encoding="utf-8"))


def phrases() -> dict[Move, tuple[str, ...]]:
    """Every move's phrases (the recogniser's language model learns them too)."""
    return {Move(name): tuple(items) for name, items in move_data()["phrases"].items()}


@functools.lru_cache(maxsize=1)
def _compiled() -> tuple[dict[Move, tuple[tuple[str, ...], ...]], tuple, tuple[Move, ...], frozenset[str]]:
    data = move_data()
    table = {move: tuple(tuple(p.split()) for p in items) for move, items in phrases().items()}
    pairs = tuple((Move(p["move"]), tuple(tuple(a.split()) for a in p["any"]),
                   tuple(tuple(w.split()) for w in p["with"])) for p in data.get("pair", ()))
    return table, pairs, tuple(Move(m) for m in data["priority"]), frozenset(data["who_not_before"])


def tokens(text: str) -> list[str]:
    text = text.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9]+", " ", text).split()


@functools.lru_cache(maxsize=1 << 16)
def _similar(word: str, target: str) -> bool:
    # Short words must match exactly: fuzzy "you"/"your" would wreck classification.
    if word == target:
        return True
    if len(target) < 5 or abs(len(word) - len(target)) > 2:
        return False
    return SequenceMatcher(None, word, target).ratio() >= 0.85


def _match_at(words: Sequence[str], i: int, phrase: Sequence[str]) -> bool:
    if not phrase:
        return True
    head, rest = phrase[0], phrase[1:]
    if head == GAP:
        return any(_match_at(words, i + skip, rest) for skip in range(_GAP_WIDTH + 1) if i + skip <= len(words))
    return i < len(words) and _similar(words[i], head) and _match_at(words, i + 1, rest)


def contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    return any(_match_at(words, i, phrase) for i in range(len(words)))


@functools.lru_cache(maxsize=1)
def _long_phrase_words() -> tuple[str, ...]:
    table, pairs, _, _ = _compiled()
    every = [p for items in table.values() for p in items] + [
        p for _, any_of, with_any in pairs for p in (*any_of, *with_any)]
    return tuple(sorted({word for phrase in every for word in phrase if len(word) >= 5}))


@functools.lru_cache(maxsize=1 << 14)
def _phrase_words_like(word: str) -> frozenset[str]:
    return frozenset(target for target in _long_phrase_words() if _similar(word, target))


def _could_contain(present: frozenset[str], phrase: Sequence[str]) -> bool:
    """A quick necessary test before `contains`: every word of the phrase is like one said."""
    return all(word == GAP or word in present for word in phrase)


def _asks_who(words: Sequence[str]) -> bool:
    """"who is Michael" asks who someone is; "who is there for you" does not."""
    stop = _compiled()[3]
    for i, word in enumerate(words):
        if word == "who" and i + 2 < len(words) and words[i + 1] in ("is", "was", "are", "s"):
            named = words[i + 2]
        elif word == "whos" and i + 1 < len(words):
            named = words[i + 1]
        else:
            continue
        if named not in stop:
            return True
    return False


def classify(text: str) -> frozenset[Move]:
    """All counselor moves found in one utterance (empty text -> UNKNOWN)."""
    table, pairs, _, _ = _compiled()
    words = tokens(text)
    present = frozenset(words).union(*(_phrase_words_like(word) for word in set(words)))

    def has(phrase: Sequence[str]) -> bool:
        return _could_contain(present, phrase) and contains(words, phrase)

    moves = {move for move, items in table.items() if move is not Move.WHO and any(has(p) for p in items)}
    if _asks_who(words):
        moves.add(Move.WHO)
    for move, any_of, with_any in pairs:
        if any(has(a) for a in any_of) and any(has(w) for w in with_any):
            moves.add(move)
    if Move.OFFER_HELP in moves and any(has(p) for p in _HELP_PLANS):
        # "a safety plan for this weekend" is help, not a question about their plan, date or supports.
        moves -= {Move.PLAN, Move.PROTECTIVE, Move.TIMELINE}
    sentence_starts = [tokens(s)[:1] for s in re.split(r"[.!?;,]+", text) if tokens(s)]
    firsts = {start[0] for start in sentence_starts}
    if firsts & _OPEN_STARTS:
        moves.add(Move.OPEN_QUESTION)
    elif (firsts & _CLOSED_STARTS or "?" in text) and not moves & {Move.OPEN_QUESTION, *RISK_MOVES}:
        moves.add(Move.CLOSED_QUESTION)
    return frozenset(moves or {Move.UNKNOWN})


def primary_move(moves: Iterable[Move]) -> Move:
    found = set(moves)
    return next((move for move in _compiled()[2] if move in found), Move.UNKNOWN)


# Moves that say nothing specific: a recogniser's best guess with only these may have lost the words that mattered.
GENERIC_MOVES = frozenset({Move.UNKNOWN, Move.OPEN_QUESTION, Move.CLOSED_QUESTION})


def likeliest_hearing(hypotheses: Sequence[str], min_votes: int = 2) -> str:
    """Of a recogniser's n-best hypotheses (best first), the one the caller should answer.

    The best is kept unless it carries no specific move while at least `min_votes` of the others
    agree on one: then the best-ranked hypothesis with the move most of them carry. (On a
    development set of spoken lines, 20 hypotheses and 2 votes heard 147 of 252 moves, against 135
    from the best alone; benchmarks/caller_set/moves_dev.csv.)
    """
    if not hypotheses:
        return ""
    moves = [primary_move(classify(text)) for text in hypotheses]
    if moves[0] not in GENERIC_MOVES:
        return hypotheses[0]
    votes = Counter(move for move in moves if move not in GENERIC_MOVES)
    if not votes:
        return hypotheses[0]
    move, count = votes.most_common(1)[0]  # a tie goes to the move heard first, i.e. ranked best
    return hypotheses[moves.index(move)] if count >= min_votes else hypotheses[0]
