"""What a chat-completions model playing the caller is told (pure, no I/O).

The model never sees the scenario's full brief (it holds every risk fact): only the
persona, the story the caller tells freely, and the risk facts the engine has
disclosed so far. Also the pure sentence splitter its streamed tokens go through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ..scenarios.model import Scenario
from .reply_guard import Disclosure

Role = Literal["user", "assistant", "system"]

_FACT_NAMES = {
    "thoughts": "your thoughts of suicide", "plan": "your plan", "means": "what you would use",
    "timeline": "when you thought you might do it", "past_attempts": "whether you have tried before",
    "protective": "what keeps you going", "self_harm": "hurting yourself", "homicidal": "thoughts of hurting someone",
}
_MOOD = {-3: "hurt and closed off", -2: "guarded", -1: "wary", 0: "unsure of the counselor",
         1: "a little more at ease", 2: "opening up", 3: "trusting"}


@dataclass(frozen=True)
class Message:
    role: Role
    text: str


def system_prompt(scenario: Scenario, disclosure: Disclosure, mood: int) -> str:
    persona = scenario.persona
    who = persona.name if persona.age is None else f"{persona.name}, {persona.age}"
    stories = "\n".join(f"- {line}" for line in scenario.lines.get("open_question", ()))
    lines = [
        f"You are {who}, a person who has phoned a crisis line. The user is the counselor who answered.",
        "Speak as yourself in plain spoken English: one to three short sentences, no lists, no stage "
        "directions, no quotation marks. Answer what the counselor just said; let them lead.",
        "You are a person, not an assistant: never say you are an AI, a model or a simulation, never "
        "mention instructions, a role-play or a scenario, and never grade, praise or coach the counselor. "
        "If asked about any of that, be confused, as a caller would, and carry on.",
        "",
        f"Why you called, in your own words: {scenario.presenting_problem.strip()}",
        f"You opened the call with: {scenario.opening.strip()}",
    ]
    if stories:
        lines += ["More of your story, to tell bit by bit when asked:", stories]
    lines += ["", f"Right now you feel {_MOOD.get(max(-3, min(3, mood)), 'unsure')}."]
    if disclosure.told:
        lines.append("You have already told, or may tell now if it is asked about:")
        lines += [f"- {_FACT_NAMES.get(name, name)}: {text}" for name, text in disclosure.told.items()]
    if scenario.risk.level == "none":  # nothing to keep back: a clear no is the caller's truth
        lines.append("You are not thinking of suicide; if asked, say so plainly.")
    if disclosure.withheld:
        lines.append("Do not talk about suicide, self-harm, hurting others, plans, pills, weapons or other means, "
                     "dates, or past attempts beyond what is listed above. If asked about them, be hesitant or "
                     "vague; do not invent any.")
    return "\n".join(lines)


def chat_messages(scenario: Scenario, disclosure: Disclosure, mood: int,
                  history: Iterable[Message]) -> list[dict[str, str]]:
    """OpenAI chat-completions messages: our system prompt, then the call so far in order."""
    messages = [{"role": "system", "content": system_prompt(scenario, disclosure, mood)}]
    messages += [{"role": m.role, "content": m.text} for m in history if m.text.strip()]
    return messages


SENTENCE_END = re.compile(r"[.!?\u2026]+[\"')\]]*\s")
# The first piece of a reply may be shorter than a sentence, so the first audio comes sooner:
# it ends at a clause mark, before a conjunction, or at the latest after a few words.
CLAUSE_END = re.compile(r"[,;:\u2014]\s")
BEFORE_CONJUNCTION = re.compile(r"\s(?=(?:and|but|so|because|when|then|or|if|since)\s)", re.I)
FIRST_CLAUSE_WORDS = 3
FIRST_PIECE_MAX_WORDS = 8
WORD_END = re.compile(r"\S\s")


class SentenceSplitter:
    """Streamed tokens in, whole sentences out, as soon as each one ends."""

    def __init__(self, quick_start: bool = True) -> None:
        self.pending = ""
        self.quick_start = quick_start
        self.emitted = 0

    def feed(self, token: str) -> list[str]:
        self.pending += token
        pieces: list[str] = []
        while piece := self._next_piece():
            pieces.append(piece)
        return pieces

    def _next_piece(self) -> str | None:
        end = SENTENCE_END.search(self.pending)
        cut = end.end() if end else None
        if cut is None and not self.emitted and self.quick_start:
            cut = self._first_piece_end()
        if cut is None:
            return None
        piece, self.pending = self.pending[:cut].strip(), self.pending[cut:]
        self.emitted += 1
        return piece

    def _first_piece_end(self) -> int | None:
        def words_before(index: int) -> int:
            return len(self.pending[:index].split())

        for pattern, least in ((CLAUSE_END, FIRST_CLAUSE_WORDS), (BEFORE_CONJUNCTION, FIRST_CLAUSE_WORDS + 1)):
            found = next((m.end() for m in pattern.finditer(self.pending) if words_before(m.end()) >= least), None)
            if found is not None:
                return found
        word_ends = [m.end() for m in WORD_END.finditer(self.pending)]
        return word_ends[FIRST_PIECE_MAX_WORDS - 1] if len(word_ends) >= FIRST_PIECE_MAX_WORDS else None

    def finish(self) -> list[str]:
        rest, self.pending = self.pending.strip(), ""
        return [rest] if rest else []


class CallHistory:
    """The call so far, in order, as the caller knows it: counselor, caller and system messages.

    Several counselor items before one reply stay separate messages; a caller message
    answers every counselor message since the one before it.
    """

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._by_item: dict[str, int] = {}

    def add(self, role: Role, text: str, item_id: str = "") -> None:
        if item_id:
            self._by_item[item_id] = len(self.messages)
        self.messages.append(Message(role, text))

    def set_text(self, item_id: str, text: str) -> None:
        """What the counselor really heard of a caller item cut off by a barge-in."""
        index = self._by_item.get(item_id)
        if index is not None:
            self.messages[index] = Message(self.messages[index].role, text)

    def answered_turns(self) -> list[list[str]]:
        """The counselor's items before each caller message, one list per reply: to replay into an engine."""
        turns, waiting = [], []
        for message in self.messages:
            if message.role == "user":
                waiting.append(message.text)
            elif message.role == "assistant":
                said = [t for t in waiting if t.strip()]
                if said:
                    turns.append(said)
                waiting = []
        return turns
