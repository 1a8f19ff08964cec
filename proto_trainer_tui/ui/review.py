"""Review of one saved session: its transcript (paged from the store), evaluation and recording."""

from __future__ import annotations

import threading

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from ..store import Store, StoreError, format_duration
from ..text import printable
from .paged_transcript import PagedTranscript, StoreTurns
from .widgets import TrainerFooter


def session_line(session) -> Text:
    duration = None if session.ended_at is None else session.ended_at - session.started_at
    text = Text(printable(session.scenario_title), style="bold")
    text.append(f"  ·  {session.started_at.astimezone():%Y-%m-%d %H:%M}  ·  {format_duration(duration)}"
                f"  ·  {session.status}  ·  {session.mode}")
    if session.recording_path is not None:
        text.append("  ·  p plays the recording", style="dim")
    return text


def evaluation_text(report: dict | None, grade: str | None, reviews=()) -> Text:
    if report is None:
        text = Text("Not evaluated yet.", style="dim")
    else:
        text = Text("Grade: ", style="bold")
        text.append(str(grade if grade is not None else report.get("grade", "–")), style="bold")
        summary = report.get("summary")
        if summary:
            text.append("\n")
            text.append(str(summary))
    for review in reviews:  # a supervisor's notes (store.programme.Review), their grade overriding
        text.append(f"\nReview by {printable(review.reviewer or '–')}: ", style="bold")
        text.append(printable(review.note))
        if review.grade:
            text.append(f" Grade {printable(review.grade)}: {printable(review.reason or '')}", style="italic")
    return text


class ReviewScreen(Screen):
    CSS_PATH = "review.tcss"
    SUB_TITLE = "session review"
    BINDINGS = [
        Binding("escape", "back", "Back", id="review-back", tooltip="Back to the history"),
        Binding("p", "play", "Play", id="review-play", tooltip="Play or stop the session's recording"),
        Binding("e", "evaluate", "Evaluate", id="review-evaluate", tooltip="Grade this call and show the feedback"),
    ]

    def __init__(self, store: Store, session_id: int) -> None:
        super().__init__()
        self.store = store
        self.session_id = session_id
        self._stop_playing: threading.Event | None = None

    def compose(self) -> ComposeResult:
        session = self.store.get_session(self.session_id)
        yield Header()
        yield Static(session_line(session), id="session-info")
        yield Static(evaluation_text(self.store.evaluation(self.session_id), self.store.grade(self.session_id),
                                     self.store.reviews(self.session_id)), id="evaluation")
        yield PagedTranscript(StoreTurns(self.store, self.session_id), id="transcript")
        yield TrainerFooter()

    def on_mount(self) -> None:
        self.query_one(PagedTranscript).focus()

    def action_back(self) -> None:
        self._stop()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._stop_playing is not None:
            self._stop_playing.set()
            self._stop_playing = None

    def action_evaluate(self) -> None:
        report = self.store.evaluation(self.session_id)
        if report is None:
            self.app.evaluate_session(self.session_id)  # grades, saves, then shows it here
            return
        from ..evaluation.report import EvaluationReport, ReportError

        try:
            self.show_evaluation(EvaluationReport.from_dict(report))
        except ReportError as exc:
            self.notify(f"the saved evaluation cannot be read ({exc}); grading again", severity="warning")
            self.app.evaluate_session(self.session_id)

    def show_evaluation(self, report) -> None:
        """The evaluation screen over this transcript; choosing evidence jumps to its turn here."""
        from .evaluation import EvaluationScreen

        reviews = self.store.reviews(self.session_id)
        overridden = [r.grade for r in reviews if r.grade]  # a supervisor's grade still wins
        self.query_one("#evaluation", Static).update(
            evaluation_text(report.to_dict(), overridden[-1] if overridden else report.grade, reviews)
        )
        turns = self.store.turns(self.session_id)

        async def jump(turn: int | None) -> None:
            if turn is not None:
                await self.query_one(PagedTranscript).jump_to(turn)

        self.app.push_screen(EvaluationScreen(report, turns), jump)

    def action_play(self) -> None:
        from .playback import output_problem

        if self._stop_playing is not None:
            self._stop()
            self.notify("Playback stopped.")
            return
        try:
            recording = self.store.recording_file(self.session_id)  # fetched from a shared database if need be
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            return
        if recording is None or not recording.exists():
            self.notify("This session has no recording.", severity="warning")
            return
        device = getattr(self.app, "output_device", None)
        problem = output_problem(device)
        if problem:
            self.notify(f"Cannot play the recording: {problem}.", severity="warning")
            return
        self._stop_playing = threading.Event()
        self.notify("Playing the recording (p stops).")
        self._play(recording, self._stop_playing, device)

    @work(thread=True, exclusive=True, group="playback", exit_on_error=False)
    def _play(self, recording, stop: threading.Event, device) -> None:
        from .playback import play_wav

        try:
            play_wav(recording, stop, device)
        except Exception as exc:  # noqa: BLE001 (shown to the user, playback is optional)
            self.app.call_from_thread(self.notify, f"Playback failed: {exc}", severity="error")
        finally:
            self.app.call_from_thread(self._finished, stop)

    def _finished(self, stop: threading.Event) -> None:
        if self._stop_playing is stop:
            self._stop_playing = None
