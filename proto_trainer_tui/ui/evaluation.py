"""The evaluation screen: grade, summary, evidence linked to turns, recommendations, flags, evaluator.

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

from ..evaluation.report import EvaluationReport, Evidence, SkillMarker
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
            text.append(f"“{rec.instead_of}”", style="italic")
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
    text.append(f"“{evidence.quote}”")
    reply = turns.get(evidence.turn + 1)
    if reply is not None and getattr(reply, "role", "") == "caller":
        text.append("\n  ")
        text.append(f"{ROLE_NAMES['caller']}: {reply.text}", style="dim")
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
        with VerticalScroll(id="evaluation-body"):
            yield Static(header_text(self.report), id="grade")
            yield Static(Text("Flags", style="bold underline"), classes="heading")
            yield Static(flags_text(self.report), id="flags")
            yield Static(Text("Evidence (Enter jumps to the turn)", style="bold underline"), classes="heading")
            yield ListView(*self._evidence_items(), id="evidence")
            yield Static(Text("Recommendations", style="bold underline"), classes="heading")
            yield Static(recommendations_text(self.report), id="recommendations")
        yield TrainerFooter()

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
        self.query_one("#evidence", ListView).focus()

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
