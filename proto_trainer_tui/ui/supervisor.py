"""The supervisor's screens: the review queue, the cohort progress table, and assigning.

The queue lists evaluated calls nobody has reviewed, critical flags first. Enter opens a call
(transcript, recording, evaluation: the review screen); n adds a review note and, when the
supervisor disagrees, a grade that overrides the evaluation's, with a reason; g shows the
progress table (trainee x assignment); a assigns a scenario to trainees or a cohort. On a shared
PostgreSQL database row-level security limits all of it to the supervisor's cohorts.
"""

from __future__ import annotations

from argparse import ArgumentTypeError

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Header, Input, Label, Static

from ..store import Store, StoreError
from ..evaluation.report import plural
from ..text import local_time, printable
from .widgets import TrainerFooter

COLUMNS = ("Session", "Date", "Trainee", "Scenario", "Grade", "Critical flags")


class ReviewQueueScreen(Screen):
    CSS_PATH = "supervisor.tcss"
    SUB_TITLE = "calls to review"
    BINDINGS = [
        Binding("escape", "back", "Back", id="queue-back", tooltip="Back to where you were"),
        Binding("n", "note", "Note", id="queue-note", tooltip="Add a note and, if need be, your grade"),
        Binding("g", "progress", "Progress", id="queue-progress", tooltip="Cohort progress: trainee x assignment"),
        Binding("a", "assign", "Assign", id="queue-assign", tooltip="Assign a scenario to trainees or a cohort"),
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
        table.focus()

    def on_screen_resume(self) -> None:
        # Shown first, and each time a screen above it closes (a call reviewed meanwhile leaves the queue).
        self.reload()

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
            table.add_row(str(entry.session_id), local_time(entry.started_at),
                          Text(printable(entry.trainee or "–")), Text(printable(entry.scenario_title)),
                          Text(printable(entry.grade)), flags, key=str(entry.session_id))
        note = (f"{plural(len(queue), 'call')} to review; Enter opens one, n adds your review"
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
            self.app.push_screen(ReviewNoteScreen(self.store, session_id))  # its closing reloads the queue

    def action_progress(self) -> None:
        self.app.push_screen(ProgressScreen(self.store))

    def action_assign(self) -> None:
        self.app.push_screen(AssignScreen(self.store))

    def action_back(self) -> None:
        self.app.pop_screen()


class ProgressScreen(Screen):
    """The cohort progress table: one row per trainee and assignment (``proto-trainer progress --csv``
    writes the same rows)."""

    CSS_PATH = "supervisor.tcss"
    SUB_TITLE = "cohort progress"
    BINDINGS = [Binding("escape", "back", "Back", id="progress-back", tooltip="Back to the review queue")]
    STATUS_STYLES = {"done": "green", "overdue": "bold red", "in progress": "cyan", "not started": ""}

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="progress", cursor_type="row", zebra_stripes=True)
        yield TrainerFooter()

    def on_mount(self) -> None:
        table = self.query_one("#progress", DataTable)
        table.add_columns("Trainee", "Scenario", "Due", "Status", "Grade", "Critical flags")
        try:
            rows = self.store.progress()
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            rows = []
        for a in rows:
            table.add_row(Text(printable(a.trainee)), Text(printable(a.scenario_id)),
                          f"{a.due_at.astimezone():%Y-%m-%d}" if a.due_at else "–",
                          Text(a.status, style=self.STATUS_STYLES.get(a.status, "")), Text(printable(a.grade or "–")),
                          Text(printable(a.flags or "–")))
        table.focus()

    def action_back(self) -> None:
        self.app.pop_screen()


class AssignScreen(ModalScreen[bool]):
    """Assign a scenario to named trainees or to a whole cohort, with a due date and notes."""

    CSS_PATH = "supervisor.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="assign-cancel", tooltip="Close without assigning")]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        with Vertical(id="assign-form", classes="form"):
            yield Label("Assign a scenario")
            yield Input(placeholder="Scenario id ('proto-trainer scenarios list' shows them)", id="scenario")
            yield Input(placeholder="Trainees, separated by commas", id="trainees")
            yield Input(placeholder="... or a whole cohort", id="cohort")
            yield Input(placeholder="Due date YYYY-MM-DD (optional)", id="due")
            yield Input(placeholder="Notes for the trainee", id="notes")
            yield Static(id="assign-problem")
            with Horizontal():
                yield Button("Assign", id="assign", variant="primary")
                yield Button("Cancel", id="cancel-assign")
        yield TrainerFooter()  # its own keys, over the footer of the screen underneath

    @on(Button.Pressed, "#assign")
    @on(Input.Submitted)
    def assign(self) -> None:
        from ..commands.assign import due_date
        from ..scenarios import UnknownScenario, get_scenario

        value = {name: self.query_one(f"#{name}", Input).value.strip()
                 for name in ("scenario", "trainees", "cohort", "due", "notes")}
        try:
            scenario = get_scenario(value["scenario"], imported=self.store.imported_scenarios())
            due = due_date(value["due"]) if value["due"] else None
            trainees = [name.strip() for name in value["trainees"].split(",") if name.strip()]
            count = len(self.store.assign(scenario.id, trainees=trainees, cohort=value["cohort"] or None,
                                          due_at=due, notes=value["notes"]))
        except (UnknownScenario, StoreError, ValueError, ArgumentTypeError) as exc:
            self.query_one("#assign-problem", Static).update(Text(str(exc).strip("'\""), style="red"))
            return
        self.app.notify(f"{printable(scenario.title)} assigned to {plural(count, 'trainee')}.")
        self.dismiss(True)

    @on(Button.Pressed, "#cancel-assign")
    def action_cancel(self) -> None:
        self.dismiss(False)


class ReviewNoteScreen(ModalScreen[bool]):
    """A review note, and optionally the supervisor's grade with the reason for it."""

    CSS_PATH = "supervisor.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note-cancel", tooltip="Close without saving")]

    def __init__(self, store: Store, session_id: int) -> None:
        super().__init__()
        self.store = store
        self.session_id = session_id

    def compose(self) -> ComposeResult:
        with Vertical(id="note-form", classes="form"):
            yield Label(f"Review of session {self.session_id}")
            yield Input(placeholder="Your note for the trainee", id="note")
            yield Input(placeholder="Your grade, only if you disagree with the evaluation", id="grade")
            yield Input(placeholder="Why this grade (required with a grade)", id="reason")
            yield Static(id="note-problem")
            with Horizontal():
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")
        yield TrainerFooter()

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
