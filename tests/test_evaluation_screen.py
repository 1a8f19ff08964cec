"""The evaluation screen: a snapshot with a fixed report, and evidence that jumps to its turn."""

from __future__ import annotations

import json
from pathlib import Path

from textual.app import App
from textual.widgets import ListView

from proto_trainer_tui.evaluation import EvaluationReport, transcript_from_export
from proto_trainer_tui.ui.evaluation import EvaluationScreen, EvidenceItem

FIXTURE = json.loads((Path(__file__).parent / "data" / "evaluation_screen.json").read_text())
SIZE = (100, 40)
SMALL, LARGE = (80, 24), (140, 45)


class ScreenHost(App):
    """A bare app that shows one evaluation and records where it was asked to jump."""

    def __init__(self) -> None:
        super().__init__()
        self.report = EvaluationReport.from_dict(FIXTURE["report"])
        self.turns = transcript_from_export(FIXTURE["transcript"]).turns
        self.jumped: list[int] = []
        self.dismissed_with: list[int | None] = []
        self.messages: list[int] = []

    def on_mount(self) -> None:
        self.push_screen(EvaluationScreen(self.report, self.turns, on_jump=self.jumped.append),
                         callback=self.dismissed_with.append)

    def on_evaluation_screen_jump_to_turn(self, message: EvaluationScreen.JumpToTurn) -> None:
        self.messages.append(message.turn)


def test_evaluation_screen_small(snap_compare):
    assert snap_compare(ScreenHost(), terminal_size=SMALL)


def test_evaluation_screen_large(snap_compare):
    assert snap_compare(ScreenHost(), terminal_size=LARGE)


async def test_opens_at_the_grade_and_scrolls_as_one_document():
    app = ScreenHost()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        body = app.screen.query_one("#evaluation-body")
        assert body.scroll_y == 0 and app.screen.focused is body
        grade = str(app.screen.query_one("#grade").render())
        assert f" {app.report.grade} " in grade
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        sections = [str(w.render()) for w in app.screen.query(".heading")]
        assert [s for s in sections if s in ("Risk assessment coverage", "Conversation measures", "Rubric",
                                             "Coded turns (MITI 4.2)", "Recommendations", "Flags")] == [
            "Risk assessment coverage", "Conversation measures", "Rubric", "Coded turns (MITI 4.2)",
            "Recommendations", "Flags"]
        text = " ".join(str(w.render()) for w in app.screen.query(".section"))
        assert "\\(" not in text and "1 reflections" not in text


async def test_selecting_evidence_jumps_to_its_turn():
    app = ScreenHost()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        evidence = app.screen.query_one("#evidence", ListView)
        evidence.focus()
        turns = [item.turn for item in evidence.query(EvidenceItem)]
        target = turns.index(5)  # the direct question about suicide
        evidence.index = target
        await pilot.press("enter")
        await pilot.pause()
        assert app.jumped == [5] and app.dismissed_with == [5] and app.messages == [5]
        assert not isinstance(app.screen, EvaluationScreen)


async def test_escape_closes_without_a_jump_and_markup_stays_literal():
    app = ScreenHost()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        quotes = " ".join(str(item.query_one("Label").render()) for item in app.screen.query(EvidenceItem))
        assert "[bold red]and[/]" in quotes
        await pilot.press("escape")
        await pilot.pause()
        assert app.dismissed_with == [None] and app.jumped == []
