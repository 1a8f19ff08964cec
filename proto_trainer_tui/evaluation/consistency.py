"""Does the feedback agree with the call? Finds recommendations and strengths that contradict the report's
own coding and risk coverage. Pure: a report in, a list of problems (plain sentences) out.

Run by benchmarks/evaluation_quality.py over the labelled call set (target: none) and usable on any
report, offline or from a model.
"""

from __future__ import annotations

from .markers import DOUBLE_SIDED, analyse_sentence, normalise
from .report import EvaluationReport

# Skills whose evidence must be a line coded as that behaviour.
_EVIDENCE_CODES = {
    "open_questions": {"open_question"},
    "reflections": {"simple_reflection", "complex_reflection", "affirmation", "other"},
}
# Recommendations that replace a line with a better one: the line must not be a step already well taken.
_REPLACING = {"open_questions", "reflections", "safety_planning", "dismissive", "leading_question"}


def contradictions(report: EvaluationReport) -> list[str]:
    problems: list[str] = []
    markers = {m.skill: m for m in report.skill_markers}
    shown = {skill for skill, m in markers.items() if m.status == "shown"}
    coded = {(turn.turn, s.text): s.codes for turn in report.coded_turns for s in turn.sentences}
    first_turn = report.coded_turns[0].turn if report.coded_turns else None
    last_turn = report.coded_turns[-1].turn if report.coded_turns else None

    seen_quotes: set[str] = set()
    for rec in report.recommendations:
        where = f"recommendation '{rec.advice[:60]}'"
        if rec.about in shown:
            problems.append(f"{where} asks for {rec.about}, which the call shows")
        if rec.about == "direct_suicide_inquiry" and report.risk.asked_directly:
            problems.append(f"{where} asks for a direct suicide question, asked at turn {report.risk.first_asked_turn}")
        if rec.about == "risk_follow_up" and not report.risk.risk_disclosed:
            problems.append(f"{where} follows up a disclosure the caller never made")
        if rec.instead_of:
            if rec.instead_of in seen_quotes:
                problems.append(f"{where} names a line already named by another recommendation")
            seen_quotes.add(rec.instead_of)
            line = analyse_sentence(rec.instead_of)
            if rec.about in _REPLACING and (line.grounding or line.safety_plan or line.means_safety):
                problems.append(f"{where} replaces a grounding or safety-planning step: '{rec.instead_of[:60]}'")
            if rec.about in ("open_questions", "reflections") and line.risk_topics:
                problems.append(f"{where} marks down a risk-screening question for being closed")
    if any(rec.about == "double_sided_reflections" for rec in report.recommendations) and any(
        DOUBLE_SIDED.search(normalise(s.text)) for turn in report.coded_turns for s in turn.sentences
    ):
        problems.append("a recommendation asks for double-sided reflections, which the call uses")
    if any(flag.kind == "no_safety_plan" for flag in report.flags) and "safety_planning" in shown:
        problems.append("the no_safety_plan flag contradicts the safety-planning strength")

    for skill, marker in markers.items():
        if marker.status not in ("shown", "partial") or skill in ("opening", "closing"):
            continue
        for evidence in marker.evidence:
            codes = coded.get((evidence.turn, evidence.quote))
            if codes is None:
                continue  # quoted from a longer line, or redacted: nothing to compare
            if codes == ["other"] and evidence.turn in (first_turn, last_turn) and skill != "resources":
                problems.append(f"strength '{marker.label}' cites a greeting or goodbye: turn {evidence.turn}")
            wanted = _EVIDENCE_CODES.get(skill)
            if wanted and not wanted & set(codes):
                problems.append(f"strength '{marker.label}' cites turn {evidence.turn}, coded {', '.join(codes)}")
    return problems
