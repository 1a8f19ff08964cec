"""TurnLog: live conversation turns -> TurnRecords for the store. Pure, no I/O.

Each conversation item gets a stable ``turn_order`` (1, 2, ...) the first time
it is seen, a start time then, and an end time when it finishes, so the session
can call ``store.save_turn(session_id, log.record(turn))`` on every change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from .records import TurnRecord, utc_now


class LiveTurn(Protocol):  # realtime.conversation.Turn has this shape
    role: str
    text: str
    item_id: str
    status: str
    typed: bool


class TurnLog:
    def __init__(self, clock: Callable[[], datetime] = utc_now, first_order: int = 1) -> None:
        self._clock = clock
        self._next = first_order
        self._known: dict[str, tuple[int, datetime, datetime | None]] = {}

    def record(self, turn: LiveTurn) -> TurnRecord:
        now = self._clock()
        order, started, ended = self._known.get(turn.item_id, (self._next, now, None))
        if turn.item_id not in self._known:
            self._next += 1
        if turn.status != "partial" and ended is None:
            ended = now
        self._known[turn.item_id] = (order, started, ended)
        spoken = "typed" if turn.typed else "spoken"
        return TurnRecord(turn_order=order, role=turn.role, text=turn.text, status=turn.status,
                          input=spoken if turn.role == "counselor" else None, started_at=started, ended_at=ended)

    def forget(self, item_id: str) -> int | None:
        """A turn removed from the call: its order, and every later turn's order one lower."""
        known = self._known.pop(item_id, None)
        if known is None:
            return None
        order = known[0]
        for other, (later, started, ended) in list(self._known.items()):
            if later > order:
                self._known[other] = (later - 1, started, ended)
        self._next -= 1
        return order
