"""The history screen: past sessions in a table, searchable by scenario; Enter opens one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from ..store import Store, StoreError, format_duration
from ..evaluation.report import clip
from ..text import local_time, printable
from .widgets import TrainerFooter

COLUMNS = ("Date", "Scenario", "Duration", "Turns", "Grade", "Status")
FIXED_WIDTHS = {"Date": 16, "Duration": 8, "Turns": 5, "Grade": 5, "Status": 10}
# Cell padding (1 each side of 6 columns), the table's margins and its scrollbar.
TABLE_CHROME = 2 * len(COLUMNS) + 2 + 2
STATUS_STYLES = {"complete": "green", "incomplete": "yellow", "active": "cyan"}


def scenario_width(screen_width: int) -> int:
    """The Scenario column takes what the others leave, so Status never falls off the edge."""
    return max(12, screen_width - sum(FIXED_WIDTHS.values()) - TABLE_CHROME)


def clipped(text: str, width: int) -> Text:
    """Text cut to ``width`` cells at a word boundary where it can be, with an ellipsis."""
    return Text(clip(text, width))


class HistoryScreen(Screen):
    CSS_PATH = "history.tcss"
    SUB_TITLE = "past sessions"
    BINDINGS = [
        Binding("escape", "back", "Back", id="history-back", tooltip="Back to where you were"),
        Binding("slash", "search", "Search", id="history-search", tooltip="Search sessions by scenario"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Search by scenario (/ to focus), Enter opens the highlighted session",
                    id="search")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static(id="history-note")
        yield TrainerFooter()

    def on_mount(self) -> None:
        self._title_width = 0
        self._lay_out_columns(self.app.size.width)
        self.query_one("#sessions", DataTable).focus()

    def on_resize(self, event) -> None:
        self._lay_out_columns(event.size.width)

    def _lay_out_columns(self, screen_width: int) -> None:
        width = scenario_width(screen_width)
        if width == self._title_width:
            return
        self._title_width = width
        table = self.query_one("#sessions", DataTable)
        table.clear(columns=True)
        for name in COLUMNS:
            table.add_column(name, width=width if name == "Scenario" else FIXED_WIDTHS[name])
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()  # a session may have been deleted or evaluated meanwhile

    def reload(self) -> None:
        table = self.query_one("#sessions", DataTable)
        search = self.query_one("#search", Input).value
        try:
            sessions = self.store.list_sessions(search)
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            sessions = []
        table.clear()
        for s in sessions:
            table.add_row(
                local_time(s.started_at),
                clipped(printable(s.scenario_title), self._title_width),
                format_duration(s.duration),
                str(s.turn_count),
                Text(s.grade or "–"),
                Text(s.status, style=STATUS_STYLES.get(s.status, "")),
                key=str(s.id),
            )
        if sessions:
            note = f"{len(sessions)} session{'s' if len(sessions) != 1 else ''}"
        else:
            note = f"no sessions match {search!r}" if search.strip() else "no saved sessions yet"
        self.query_one("#history-note", Static).update(Text(note))

    @on(Input.Changed, "#search")
    def search_changed(self) -> None:
        self.reload()

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        table = self.query_one("#sessions", DataTable)
        if table.row_count:
            table.focus()
            self.open_row(table.cursor_row)

    @on(DataTable.RowSelected, "#sessions")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_session(int(event.row_key.value))

    def open_row(self, row: int) -> None:
        table = self.query_one("#sessions", DataTable)
        key, _ = table.coordinate_to_cell_key((row, 0))
        self.open_session(int(key.value))

    def open_session(self, session_id: int) -> None:
        from .review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.store, session_id))

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus and search.value:
            search.value = ""
            return
        self.app.pop_screen()
