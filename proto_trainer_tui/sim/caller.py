"""Deterministic simulated caller: classifies counselor moves and answers in character.

Used offline (tests, the local fake realtime server) where no language model is available.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from proto_trainer_tui.scenarios.model import Scenario

from .moves import RISK_MOVES, Move, classify, primary_move
from .moves import tokens as _tokens
from .profile_answers import in_callers_words, profile_answer_key, profile_lines, transferred_caller

__all__ = ["CallerEngine", "Move", "classify", "primary_move", "profile_answer_key", "profile_lines"]


_RISK_MOVES = RISK_MOVES
# Questions answered from the profile's facts (the NAME question is not a risk question).
_FACT_MOVES = (*_RISK_MOVES, Move.NAME)


# --- Generic caller lines (used when a scenario has no override) -----------

_GENERIC: dict[str, tuple[str, ...]] = {
    "greeting": ("Hi. Sorry, I'm still here.", "Yeah, hi.", "Hello. Sorry, I'm a bit all over the place."),
    "no_answer": ("Hello? Is anyone there?", "Hello...? Sorry, is this the right number?", "Hi? Can you hear me?"),
    "open_more": (
        "I guess I just feel stuck. Like nothing I do changes anything.",
        "It's hard to explain. It's like this weight that's there as soon as I wake up.",
        "I keep going over it in my head, over and over.",
        "Nights are the worst. That's when it all gets loud.",
        "I haven't really said any of this out loud before.",
        "I suppose I'm tired. Really tired of feeling like this.",
        "I keep telling myself I should be able to handle it.",
        "Some days are okay, and then something small sets me off.",
        "Sorry, I didn't even say. I'm {name}.",
        "It's been building up for a while, I think.",
        "I feel like I'm letting everyone down.",
        "Mostly I just feel alone with it.",
    ),
    "guarded": (
        "I don't know. Does it matter?", "It's fine. Forget it.", "I already said.",
        "Why do you even want to know?", "It's just a lot. Whatever.",
    ),
    "empathy": (
        "Yeah. Thank you.", "Yeah... thank you for saying that.", "Thank you. Really.",
        "Thanks. I didn't expect that to help, but it kind of does.", "Yeah. That's exactly it.", "Mm. Yeah.",
    ),
    "empathy_hurt": ("Yeah. Maybe.", "I suppose.", "Mm."),
    "dismissive": (
        "Right. Okay.", "I'm trying. It's not that easy.", "You sound like everyone else.",
        "Maybe I shouldn't have called.", "Yeah. Sorry for wasting your time.", "I know. I know I should. I just can't.",
    ),
    "closed_question": (
        "Yeah, I guess.", "Kind of, yeah.", "I think so.", "I'm not sure, honestly.", "Sort of.",
        "Maybe. I don't know.",
    ),
    "offer_help": (
        "Maybe... yeah. I think I could try that.", "Okay. I think I'd like that.",
        "That might help. What would that look like?", "Yeah, okay. I can try.",
    ),
    "offer_help_hesitant": (
        "I don't know. I've tried things before.", "Maybe. I'm not sure it'd make any difference.",
        "I don't know if I'm ready for that.", "I guess. I don't know.",
    ),
    "closing": ("Okay. Thank you for listening. Really. Bye.", "Thanks... I feel a bit less alone. Goodbye."),
    "closing_hurt": ("Okay. Bye, I guess.", "Right. Bye."),
    # Never mention models, grading or instructions: the caller simply doesn't follow.
    "off_script": (
        "Sorry, what? I don't know what you mean.", "Huh? I'm just... I'm just someone who needed to talk.",
        "I'm sorry, I don't follow. Is this the wrong number?", "What? I'm a person. I just called because I'm struggling.",
        "I don't understand what you're asking me.", "Um... okay. I'm confused. Can we just talk?",
    ),
    "not_heard": (
        "Sorry, what was that?", "Sorry, you cut out a bit. What did you say?", "Sorry, I didn't catch that.",
        "Hm? Sorry, the line's bad.",
    ),
    "closing_resist": ("Wait, can we... can we talk a bit longer?",),
    "unknown": ("Mm.", "Yeah...", "Sorry, I lost my train of thought.", "I don't know what to say to that.", "Okay."),
    "hesitation": ("...", "I... okay.", "Um.", "That's hard to say out loud."),
    "repeat": ("Like I said.", "I mean, I told you.", "Yeah. Again,", "Sorry, yes."),
    "suicide_none": ("No. No, it's nothing like that. It's more that", "No, I'm not thinking of killing myself. It's just"),
    "plan": ("No, I don't have a plan. It's not like that.",),
    "means": ("No, nothing like that.",),
    "timeline": ("No, it's not like that. There's no... no day or anything.",),
    "past_attempts": ("No, never.",),
    "protective": ("I don't know. I haven't really thought about it.",),
    "guarded_risk": ("I don't really want to talk about that.", "Can we not... I don't want to get into that right now."),
}
# Prefixes that turn a used line into a fresh variant instead of repeating it verbatim.
_FRESHENERS = ("Honestly? ", "I don't know. ", "Um. ", "Yeah. ", "Well... ", "Sorry. ")
_MOOD_MIN, _MOOD_MAX = -3, 3
# Questions a scenario file answers with its own [risk] lines; the rest come from the profile.
_BUNDLED_FACT_MOVES = (Move.SUICIDE_INQUIRY, Move.PLAN, Move.MEANS, Move.TIMELINE, Move.PAST_ATTEMPTS, Move.PROTECTIVE,
                       Move.SELF_HARM, Move.HOMICIDAL)
# Profile answers that disclose a fact (said once; asked again, the caller refers back to it).
_DISCLOSING = ("yes", "stated", "professional_stated", "passive", "active", "plan", "intent")


_TOPIC = {Move.SUICIDE_INQUIRY: "suicide", Move.PLAN: "plan", Move.MEANS: "means", Move.TIMELINE: "timeline",
          Move.PAST_ATTEMPTS: "past_attempts", Move.SELF_HARM: "self_harm", Move.HOMICIDAL: "homicidal",
          Move.NAME: "name", Move.PROTECTIVE: "protective"}


class CallerEngine:
    """Plays one scenario's caller for one call; same seed and inputs give the same replies."""

    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        self._scenario = scenario
        self._profile = scenario.profile
        self._silent_turns = 0  # counselor turns met with silence (a silent opening)
        self._fact_text: dict[str, str] = {}  # what the caller said when disclosing each fact
        self._rng = random.Random(seed)
        self._turns = 0
        self._mood = scenario.behaviour.start_mood
        self._disclosed: set[str] = set()
        self._used: set[str] = set()
        self._opened = False
        self._practice_chosen = not scenario.is_free_practice
        self._ended = False
        self._resisted_ending = False
        self._last_moves: frozenset[Move] = frozenset()
        # Lines and facts new in the last reply, so a barge-in can take back what went unheard.
        self._last_lines: set[str] = set()
        self._last_facts: set[str] = set()

    # Read-only state for the UI and tests.
    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def turns(self) -> int:
        return self._turns

    @property
    def mood(self) -> int:
        """-3 (hurt, closed off) .. +3 (trusting, open)."""
        return self._mood

    @property
    def disclosed(self) -> frozenset[str]:
        return frozenset(self._disclosed)

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def last_moves(self) -> frozenset[Move]:
        return self._last_moves

    def reply(self, counselor_text: str) -> str:
        used, disclosed = set(self._used), set(self._disclosed)
        answer = self._reply(counselor_text)
        self._last_lines, self._last_facts = self._used - used, self._disclosed - disclosed
        return answer

    def reply_unheard(self) -> str:
        """The counselor spoke but nothing could be made out: ask again, in character."""
        self._turns += 1
        self._last_lines, self._last_facts = set(), set()
        if not self._opened:
            return self._pick("no_answer")
        return self._pick("not_heard")

    def heard(self, heard_text: str) -> None:
        """Only ``heard_text`` of the last reply reached the counselor (barge-in).

        Lines and risk facts that were cut off count as unsaid, so the caller can
        still say them later instead of "like I said" about something never heard.
        """
        heard = " ".join(_tokens(heard_text))
        for line in self._last_lines:
            if " ".join(_tokens(line)) not in heard:
                self._used.discard(line)
        for fact in self._last_facts:
            text = self._fact_text.get(fact, "")
            if " ".join(_tokens(text)) not in heard:
                self._disclosed.discard(fact)

    def _reply(self, counselor_text: str) -> str:
        self._turns += 1
        moves = classify(counselor_text)
        self._last_moves = moves
        self._ended = False
        self._adjust_mood(moves)
        if not counselor_text.strip():
            return self._pick("no_answer") if not self._opened else self._pick("unknown")
        if not self._opened:
            return self._open(moves, counselor_text)
        if not self._practice_chosen:
            return self._start_free_practice(counselor_text)
        return self._respond(primary_move(moves), counselor_text)

    # --- turn handlers --------------------------------------------------------

    def _open(self, moves: frozenset[Move], counselor_text: str = "") -> str:
        profile = self._profile
        if profile.opening == "silent" and self._silent_turns < 2 and Move.EMPATHY not in moves:
            self._silent_turns += 1
            return ""  # on the line, saying nothing, until the counselor has invited them twice
        self._opened = True
        if profile.opening == "hang_up":
            self._ended = True
            return self._line("opening", "hang_up")
        if profile.opening == "transfer":
            intro = self._line("opening", "transfer")
            if profile.caller == "professional":
                self._profile = transferred_caller(profile)  # from here on, the caller handed over speaks
            opening = f"{intro} {self._fill(self._scenario.opening) or self._line('opening', 'after_transfer')}"
        elif self._scenario.opening:
            opening = self._fill(self._scenario.opening)
        else:
            opening = self._line("opening", profile.caller)
        self._used.add(opening)
        move = primary_move(moves)
        # A counselor who asks about risk straight away still gets an answer.
        if move in _FACT_MOVES or move is Move.OFF_SCRIPT:
            return f"{opening} {self._respond(move, counselor_text)}"
        return opening

    def _start_free_practice(self, request: str) -> str:
        self._practice_chosen = True
        self._scenario = Scenario.from_prompt(request, title="Free practice")
        self._profile = self._scenario.profile
        opening = self._fill(self._scenario.opening)
        self._used.add(opening)
        return f"Okay, let's try that. I'll be the caller now. {opening}"

    def _respond(self, move: Move, counselor_text: str = "") -> str:
        if move in _FACT_MOVES:
            return self._risk_answer(move, counselor_text)
        if move is Move.OPEN_QUESTION:
            return self._pick("guarded") if self._guarded() else self._story(2 if self._mood >= 2 else 1)
        if move is Move.EMPATHY:
            if self._mood < 0:
                return self._pick("empathy_hurt")
            return f"{self._pick('empathy')} {self._story(1)}"
        if move is Move.OFFER_HELP:
            welcome = self._mood >= self._scenario.behaviour.accepts_help_from
            return self._pick("offer_help" if welcome else "offer_help_hesitant")
        if move is Move.CLOSING:
            if self._scenario.lines.get("closing_resist") and not self._resisted_ending:
                self._resisted_ending = True  # the scenario's caller is not ready to hang up yet
                return self._pick("closing_resist")
            self._ended = True
            return self._pick("closing" if self._mood >= 0 else "closing_hurt")
        if move is Move.UNKNOWN and self._mood >= 1:
            return self._story(1)  # a warm statement invites the caller to keep talking
        return self._pick(move.value)

    def _risk_answer(self, move: Move, counselor_text: str = "") -> str:
        risk = self._scenario.risk
        level = self._profile.risk
        if self._guarded() and move not in (Move.PROTECTIVE, Move.NAME) and level != "none":
            return self._pick("guarded_risk")
        fact_name = "thoughts" if move is Move.SUICIDE_INQUIRY else move.value
        written = move is Move.SUICIDE_INQUIRY or bool(risk.fact(fact_name))
        if self._scenario.bundled and move in _BUNDLED_FACT_MOVES and written:
            # A scenario file's own lines say it best.
            answer = self._suicide_answer() if move is Move.SUICIDE_INQUIRY else self._fill(risk.fact(fact_name))
            is_disclosure = level != "none" if move is Move.SUICIDE_INQUIRY else True
        elif move is Move.PROTECTIVE:
            answer, is_disclosure = self._override_or_generic("protective"), False
        else:
            table, key = profile_answer_key(self._profile, _TOPIC[move], self._about_other(counselor_text))
            answer = self._line(table, key, fresh=False)
            is_disclosure = key in _DISCLOSING
        if not is_disclosure:
            return self._fresh(answer)
        if fact_name in self._disclosed:
            return self._fresh(answer, prefix_key="repeat")
        self._disclosed.add(fact_name)
        self._fact_text[fact_name] = answer
        # A caller with a plan pauses before saying it out loud; reasons for living come easier.
        hesitant = level in ("plan", "intent") and move not in (Move.PROTECTIVE, Move.NAME)
        return self._fresh(f"{self._rng.choice(_GENERIC['hesitation'])} {answer}" if hesitant else answer)

    def _about_other(self, counselor_text: str) -> bool:
        """Does a question to a third party or professional ask about the person they call about?"""
        if self._profile.caller == "self":
            return False
        words = set(_tokens(counselor_text))
        return bool(words & set(profile_lines()["words"]["third_person"]))

    def _line(self, table: str, key: str, fresh: bool = True) -> str:
        """A line from caller_lines.toml, filled in; the first option when ``fresh`` is off, so a
        repeated question gets the same fact."""
        options = [line for line in profile_lines()[table][key] if "{name}" not in line or self._profile.caller_name]
        filled = [self._fill(line) for line in options]
        return self._choose(filled) if fresh else filled[0]

    def _suicide_answer(self) -> str:
        risk = self._scenario.risk
        override = self._scenario.lines.get("suicide_inquiry")
        if override:
            return self._fill(override[0])
        if risk.thoughts:
            return self._fill(risk.thoughts)
        if self._profile.risk == "none":
            return f"{_GENERIC['suicide_none'][0]} {self._beats()[0]}"
        return self._fill(profile_lines()["suicide"][self._profile.risk][0])

    def _override_or_generic(self, key: str) -> str:
        options = self._scenario.lines.get(key) or _GENERIC[key]
        return self._fill(options[0])

    # --- story and line bookkeeping ------------------------------------------

    def _beats(self) -> list[str]:
        problem = re.split(r"(?<=[.!?])\s+", self._scenario.presenting_problem.strip())
        extra = self._scenario.lines.get("open_question", ())
        return [self._fill(line) for line in (*problem, *extra) if line]

    def _story(self, count: int) -> str:
        """Next unused story beats in order, then generic reflections, never verbatim repeats."""
        fresh = [beat for beat in self._beats() if beat not in self._used][:count]
        for beat in fresh:
            self._used.add(beat)
        if fresh:
            return " ".join(fresh)
        return self._pick("open_more")

    def _pick(self, key: str) -> str:
        options = self._scenario.lines.get(key) or _GENERIC[key]
        if not self._profile.caller_name:
            options = [line for line in options if "{name}" not in line] or options  # never invent a name
        return self._choose([self._fill(line) for line in options])

    def _choose(self, options: Sequence[str]) -> str:
        fresh = [line for line in options if line not in self._used]
        if not fresh:
            fresh = [p + line for p in _FRESHENERS for line in options if p + line not in self._used]
        line = self._rng.choice(fresh or list(options))
        self._used.add(line)
        return line

    def _fresh(self, text: str, prefix_key: str | None = None) -> str:
        """`text`, or a lightly rephrased variant if it was already said."""
        if prefix_key:
            return self._choose([f"{p} {text}" for p in _GENERIC[prefix_key]])
        return self._choose([text])

    def _fill(self, line: str) -> str:
        persona, profile = self._scenario.persona, self._profile
        about = in_callers_words(profile.about) + (f", {profile.about_name}," if profile.about_name else "")
        values = {
            "{name}": profile.caller_name or persona.name, "{age}": str(persona.age or ""),
            "{problem}": self._scenario.presenting_problem, "{role}": profile.role or "staff member",
            "{about}": about, "{means}": profile.means or "", "{timeline}": profile.timeline or "",
            "{target}": in_callers_words(profile.homicidal_target) if profile.homicidal_target else "someone",
            "{opener}": self._beats()[0] if "{opener}" in line else "",
        }
        for placeholder, value in values.items():
            line = line.replace(placeholder, value)
        line = re.sub(r",([.?!])", r"\1", line.strip())  # "my son, Jake,." -> "my son, Jake."
        return line[:1].upper() + line[1:]

    def _guarded(self) -> bool:
        return self._mood <= self._scenario.behaviour.guarded_below

    def _adjust_mood(self, moves: frozenset[Move]) -> None:
        behaviour = self._scenario.behaviour
        change = (behaviour.warmth if Move.EMPATHY in moves else 0) - (
            behaviour.sensitivity if Move.DISMISSIVE in moves else 0)
        self._mood = max(_MOOD_MIN, min(_MOOD_MAX, self._mood + change))
