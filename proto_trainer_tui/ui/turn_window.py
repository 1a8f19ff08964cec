"""A bounded window over a long transcript: which turns are loaded, and what to page in next.

Pure bookkeeping (no Textual, no database): the widget asks for the next page
to fetch, hands back the rows, and learns how many turns fell out of the window
at the other end. Turns are identified by ``turn_order``; offsets count turns
from the start of the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class HasOrder(Protocol):
    turn_order: int


@dataclass
class TurnWindow:
    capacity: int = 150  # at most this many turns loaded
    page: int = 50  # turns fetched per step
    start: int = 0  # offset of the first loaded turn
    total: int = 0  # turns in the session as far as we know
    turns: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.page <= self.capacity:
            raise ValueError("need 0 < page <= capacity")

    @property
    def end(self) -> int:
        return self.start + len(self.turns)

    @property
    def at_start(self) -> bool:
        return self.start == 0

    @property
    def at_end(self) -> bool:
        return self.end >= self.total

    def reset(self, offset: int, turns: list, total: int) -> None:
        self.start, self.turns, self.total = offset, list(turns)[-self.capacity:], total

    def last_page_offset(self) -> int:
        return max(0, self.total - self.page)

    def older(self) -> tuple[int, int] | None:
        """(offset, limit) of the page before the window, or None at the start."""
        if self.at_start:
            return None
        limit = min(self.page, self.start)
        return self.start - limit, limit

    def newer(self) -> tuple[int, int] | None:
        """(offset, limit) of the page after the window, or None at the end."""
        return None if self.at_end else (self.end, self.page)

    def add_older(self, turns: list) -> int:
        """Prepend a fetched page; returns how many turns were dropped from the end."""
        self.turns[:0] = turns
        self.start -= len(turns)
        dropped = max(0, len(self.turns) - self.capacity)
        if dropped:
            del self.turns[-dropped:]
        return dropped

    def add_newer(self, turns: list) -> int:
        """Append a fetched page; returns how many turns were dropped from the start."""
        self.turns.extend(turns)
        self.total = max(self.total, self.end)
        return self._trim_start()

    def upsert(self, turn: HasOrder) -> tuple[str, int]:
        """A live turn (new or changed). Returns ("updated", index), ("appended", dropped
        from the start), or ("outside", 0) when the reader has scrolled away from the end."""
        for index, loaded in enumerate(self.turns):
            if loaded.turn_order == turn.turn_order:
                self.turns[index] = turn
                return "updated", index
        if self.turns and turn.turn_order < self.turns[0].turn_order:
            return "outside", 0
        if not self.at_end:
            self.total += 1
            return "outside", 0
        self.turns.append(turn)
        self.total = max(self.total + 1, self.end)
        return "appended", self._trim_start()

    def _trim_start(self) -> int:
        dropped = max(0, len(self.turns) - self.capacity)
        if dropped:
            del self.turns[:dropped]
            self.start += dropped
        return dropped
