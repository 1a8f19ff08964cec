"""Review of one saved session: its transcript (paged from the store), evaluation and recording."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from ..store import Store, StoreError, format_duration
from ..text import local_time, printable
from .paged_transcript import PagedTranscript, StoreTurns
from .playback import Playback, progress_line
from .widgets import TrainerFooter


def session_line(session) -> Text:
    duration = None if session.ended_at is None else session.ended_at - session.started_at
    text = Text(printable(session.scenario_title), style="bold")
    text.append(f"  ·  {local_time(session.started_at)}  ·  {format_duration(duration)}"
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
        Binding("p", "play", "Play/stop", id="review-play", tooltip="Play or stop the session's recording"),
        Binding("left", "seek(-5)", "-5 s", id="review-rewind", tooltip="Playback: back 5 seconds",
                priority=True),
        Binding("right", "seek(5)", "+5 s", id="review-forward", tooltip="Playback: forward 5 seconds",
                priority=True),
        Binding("e", "evaluate", "Evaluate", id="review-evaluate", tooltip="Grade this call and show the feedback"),
    ]
    PROGRESS_HZ = 4

    def __init__(self, store: Store, session_id: int) -> None:
        super().__init__()
        self.store = store
        self.session_id = session_id
        self.playback: Playback | None = None  # the recording now playing

    def compose(self) -> ComposeResult:
        session = self.store.get_session(self.session_id)
        yield Header()
        yield Static(session_line(session), id="session-info")
        yield Static(evaluation_text(self.store.evaluation(self.session_id), self.store.grade(self.session_id),
                                     self.store.reviews(self.session_id)), id="evaluation")
        yield Static("", id="playback")
        yield PagedTranscript(StoreTurns(self.store, self.session_id), id="transcript")
        yield TrainerFooter()

    def on_mount(self) -> None:
        self.query_one(PagedTranscript).focus()
        self.query_one("#playback", Static).display = False
        self.set_interval(1 / self.PROGRESS_HZ, self._show_progress)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "seek":
            return self.playback is not None  # the arrows scroll the transcript when nothing plays
        return True

    def _show_progress(self) -> None:
        line = self.query_one("#playback", Static)
        line.display = self.playback is not None
        if self.playback is not None:
            position, length = self.playback.seconds
            line.update(f"{progress_line(position, length)}  (p stops, ←/→ 5 s)")

    def action_seek(self, seconds: float) -> None:
        if self.playback is not None:
            self.playback.seek(float(seconds))

    def action_back(self) -> None:
        self._stop()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self.playback is not None:
            self.playback.stop.set()
            self.playback = None
            self._playing_changed()

    def _playing_changed(self) -> None:
        self._show_progress()
        self.refresh_bindings()

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

        # The report shown is the saved latest one, so the store's grade is its grade or a supervisor's.
        self.query_one("#evaluation", Static).update(
            evaluation_text(report.to_dict(), self.store.grade(self.session_id), self.store.reviews(self.session_id))
        )
        turns = self.store.turns(self.session_id)

        async def jump(turn: int | None) -> None:
            if turn is not None:
                await self.query_one(PagedTranscript).jump_to(turn)

        self.app.push_screen(EvaluationScreen(report, turns), jump)

    def action_play(self) -> None:
        from .playback import output_problem

        if self.playback is not None:
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
        try:
            self.playback = Playback(recording)
        except (OSError, RuntimeError) as exc:  # soundfile's errors are RuntimeErrors
            self.notify(f"Cannot play the recording: {exc}.", severity="error")
            return
        self.notify("Playing the recording (p stops).")
        self._playing_changed()
        self._play(self.playback, device)

    @work(thread=True, exclusive=True, group="playback", exit_on_error=False)
    def _play(self, playback: Playback, device) -> None:
        from .playback import play_wav

        try:
            play_wav(playback, device)
        except Exception as exc:  # noqa: BLE001 (shown to the user, playback is optional)
            self.app.call_from_thread(self.notify, f"Playback failed: {exc}", severity="error")
        finally:
            self.app.call_from_thread(self._finished, playback)

    def _finished(self, playback: Playback) -> None:
        if self.playback is playback:
            self.playback = None
            self._playing_changed()
