"""The supervisor's review queue: evaluated calls nobody has reviewed, critical flags first.

Enter opens a call (transcript, recording, evaluation: the review screen); n adds a review note
and, when the supervisor disagrees, a grade that overrides the evaluation's, with a reason.
On a shared PostgreSQL database row-level security limits the queue to the supervisor's cohorts.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Header, Input, Label, Static

from ..store import Store, StoreError
from ..text import printable
from .widgets import TrainerFooter

COLUMNS = ("Session", "Date", "Trainee", "Scenario", "Grade", "Critical flags")


class ReviewQueueScreen(Screen):
    CSS_PATH = "supervisor.tcss"
    SUB_TITLE = "calls to review"
    BINDINGS = [
        Binding("escape", "back", "Back", id="queue-back", tooltip="Back to where you were"),
        Binding("n", "note", "Review note", id="queue-note", tooltip="Add a note and, if need be, your grade"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static(id="queue-note")
        yield TrainerFooter()

    def on_mount(self) -> None:
        table = self.query_one("#queue", DataTable)
        table.add_columns(*COLUMNS)
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()  # a call reviewed meanwhile leaves the queue

    def reload(self) -> None:
        table = self.query_one("#queue", DataTable)
        try:
            queue = self.store.review_queue()
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            queue = []
        table.clear()
        for entry in queue:
            flags = Text(printable(entry.critical_flags), style="bold red") if entry.critical_flags else Text("–")
            table.add_row(str(entry.session_id), f"{entry.started_at.astimezone():%Y-%m-%d %H:%M}",
                          Text(printable(entry.trainee or "–")), Text(printable(entry.scenario_title)),
                          Text(printable(entry.grade)), flags, key=str(entry.session_id))
        note = (f"{len(queue)} call{'s' if len(queue) != 1 else ''} to review; Enter opens one, n adds your review"
                if queue else "nothing to review")
        self.query_one("#queue-note", Static).update(Text(note))

    def _highlighted(self) -> int | None:
        table = self.query_one("#queue", DataTable)
        if not table.row_count:
            return None
        key, _ = table.coordinate_to_cell_key((table.cursor_row, 0))
        return int(key.value)

    @on(DataTable.RowSelected, "#queue")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        from .review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.store, int(event.row_key.value)))

    def action_note(self) -> None:
        session_id = self._highlighted()
        if session_id is not None:
            self.app.push_screen(ReviewNoteScreen(self.store, session_id), lambda saved: saved and self.reload())

    def action_back(self) -> None:
        self.app.pop_screen()


class ReviewNoteScreen(ModalScreen[bool]):
    """A review note, and optionally the supervisor's grade with the reason for it."""

    CSS_PATH = "supervisor.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note-cancel", tooltip="Close without saving")]

    def __init__(self, store: Store, session_id: int) -> None:
        super().__init__()
        self.store = store
        self.session_id = session_id

    def compose(self) -> ComposeResult:
        with Vertical(id="note-form"):
            yield Label(f"Review of session {self.session_id}")
            yield Input(placeholder="Your note for the trainee", id="note")
            yield Input(placeholder="Your grade, only if you disagree with the evaluation", id="grade")
            yield Input(placeholder="Why this grade (required with a grade)", id="reason")
            yield Static(id="note-problem")
            with Horizontal():
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def save(self) -> None:
        note = self.query_one("#note", Input).value.strip()
        grade = self.query_one("#grade", Input).value.strip() or None
        reason = self.query_one("#reason", Input).value.strip() or None
        try:
            self.store.add_review(self.session_id, note, grade=grade, reason=reason)
        except StoreError as exc:
            self.query_one("#note-problem", Static).update(Text(str(exc), style="red"))
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
