"""Conversation measures from turn texts and timings (talk time, monologues, MITI ratios, gaps)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from .report import CodedTurn, Measures
from .transcript import TranscriptTurn

# MITI 4.2 summary-score thresholds (Moyers et al. 2016).
MITI_RQ = {"fair": 1.0, "good": 2.0}
MITI_COMPLEX = {"fair": 0.40, "good": 0.50}


def miti_band(value: float | None, thresholds: dict[str, float]) -> str:
    if value is None:
        return "n/a"
    if value >= thresholds["good"]:
        return "good"
    return "fair" if value >= thresholds["fair"] else "below"


def words(text: str) -> int:
    return len(text.split())


def conversation_measures(
    turns: Sequence[TranscriptTurn],
    scored_words: dict[int, int],
    questions: int,
    open_questions: int,
    reflections: int,
    complex_reflections: int,
    voice: bool = True,
) -> Measures:
    """``scored_words`` maps counselor turn order -> words counted (sentences aimed at the grader excluded).

    ``voice=False`` (a chat scenario): talk time in words and no interruptions, which only a voice
    call has."""
    counselor = [t for t in turns if t.role == "counselor"]
    caller = [t for t in turns if t.role == "caller"]
    # Typed lines have no speaking time, so talk time is measured in words unless every turn was spoken.
    timed = voice and bool(turns) and all(t.seconds is not None and t.input != "typed" for t in turns) and any(
        t.seconds for t in turns
    )
    if timed:
        mine = sum(t.seconds for t in counselor if scored_words.get(t.order, 0))
        total = mine + sum(t.seconds for t in caller)
        basis = "duration"
    else:
        mine = sum(scored_words.values())
        total = mine + sum(words(t.text) for t in caller)
        basis = "words"
    share = round(mine / total, 3) if total else None

    monologue_words, monologue_seconds, monologue_turn = 0, None, None
    run_words, run_seconds, run_start = 0, 0.0, None
    for turn in turns:  # consecutive counselor turns form one monologue
        if turn.role == "counselor":
            run_start = run_start or turn.order
            run_words += scored_words.get(turn.order, 0)
            run_seconds += turn.seconds or 0.0
            if run_words > monologue_words:
                monologue_words, monologue_turn = run_words, run_start
                monologue_seconds = round(run_seconds, 1) if timed else None
        else:
            run_words, run_seconds, run_start = 0, 0.0, None

    gaps: list[tuple[float, int]] = []
    overlaps = 0
    for before, after in zip(turns, turns[1:]):
        if before.role == "caller" and after.role == "counselor" and before.ended_at and after.started_at:
            gap = (after.started_at - before.ended_at).total_seconds()
            if gap < 0:
                overlaps += 1  # spoke over the caller
            gaps.append((max(gap, 0.0), after.order))

    rq = round(reflections / questions, 2) if questions else None
    complex_share = round(complex_reflections / reflections, 2) if reflections else None
    longest_gap = max(gaps) if gaps else None
    return Measures(
        counselor_turns=len(counselor),
        caller_turns=len(caller),
        talk_time_share=share,
        talk_time_basis=basis,
        longest_monologue_words=monologue_words,
        longest_monologue_seconds=monologue_seconds,
        longest_monologue_turn=monologue_turn,
        questions=questions,
        open_questions=open_questions,
        open_question_share=round(open_questions / questions, 2) if questions else None,
        reflections=reflections,
        complex_reflections=complex_reflections,
        reflection_to_question=rq,
        complex_reflection_share=complex_share,
        miti_reflection_to_question=miti_band(rq if questions else (None if not reflections else 99.0), MITI_RQ),
        miti_complex_share=miti_band(complex_share, MITI_COMPLEX),
        median_response_gap_seconds=round(statistics.median(g for g, _ in gaps), 1) if gaps else None,
        longest_response_gap_seconds=round(longest_gap[0], 1) if longest_gap else None,
        longest_response_gap_turn=longest_gap[1] if longest_gap else None,
        # The last turn cut off is the hang-up or a lost connection, not an interruption.
        interruptions_by_counselor=voice * (overlaps + sum(t.role == "caller" and t.status == "interrupted"
                                                          for t in turns[:-1])),
        interruptions_by_caller=voice * sum(t.role == "counselor" and t.status == "interrupted" for t in turns[:-1]),
    )


def miti_counts(coded_turns: Sequence[CodedTurn]) -> tuple[int, int, int, int]:
    """(questions, open questions, reflections, complex reflections) from coded turns: per sentence where
    the offline coder decided, per turn where a model did (it codes whole turns)."""
    units = []
    for turn in coded_turns:
        units += [turn.codes] if turn.coder == "model" or not turn.sentences else [s.codes for s in turn.sentences]
    questions = sum(any(c in ("open_question", "closed_question") for c in codes) for codes in units)
    open_questions = sum("open_question" in codes for codes in units)
    reflections = sum(any(c in ("simple_reflection", "complex_reflection") for c in codes) for codes in units)
    complex_reflections = sum("complex_reflection" in codes for codes in units)
    return questions, open_questions, reflections, complex_reflections


def with_counts(measures: Measures, coded_turns: Sequence[CodedTurn]) -> Measures:
    """The measures with their MITI counts and ratios recomputed from (merged) coded turns."""
    questions, open_questions, reflections, complex_reflections = miti_counts(coded_turns)
    rq = round(reflections / questions, 2) if questions else None
    complex_share = round(complex_reflections / reflections, 2) if reflections else None
    return measures.model_copy(update={
        "questions": questions, "open_questions": open_questions,
        "open_question_share": round(open_questions / questions, 2) if questions else None,
        "reflections": reflections, "complex_reflections": complex_reflections,
        "reflection_to_question": rq, "complex_reflection_share": complex_share,
        "miti_reflection_to_question": miti_band(rq if questions else (None if not reflections else 99.0), MITI_RQ),
        "miti_complex_share": miti_band(complex_share, MITI_COMPLEX),
    })
