"""Deterministic simulated caller: classifies counselor moves and answers in character.

Used offline (tests, the local fake realtime server) where no language model is available.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from proto_trainer_tui.scenarios.model import Scenario

from .facts import Person, fact_words, story_facts
from .lines import answer_lines, fill, fill_values, generic, glue, persona_group, pronoun_for
from .moves import RISK_MOVES, Move, classify, primary_move
from .moves import tokens as _tokens
from .profile_answers import in_callers_words, profile_answer_key, profile_lines, transferred_caller

__all__ = ["CallerEngine", "Move", "classify", "generic", "glue", "persona_group", "primary_move", "profile_answer_key",
           "profile_lines"]


_RISK_MOVES = RISK_MOVES
# Questions answered from the profile's facts (the NAME question is not a risk question).
_FACT_MOVES = (*_RISK_MOVES, Move.NAME)


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
        self._said: set[str] = set()  # every reply so far, so none is said twice word for word
        self._counselor_words: set[str] = set()
        self._story_facts = story_facts(scenario)
        self._brief = False  # answering several items at once: one story beat each

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
        return self.reply_each([counselor_text])

    def reply_each(self, counselor_items: Sequence[str]) -> str:
        """One reply to several counselor items sent before it (typed quickly, one after another).

        Each item that asks something gets its own short answer, in order; small talk before the
        last item (a greeting, a reflection, "mm") is heard, and moves the mood, but not answered.
        An item sent twice is answered once, and no part repeats what an earlier part said.
        """
        items = _distinct([text for text in counselor_items if text.strip()]) or [""]
        answered = _to_answer([classify(text) for text in items])
        used, disclosed = set(self._used), set(self._disclosed)
        parts: list[str] = []
        moves: set[Move] = set()
        self._brief = len(answered) > 1
        try:
            for index, text in enumerate(items):
                self._counselor_words |= set(_tokens(text))
                if index not in answered:
                    self._adjust_mood(classify(text))
                    continue
                part = self._unsaid(self._reply(text))
                self._said.add(part)
                moves |= self._last_moves
                if part and not _repeats(part, parts):
                    parts.append(part)
        finally:
            self._brief = False  # never left on for the next reply
        answer = " ".join(parts)
        self._said.add(answer)
        self._last_moves = frozenset(moves)
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
        self._story_facts = story_facts(self._scenario)
        opening = self._fill(self._scenario.opening)
        self._used.add(opening)
        return f"Okay, let's try that. I'll be the caller now. {opening}"

    def _respond(self, move: Move, counselor_text: str = "") -> str:
        if move in _FACT_MOVES:
            answer = self._risk_answer(move, counselor_text)
            fact = "thoughts" if move is Move.SUICIDE_INQUIRY else move.value
            if Move.DURATION in self._last_moves and fact in self._disclosed:
                # "How long have you been hurting yourself?": the fact, then for how long, if the brief says.
                since = next(iter(self._story_facts.risk_since.get(fact, ())), None)
                if since:
                    answer = f"{answer} {self._told(since)}"
            return answer
        if move in _STORY_MOVES:
            return self._story_answer(move, counselor_text)
        if move in _HELP_MOVES:
            return self._help_answer(move, counselor_text)
        if move is Move.OPEN_QUESTION:
            beats = 2 if self._mood >= 2 and not self._brief else 1
            return self._pick("guarded") if self._guarded() else self._story(beats)
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
        if move is Move.CLOSED_QUESTION:
            related = self._related_clause(counselor_text)
            return self._told(related) if related else self._pick("closed_question")
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
        return self._fresh(glue(self._rng.choice(self._generic("hesitation")), answer, self._names) if hesitant
                           else answer)

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
            return glue(self._generic("suicide_none")[0], self._beats()[0], self._names)
        return self._fill(profile_lines()["suicide"][self._profile.risk][0])

    def _override_or_generic(self, key: str) -> str:
        options = self._scenario.lines.get(key) or self._generic(key)
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
        options = [line for line in self._scenario.lines.get(key, ()) if self._nothing_unsaid(line)]
        if not options:
            everyday = self._generic(key)
            options = [line for line in everyday if self._nothing_unsaid(line)] or everyday
        if not self._profile.caller_name:
            options = [line for line in options if "{name}" not in line] or options  # never invent a name
        return self._choose([self._fill(line) for line in options])

    def _choose(self, options: Sequence[str]) -> str:
        fresh = [line for line in options if line not in self._used]
        if not fresh:
            # A lead-in of the caller's own ("freshen") makes a used line a fresh variant, never a verbatim repeat.
            variants = [glue(lead, line, self._names) for lead in self._generic("freshen") for line in options]
            fresh = [line for line in variants if line not in self._used]
        line = self._rng.choice(fresh or list(options))
        self._used.add(line)
        return line

    def _fresh(self, text: str, prefix_key: str | None = None) -> str:
        """`text`, or a lightly rephrased variant if it was already said."""
        if prefix_key:
            return self._choose([glue(p, text, self._names) for p in self._generic(prefix_key)])
        return self._choose([text])

    def _fill(self, line: str) -> str:
        persona, profile = self._scenario.persona, self._profile
        about = in_callers_words(profile.about) + (f", {profile.about_name}," if profile.about_name else "")
        return fill(line, {
            "name": profile.caller_name or persona.name, "age": str(persona.age or ""),
            "problem": self._scenario.presenting_problem, "role": profile.role or "staff member",
            "about": about, "means": profile.means or "", "timeline": profile.timeline or "",
            "target": in_callers_words(profile.homicidal_target) if profile.homicidal_target else "someone",
            "opener": self._beats()[0] if "{opener}" in line else "",
        })

    def _guarded(self) -> bool:
        return self._mood <= self._scenario.behaviour.guarded_below

    def _adjust_mood(self, moves: frozenset[Move]) -> None:
        behaviour = self._scenario.behaviour
        warm = moves & {Move.EMPATHY, Move.CONFIDENTIALITY, Move.GROUNDING}  # being heard, reassured, steadied
        change = (behaviour.warmth if warm else 0) - (
            behaviour.sensitivity if Move.DISMISSIVE in moves else 0)
        self._mood = max(_MOOD_MIN, min(_MOOD_MAX, self._mood + change))

    # --- the story's facts and safety planning -------------------------------------

    @property
    def _names(self) -> frozenset[str]:
        return frozenset(p.name.split()[-1] for p in self._story_facts.people)

    @property
    def _persona(self) -> str | None:
        """The bundled scenario whose caller's own lines this caller speaks; None: the shared sets."""
        return self._scenario.id if self._scenario.bundled else None

    def _generic(self, key: str) -> list[str]:
        """This caller's own everyday lines (a bundled scenario's persona), else the neutral set."""
        return generic(key, persona_group(self._profile.age or self._scenario.persona.age), self._persona)

    def _nothing_unsaid(self, line: str) -> bool:
        """A scenario line may name only what the caller or counselor has brought up ("the lunch club"
        in the brief is not the caller's to mention until someone says it)."""
        scenario = self._scenario
        spoken = {scenario.opening, scenario.presenting_problem, *scenario.lines.get("open_question", ()),
                  *(scenario.risk.fact(f) for f in ("thoughts", "plan", "means", "timeline", "protective"))}
        known = set(_tokens(" ".join(spoken))) | self._counselor_words
        brief_only = set(_tokens(scenario.prompt)) - known - set(fact_words()["common_words"])
        return not {w for w in _tokens(line) if len(w) >= 4} & brief_only

    def _story_line(self, key: str, **values: str) -> str:
        return self._choose(fill_values(self._answers("story", key), values))

    def _answers(self, table: str, key: str) -> list[str]:
        """This caller's own answers for a caller_lines.toml table and key, else the shared ones."""
        return answer_lines(table, key, self._persona)

    def _best_clause(self, topic: str, counselor_text: str) -> str | None:
        """The story clause on ``topic`` that shares most words with the question (first, on a tie)."""
        clauses = self._story_facts.clauses(topic)
        if not clauses:
            return None
        asked = {w for w in _tokens(counselor_text) if len(w) >= 3 and w not in _QUESTION_WORDS}

        def overlap(clause: str) -> int:
            words = [w for w in _tokens(clause) if len(w) >= 3]
            return sum(any(w.startswith(a) or a.startswith(w) for w in words) for a in asked)

        spans = topic == "duration" and "long" in _tokens(counselor_text)
        return max(clauses, key=lambda c: (overlap(c), spans and bool(_SPANS & set(_tokens(c))), -clauses.index(c)))

    def _told(self, clause: str) -> str:
        """A story fact as an answer; told before, the caller says so instead of repeating it."""
        said = " ".join(_tokens(" ".join(self._said | self._used)))
        if " ".join(_tokens(clause)) in said:
            return self._choose([glue(lead, clause, self._names) for lead in self._answers("story", "again")])
        self._used.add(clause)
        return clause

    def _person(self, counselor_text: str) -> Person | None:
        words = set(_tokens(counselor_text))
        if words & {"kids", "children", "child", "kid"}:
            words |= {"son", "daughter"}
        return self._story_facts.person(words) or self._story_facts.by_relation(words)

    def _story_answer(self, move: Move, counselor_text: str) -> str:
        words = set(_tokens(counselor_text))
        person = self._story_facts.person(words)
        if move is Move.WHO:
            if person is None:
                return self._story_line("who_unknown")
            return self._story_line("who_gone" if person.gone else "who", person=person.name,
                                    relation=person.relation or "friend")
        if move is Move.AGE:
            person = self._person(counselor_text)
            if person is None and words & {"you", "your"}:
                age = self._profile.age or self._scenario.persona.age
                return self._story_line("age_self", age=str(age)) if age else self._story_line("age_self_not_stated")
            if person is not None and person.age:
                return self._story_line("age_person", person=person.name, age=person.age)
            return self._story_line("age_person_not_stated")
        if move is Move.FEELINGS:
            clause = self._best_clause("feelings", counselor_text)
            return self._told(clause) if clause and self._mood >= 0 else self._story(1)
        topic = move.value
        clause = self._best_clause(topic, counselor_text)
        if move is Move.WORK:
            stated = [c for c in self._story_facts.clauses("work") if re.search(r"\b(work (as|in)|job as|I'm an? )", c)]
            clause = clause if clause and self._best_overlaps(clause, counselor_text) else (stated or [clause])[0]
        return self._told(clause) if clause else self._story_line(f"{topic}_not_stated")

    def _related_clause(self, counselor_text: str) -> str | None:
        """A story clause that shares a telling word with a yes/no question ("Do you have kids?" ->
        "I only see my kids every other weekend."), or None: then nothing is implied."""
        common = set(fact_words()["common_words"]) | _QUESTION_WORDS
        asked = {w for w in _tokens(counselor_text) if len(w) >= 4 and w not in common}
        if not asked:
            return None
        story = [*self._beats(), *(c for topic in self._story_facts.topics.values() for c in topic)]
        for clause in story:
            words = {w for w in _tokens(clause) if len(w) >= 4}
            if any(w.startswith(a) or a.startswith(w) for a in asked for w in words):
                return clause
        return None

    def _best_overlaps(self, clause: str, counselor_text: str) -> bool:
        asked = {w for w in _tokens(counselor_text) if len(w) >= 4 and w not in _QUESTION_WORDS}
        return bool(asked & set(_tokens(clause)))

    def _stance(self) -> str:
        if self._guarded():
            return "refuse"
        return "agree" if self._mood >= self._scenario.behaviour.accepts_help_from else "bargain"

    @property
    def _helper(self) -> Person | None:
        """Someone the story names whom the caller could turn to, if anyone: one the profile names as
        a support first (Jess's friend Claire, not Mark, who pushed her), and never the person a
        third party calls about (Sofia is not who takes Sofia's pills)."""
        about = self._profile.about_name
        people = [p for p in self._story_facts.people if p.can_help and p.name != about]
        supports = set(_tokens(self._profile.protective or ""))
        return next((p for p in people if p.named_in(supports)), next(iter(people), None))

    def _help_stance(self, move: Move) -> str:
        """Which [help.*] key answers ``move`` now: the caller's stance, or what its story leaves
        ("nothing" to hand over, "nobody" to call, "no_risk" for emergency services)."""
        stance = self._stance()
        if move is Move.MEANS_SAFETY and self._profile.caller == "self" and not self._profile.means:
            return "nothing"
        if move is Move.WHO_TO_CALL and self._helper is None and stance != "refuse":
            return "nobody"
        if move is Move.EMERGENCY and self._profile.risk == "none":
            return "no_risk"
        return stance

    def _help_answer(self, move: Move, counselor_text: str) -> str:
        stance = self._help_stance(move)
        helper = self._helper
        values = {"help": f"my {helper.relation} {helper.name}" if helper and helper.relation else
                  (helper.name if helper else "someone")}
        values["them"] = pronoun_for(self._profile.means or "them")
        if move is Move.COPING:
            clause = self._best_clause("coping", counselor_text)
            if clause is None:
                return self._story_line("coping_not_stated")
            self._used.add(clause)
            values["coping"] = clause
        return self._choose(fill_values(self._answers(f"help.{move.value}", stance), values))

    def _unsaid(self, answer: str) -> str:
        """``answer``, or, if it was said before in this call, the same with a lead-in never said yet."""
        if not answer or answer not in self._said:
            return answer
        leads = self._generic("freshen") + self._generic("repeat")
        base = answer
        for lead in leads:
            if base.startswith(lead + " "):
                base = base[len(lead) + 1:]
                break
        variants = [glue(lead, base, self._names) for lead in leads] + [
            glue(first, glue(second, base, self._names), self._names)
            for first in leads for second in leads if first != second]
        return next((v for v in variants if v not in self._said), answer)


# What a counselor says in passing rather than asks: before another item, it needs no answer of its own.
_IN_PASSING = frozenset({Move.GREETING, Move.EMPATHY, Move.DISMISSIVE, Move.CLOSING, Move.UNKNOWN})


def _to_answer(item_moves: Sequence[frozenset[Move]]) -> set[int]:
    """Which of several counselor items get an answer: each that asks something, and always the last."""
    last = len(item_moves) - 1
    return {i for i, moves in enumerate(item_moves) if i == last or primary_move(moves) not in _IN_PASSING}


def _distinct(items: Sequence[str]) -> list[str]:
    """``items`` without one sent again in the same words (answered once, where first asked)."""
    seen: set[str] = set()
    kept = []
    for text in items:
        key = " ".join(_tokens(text))
        if key not in seen:
            seen.add(key)
            kept.append(text)
    return kept


def _repeats(part: str, earlier: Sequence[str]) -> bool:
    """Does ``part`` say again what an earlier part of the same reply said ("Like I said, X" after X)?"""
    def within(short: list[str], long: list[str]) -> bool:
        return len(short) >= 2 and f" {' '.join(short)} " in f" {' '.join(long)} "

    words = _tokens(part)
    return any(within(said, words) or within(words, said) for said in map(_tokens, earlier))


_STORY_MOVES = (Move.WHO, Move.AGE, Move.DURATION, Move.WORK, Move.FEELINGS)
_HELP_MOVES = (Move.MEANS_SAFETY, Move.WHO_TO_CALL, Move.COPING, Move.CALL_BACK, Move.EMERGENCY, Move.GROUNDING,
               Move.CONFIDENTIALITY)
# Words of a question that say nothing about which fact is asked for.
_QUESTION_WORDS = frozenset(
    "how long has have had this that been going the you your are was were what when did does for with and "
    "happening like feel feeling ago since work job working".split())
# In a clause, words that give a span of time: the answer to "how long" rather than to "when".
_SPANS = frozenset("for since over been weeks months years".split())
