"""The evaluation screen, one document: grade and summary first, then risk coverage, measures, rubric,
the scenario's criteria, coded turns, evidence linked to turns, recommendations and flags.

The body scrolls as one (PageUp/PageDown, Home/End); Tab reaches the evidence list.

Selecting an evidence item (Enter or click) calls ``on_jump(turn)`` if given, posts
``EvaluationScreen.JumpToTurn`` to the app and dismisses the screen with the turn number, so whichever
screen pushed it (the review) can scroll its transcript there. All transcript words are rendered
as ``rich.text.Text``, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label, ListItem, ListView, Static

from ..evaluation.markdown import CHECK_WORDS, CODE_LABELS, percent
from ..evaluation.report import EvaluationReport, Evidence, SkillMarker, clip, plural
from .widgets import TrainerFooter

SEVERITY_STYLES = {"critical": "bold red", "warning": "bold yellow", "info": "bold blue"}
STATUS_MARKS = {"shown": ("✓", "green"), "partial": ("~", "yellow"), "missed": ("✗", "red"), "not_applicable": ("–", "dim")}
GRADE_STYLES = {"A": "bold green", "B": "bold green", "C": "bold yellow", "D": "bold red", "F": "bold red"}
ROLE_NAMES = {"counselor": "You", "caller": "Caller"}


def _order(turn: Any) -> int | None:
    return getattr(turn, "order", None) or getattr(turn, "turn_order", None)


def header_text(report: EvaluationReport) -> Text:
    text = Text("Grade ", style="bold")
    text.append(f" {report.grade} ", style=f"{GRADE_STYLES[report.grade]} reverse")
    text.append(f"   score {report.score:.2f}   evaluator: {report.evaluator}", style="dim")
    if report.note:
        text.append("\n")
        text.append(report.note, style="italic")
    text.append("\n\n")
    text.append(report.summary)
    text.append("\n\nKey learning objective: ", style="bold")
    text.append(report.key_learning_objective)
    return text


QUOTE_CHARS = 160
CHECK_STYLES = {"met": ("✓", "green"), "not_met": ("✗", "red"), "not_checked": ("?", "dim")}


def risk_text(report: EvaluationReport) -> Text:
    risk = report.risk
    text = Text()
    if risk.asked_directly:
        text.append("✓ ", style="green")
        text.append(f"Suicide asked about directly at turn {risk.first_asked_turn}")
        if risk.first_asked_share is not None:
            text.append(f" ({percent(risk.first_asked_share)} into the call)", style="dim")
    else:
        text.append("✗ ", style="red")
        text.append("Suicide never asked about directly")
    text.append(f"\nRisk disclosed by the caller: {'yes' if risk.risk_disclosed else 'no'}")
    for title, items in (("Lifeline standards", risk.lifeline), ("C-SSRS screener", risk.cssrs)):
        text.append(f"\n{title}:", style="bold")
        for item in items:
            mark, style = ("✓", "green") if item.asked else ("✗", "red")
            text.append(f"\n {mark} ", style=style)
            text.append(item.label)
            if item.asked:
                text.append(f"  turn {item.turn}", style="dim")
    return text


def measures_text(report: EvaluationReport) -> Text:
    m = report.measures
    rq = "n/a" if m.reflection_to_question is None else f"{m.reflection_to_question:g}"
    rows = [
        ("Reflection : question", f"{rq}  ({m.miti_reflection_to_question}; MITI fair 1:1, good 2:1)"),
        ("Complex reflections", f"{percent(m.complex_reflection_share)}  ({m.miti_complex_share}; fair 40 %, good 50 %)"),
        ("Open questions", f"{percent(m.open_question_share)} of {plural(m.questions, 'question')}"),
        ("Reflections", f"{m.reflections} ({m.complex_reflections} complex)"),
        ("Your share of the talk", f"{percent(m.talk_time_share)} (by {m.talk_time_basis})"),
        ("Longest monologue", plural(m.longest_monologue_words, "word")
         + (f" (turn {m.longest_monologue_turn})" if m.longest_monologue_turn else "")),
    ]
    text = Text()
    for number, (name, value) in enumerate(rows):
        text.append(("\n" if number else "") + f"{name:<24}", style="bold")
        text.append(value)
    return text


def rubric_text(report: EvaluationReport) -> Text:
    text = Text()
    for number, line in enumerate(report.rubric):
        text.append(("\n" if number else "") + f"{round(line.achieved * 100):>3} % ", style="bold")
        text.append(f"{line.criterion}")
        text.append(f"  ×{line.weight:g}", style="dim")
        if line.comment:
            text.append(f"\n       {line.comment}", style="dim")
    text.append("\n\n")
    text.append(report.rubric_rationale, style="italic")
    return text


def checklist_text(report: EvaluationReport) -> Text:
    text = Text()
    for number, item in enumerate(report.checklist):
        mark, style = CHECK_STYLES[item.status]
        text.append(("\n" if number else "") + f"{mark} ", style=style)
        if item.avoid:
            text.append("Avoid: ", style="bold")
        text.append(item.item)
        text.append(f"  {CHECK_WORDS[item.status]}" + (" (model)" if item.judged_by == "model" else ""), style=style)
        for evidence in item.evidence[:2]:
            text.append(f"\n    turn {evidence.turn}: ", style="dim")
            text.append(f"“{clip(evidence.quote, QUOTE_CHARS)}”", style="dim")
    return text


def coded_turns_text(report: EvaluationReport) -> Text:
    text = Text()
    for number, coded in enumerate(report.coded_turns):
        text.append(("\n" if number else "") + f"#{coded.turn:<4}", style="bold")
        text.append(", ".join(CODE_LABELS[c] for c in coded.codes), style="cyan")
        if coded.coder == "model":
            text.append("  (model)", style="dim")
        for sentence in coded.sentences:
            text.append("\n      ")
            text.append(f"“{clip(sentence.text, QUOTE_CHARS)}”")
            text.append(f"  {', '.join(CODE_LABELS[c] for c in sentence.codes)}", style="dim")
    return text


def flags_text(report: EvaluationReport) -> Text:
    if not report.flags:
        return Text("No flags.", style="dim")
    text = Text()
    for number, flag in enumerate(report.flags):
        if number:
            text.append("\n")
        text.append(f"{flag.severity:<8} ", style=SEVERITY_STYLES[flag.severity])
        text.append(f"{flag.kind}", style="bold")
        if flag.turn:
            text.append(f" (turn {flag.turn})", style="dim")
        text.append(f": {flag.message}")
    return text


def recommendations_text(report: EvaluationReport) -> Text:
    text = Text()
    for number, rec in enumerate(report.recommendations, 1):
        if number > 1:
            text.append("\n\n")
        text.append(f"{number}. ", style="bold")
        text.append(rec.advice)
        if rec.instead_of:
            text.append("\n   Instead of" + (f" (turn {rec.turn})" if rec.turn else "") + ": ", style="dim")
            text.append(f"“{clip(rec.instead_of, QUOTE_CHARS)}”", style="italic")
        text.append("\n   Try: ", style="bold green")
        text.append(f"“{rec.try_saying}”")
    text.append("\n\nTo reflect on:", style="bold")
    for prompt in report.reflection_prompts:
        text.append(f"\n • {prompt}")
    return text


def evidence_text(marker: SkillMarker, evidence: Evidence, turns: dict[int, Any]) -> Text:
    mark, style = STATUS_MARKS[marker.status]
    text = Text(f"{mark} ", style=style)
    text.append(marker.label, style="bold")
    text.append(f"  turn {evidence.turn}", style="dim")
    text.append("\n  ")
    text.append(f"“{clip(evidence.quote, QUOTE_CHARS)}”")
    reply = turns.get(evidence.turn + 1)
    if reply is not None and getattr(reply, "role", "") == "caller":
        text.append("\n  ")
        text.append(f"{ROLE_NAMES['caller']}: {clip(reply.text, QUOTE_CHARS)}", style="dim")
    return text


def marker_text(marker: SkillMarker) -> Text:
    mark, style = STATUS_MARKS[marker.status]
    text = Text(f"{mark} ", style=style)
    text.append(marker.label, style="bold")
    if marker.note:
        text.append(f"  {marker.note}", style="dim")
    return text


class EvidenceItem(ListItem):
    def __init__(self, body: Text, turn: int | None) -> None:
        super().__init__(Label(body))
        self.turn = turn


class EvaluationScreen(Screen[int | None]):
    CSS_PATH = "evaluation.tcss"
    SUB_TITLE = "evaluation"
    BINDINGS = [
        Binding("escape", "close", "Back", id="evaluation-back", tooltip="Back to the session"),
    ]

    class JumpToTurn(Message):
        """The counselor chose a piece of evidence: show this turn in the transcript."""

        def __init__(self, turn: int) -> None:
            super().__init__()
            self.turn = turn

    def __init__(
        self,
        report: EvaluationReport,
        turns: Sequence[Any] = (),
        on_jump: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self.report = report
        self.turns = {order: turn for turn in turns if (order := _order(turn)) is not None}
        self.on_jump = on_jump

    def compose(self) -> ComposeResult:
        yield Header()
        report = self.report
        with VerticalScroll(id="evaluation-body"):
            yield Static(header_text(report), id="grade")
            yield from self._section("Risk assessment coverage", risk_text(report), "risk")
            yield from self._section("Conversation measures", measures_text(report), "measures")
            yield from self._section("Rubric", rubric_text(report), "rubric")
            if report.checklist:
                yield from self._section("The scenario's criteria", checklist_text(report), "checklist")
            if report.coded_turns:
                yield from self._section("Coded turns (MITI 4.2)", coded_turns_text(report), "coded-turns")
            yield Static(Text("Evidence (Tab, then Enter jumps to the turn)", style="bold underline"),
                         classes="heading")
            yield ListView(*self._evidence_items(), id="evidence")
            yield from self._section("Recommendations", recommendations_text(report), "recommendations")
            yield from self._section("Flags", flags_text(report), "flags")
        yield TrainerFooter()

    @staticmethod
    def _section(title: str, body: Text, widget_id: str) -> ComposeResult:
        yield Static(Text(title, style="bold underline"), classes="heading")
        yield Static(body, id=widget_id, classes="section")

    def _evidence_items(self) -> list[EvidenceItem]:
        items = []
        for marker in self.report.skill_markers:
            if marker.status == "not_applicable":
                continue
            if not marker.evidence:
                items.append(EvidenceItem(marker_text(marker), None))
            items += [EvidenceItem(evidence_text(marker, e, self.turns), e.turn) for e in marker.evidence]
        return items

    def on_mount(self) -> None:
        # The document opens at the grade; the body has focus so PageDown scrolls all of it.
        body = self.query_one("#evaluation-body", VerticalScroll)
        body.focus()
        body.scroll_home(animate=False)

    @on(ListView.Selected, "#evidence")
    def jump(self, event: ListView.Selected) -> None:
        assert isinstance(event.item, EvidenceItem)
        turn = event.item.turn
        if turn is None:
            self.notify("No turn to show: this skill was not seen in the call.")
            return
        if self.on_jump is not None:
            self.on_jump(turn)
        self.app.post_message(self.JumpToTurn(turn))  # the screen is leaving; the app outlives it
        self.dismiss(turn)

    def action_close(self) -> None:
        self.dismiss(None)
