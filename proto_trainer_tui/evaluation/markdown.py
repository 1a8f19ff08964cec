"""An evaluation report as Markdown (for `proto-trainer evaluate` and for pasting into notes)."""

from __future__ import annotations

from .report import ChecklistItem, EvaluationReport, RiskItem

_STATUS = {"shown": "shown", "partial": "partly", "missed": "missed", "not_applicable": "n/a"}


def escape(text: str) -> str:
    """Transcript words are data: Markdown shows them literally (the session export's escaping)."""
    from ..store.export import md_escape  # imported here: the store package brings sqlite3 with it

    return md_escape(text)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100)} %"


def _risk_line(item: RiskItem) -> str:
    if not item.asked:
        return f"- [ ] {item.label}: not asked"
    return f"- [x] {item.label}: turn {item.turn}, \"{escape(item.quote)}\""


CODE_LABELS = {
    "open_question": "open question", "closed_question": "closed question", "simple_reflection": "simple reflection",
    "complex_reflection": "complex reflection", "affirmation": "affirmation",
    "seeking_collaboration": "seeking collaboration", "emphasizing_autonomy": "emphasizing autonomy",
    "giving_information": "giving information", "persuade": "persuade",
    "persuade_with_permission": "persuade with permission", "confront": "confront", "other": "other",
}
CHECK_MARKS = {"met": "[x]", "not_met": "[ ]", "not_checked": "[?]"}
CHECK_WORDS = {"met": "met", "not_met": "not met", "not_checked": "not checked offline"}


def _checklist_line(item: ChecklistItem) -> str:
    what = ("Avoid: " if item.avoid else "") + escape(item.item)
    line = f"- {CHECK_MARKS[item.status]} {what}: {CHECK_WORDS[item.status]}"
    if item.judged_by == "model":
        line += " (judged by the model)"
    if item.note and item.status != "not_checked":
        line += f" ({escape(item.note)})"
    return line + "".join(f"; turn {e.turn}: \"{escape(e.quote)}\"" for e in item.evidence if e.quote)


def render_markdown(report: EvaluationReport, title: str = "") -> str:
    m = report.measures
    lines = [f"# Evaluation{': ' + escape(title) if title else ''}", ""]
    lines += [f"**Grade: {report.grade}**  (score {report.score:.2f}; evaluator: {report.evaluator})", ""]
    if report.note:
        lines += [f"> {escape(report.note)}", ""]
    lines += [escape(report.summary), "", f"**Key learning objective:** {escape(report.key_learning_objective)}", ""]

    if report.flags:
        lines += ["## Flags", ""]
        for flag in report.flags:
            where = f" (turn {flag.turn})" if flag.turn else ""
            lines.append(f"- **{flag.severity}** `{flag.kind}`{where}: {escape(flag.message)}")
        lines.append("")

    lines += ["## Recommendations", ""]
    for number, rec in enumerate(report.recommendations, 1):
        lines.append(f"{number}. {escape(rec.advice)}")
        if rec.instead_of:
            where = f" (turn {rec.turn})" if rec.turn else ""
            lines.append(f"   - Instead of{where}: \"{escape(rec.instead_of)}\"")
        lines.append(f"   - Try: \"{escape(rec.try_saying)}\"")
    lines += ["", "## Skills, with evidence", ""]
    for marker in report.skill_markers:
        note = f" — {escape(marker.note)}" if marker.note else ""
        lines.append(f"- **{marker.label}**: {_STATUS[marker.status]}{note}")
        for evidence in marker.evidence:
            lines.append(f"  - turn {evidence.turn}: \"{escape(evidence.quote)}\"")

    risk = report.risk
    lines += ["", "## Risk assessment coverage", ""]
    asked = f"yes, first at turn {risk.first_asked_turn}" if risk.asked_directly else "no"
    lines += [f"Suicide asked about directly: {asked}. Risk disclosed by the caller: "
              f"{'yes' if risk.risk_disclosed else 'no'}.", ""]
    lines += ["Lifeline standards (Joiner et al. 2007):", *map(_risk_line, risk.lifeline), ""]
    lines += ["C-SSRS screener:", *map(_risk_line, risk.cssrs), ""]

    lines += ["## Conversation measures", "", "| measure | value |", "| --- | --- |"]
    rows = [
        ("counselor talk-time share", f"{percent(m.talk_time_share)} (by {m.talk_time_basis})"),
        ("longest counselor monologue", f"{m.longest_monologue_words} words"
         + (f", {m.longest_monologue_seconds} s" if m.longest_monologue_seconds is not None else "")
         + (f" (turn {m.longest_monologue_turn})" if m.longest_monologue_turn else "")),
        ("questions (open share)", f"{m.questions} ({percent(m.open_question_share)} open)"),
        ("reflection : question (MITI 4.2)", f"{m.reflection_to_question if m.reflection_to_question is not None else 'n/a'}"
         f" — {m.miti_reflection_to_question} (fair 1:1, good 2:1)"),
        ("complex reflections (MITI 4.2)", f"{percent(m.complex_reflection_share)} — {m.miti_complex_share}"
         " (fair 40 %, good 50 %)"),
        ("response gap, median / longest", f"{m.median_response_gap_seconds if m.median_response_gap_seconds is not None else 'n/a'} s / "
         f"{m.longest_response_gap_seconds if m.longest_response_gap_seconds is not None else 'n/a'} s"),
        ("interruptions (by you / by caller)", f"{m.interruptions_by_counselor} / {m.interruptions_by_caller}"),
    ]
    lines += [f"| {name} | {value} |" for name, value in rows]

    if report.checklist:
        lines += ["", "## The scenario's criteria", ""]
        lines += [_checklist_line(item) for item in report.checklist]
    if report.coded_turns:
        lines += ["", "## Coded turns (MITI 4.2)", "", "| turn | codes | what was said |", "| --- | --- | --- |"]
        for coded in report.coded_turns:
            said = " / ".join(f"{escape(s.text)} *({', '.join(CODE_LABELS[c] for c in s.codes)})*"
                              for s in coded.sentences)
            by = " (model)" if coded.coder == "model" else ""
            lines.append(f"| #{coded.turn} | {', '.join(CODE_LABELS[c] for c in coded.codes)}{by} | {said} |")

    lines += ["", "## Rubric", "", "| criterion | weight | achieved | comment |", "| --- | --- | --- | --- |"]
    lines += [f"| {line.criterion} | {line.weight:g} | {round(line.achieved * 100)} % | {escape(line.comment)} |"
              for line in report.rubric]
    lines += ["", escape(report.rubric_rationale), "", "## Questions to reflect on", ""]
    lines += [f"- {escape(prompt)}" for prompt in report.reflection_prompts]
    return "\n".join(lines) + "\n"
