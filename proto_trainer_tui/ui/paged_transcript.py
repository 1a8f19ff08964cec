"""PagedTranscript: a transcript widget that keeps a bounded window of turns.

Only ``capacity`` turns are ever mounted. Scrolling to the top pages older
turns in from the source (the database) and drops the newest from memory;
scrolling to the bottom does the reverse. Home and End jump to either end.
The review screen uses it over a saved session; a live screen can feed new and
changed turns with :meth:`PagedTranscript.show` (keyed by ``turn_order``).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..store.records import TurnRecord, utc_now
from .turn_window import TurnWindow
from .widgets import TurnView


class TurnSource(Protocol):
    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int) -> list[TurnRecord]: ...


class ConversationTurns:
    """A live call's turns from memory, when there is no store to page from."""

    def __init__(self, conversation=None) -> None:
        self.conversation = conversation

    def count(self) -> int:
        return 0 if self.conversation is None else len(self.conversation.turns)

    def fetch(self, offset: int, limit: int) -> list[TurnRecord]:
        turns = [] if self.conversation is None else self.conversation.turns[offset : offset + limit]
        return [live_record(turn, offset + index + 1) for index, turn in enumerate(turns)]


def live_record(turn, order: int) -> TurnRecord:
    """A live conversation turn as the transcript shows it (times are not shown)."""
    spoken = "typed" if turn.typed else "spoken"
    return TurnRecord(turn_order=order, role=turn.role, text=turn.text, status=turn.status,
                      input=spoken if turn.role == "counselor" else None, started_at=utc_now())


class StoreTurns:
    """A saved session's turns, read from the store a page at a time. For a live call, pass its
    conversation: while the store cannot be read (a shared database server is away) the turns come
    from memory instead, and the call goes on."""

    def __init__(self, store, session_id: int, conversation=None) -> None:
        self.store, self.session_id = store, session_id
        self._live = None if conversation is None else ConversationTurns(conversation)

    def count(self) -> int:
        return self._read(lambda: self.store.turn_count(self.session_id), lambda live: live.count())

    def fetch(self, offset: int, limit: int) -> list[TurnRecord]:
        return self._read(lambda: self.store.turns(self.session_id, offset=offset, limit=limit),
                          lambda live: live.fetch(offset, limit))

    def _read(self, stored, live):
        from ..store import StoreError

        try:
            return stored()
        except StoreError:
            if self._live is None:
                raise
            return live(self._live)


class PagedTranscript(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    PagedTranscript { height: 1fr; border: round $panel; padding: 0 1; }
    PagedTranscript:focus { border: round $accent; }
    """
    BINDINGS = [
        # Not in the footer (it must fit 80 columns); the command palette offers them.
        Binding("home", "first", "First turn", id="transcript-first", tooltip="Jump to the start of the call",
                show=False),
        Binding("end", "last", "Last turn", id="transcript-last", tooltip="Jump to the end of the call", show=False),
    ]

    def __init__(self, source: TurnSource, *, capacity: int = 150, page: int = 50, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.window = TurnWindow(capacity=capacity, page=page)
        self._busy = False  # one page load at a time
        # Live turns, page loads and reloads each await mounts: one at a time, or the
        # window's bookkeeping and the mounted views drift apart.
        self._lock = asyncio.Lock()

    async def on_mount(self) -> None:
        await self.action_last()

    @property
    def views(self) -> list[TurnView]:
        return list(self.query_children(TurnView))

    async def _replace_all(self, offset: int) -> None:
        async with self._lock:
            await self._replace_all_locked(offset)

    async def _replace_all_locked(self, offset: int) -> None:
        total = self.source.count()
        turns = self.source.fetch(offset, self.window.page) if total else []
        self.window.reset(offset, turns, total)
        await self.remove_children()
        await self.mount_all([TurnView(turn) for turn in turns])
        self._show_position()

    async def action_first(self) -> None:
        await self._replace_all(0)
        self.scroll_home(animate=False)

    async def action_last(self) -> None:
        self.window.total = self.source.count()
        await self._replace_all(self.window.last_page_offset())
        self.call_after_refresh(self.scroll_end, animate=False)

    async def follow(self, source: TurnSource) -> None:
        """Show another call (a new one starts on the practice screen)."""
        self.source = source
        await self.action_last()

    def show_marker(self, label: str) -> None:
        """A line between turns, such as "reconnected"; not part of the conversation."""
        self.mount(Static(Text(f"── {label} ──", style="dim italic"), classes="marker"))
        self.call_after_refresh(self.scroll_end, animate=False)

    async def jump_to(self, turn_order: int) -> None:
        """Show the turn with this order (1-based), loading its page, and highlight it."""
        self.window.total = self.source.count()
        index = min(max(turn_order - 1, 0), max(self.window.total - 1, 0))
        await self._replace_all(max(0, index - self.window.page // 2))
        for view in self.views:
            view.remove_class("-jumped")
            if getattr(view, "turn_order", None) == turn_order:
                view.add_class("-jumped")
                self.call_after_refresh(self.scroll_to_widget, view, animate=False, top=True)
        self.focus()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._busy or not self.is_mounted:
            return
        if new_value <= 0 and not self.window.at_start:
            self._busy = True
            self.call_later(self._page_older)
        elif new_value >= self.max_scroll_y and self.max_scroll_y > 0 and not self.window.at_end:
            self._busy = True
            self.call_later(self._page_newer)

    async def _page_older(self) -> None:
        async with self._lock:
            await self._page_older_locked()

    async def _page_older_locked(self) -> None:
        try:
            request = self.window.older()
            if request is None:
                return
            turns = self.source.fetch(*request)
            views = self.views
            anchor = views[0] if views else None
            dropped = self.window.add_older(turns)
            if dropped:
                await self.remove_children(views[-dropped:])
            await self.mount_all([TurnView(turn) for turn in turns], before=anchor)
            if anchor is not None:
                self.call_after_refresh(self.scroll_to_widget, anchor, animate=False, top=True)
        finally:
            self.call_after_refresh(self._done)

    async def _page_newer(self) -> None:
        async with self._lock:
            await self._page_newer_locked()

    async def _page_newer_locked(self) -> None:
        try:
            request = self.window.newer()
            if request is None:
                return
            turns = self.source.fetch(*request)
            views = self.views
            anchor = views[-1] if views else None
            dropped = self.window.add_newer(turns)
            await self.mount_all([TurnView(turn) for turn in turns])
            if dropped:
                await self.remove_children(views[:dropped])
            if anchor is not None:
                self.call_after_refresh(self.scroll_to_widget, anchor, animate=False)
        finally:
            self.call_after_refresh(self._done)

    def _done(self) -> None:
        self._busy = False
        self._show_position()

    def _show_position(self) -> None:
        window = self.window
        self.border_title = (f"turns {window.start + 1}–{window.end} of {window.total}" if window.turns
                             else "no turns")

    async def show(self, turn: TurnRecord) -> None:
        """A new or changed live turn; follows the end unless the reader scrolled back."""
        async with self._lock:
            await self._show_locked(turn)

    async def _show_locked(self, turn: TurnRecord) -> None:
        if not self.is_attached:
            return  # a last turn (cut off by quitting) arriving while the screen closes
        following = self.scroll_y >= self.max_scroll_y - 1
        outcome, detail = self.window.upsert(turn)
        views = self.views
        if outcome == "updated" and detail < len(views):
            views[detail].show(turn)
        elif outcome == "appended":
            if detail:
                await self.remove_children(self.views[:detail])
            await self.mount(TurnView(turn))
        self._show_position()
        if following and outcome != "outside":
            self.call_after_refresh(self.scroll_end, animate=False)
