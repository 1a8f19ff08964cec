"""Writes that wait for the database server: while it cannot be reached, a call's turns (and
its mode and end) are kept in order in a local file and written when the server is back.

Every write is idempotent (a turn is an upsert on ``(session_id, turn_order)``), so a write
replayed after it already reached the server changes nothing: nothing is lost, nothing doubled.
The file (JSON lines, one per change, in the data folder's ``pending/``) survives an app crash;
the next start replays it (``Store.recover``).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path

from .engine import StoreError, StoreUnavailable
from .records import TurnRecord, iso as _iso

log = logging.getLogger(__name__)

PENDING_DIR = "pending"


class Outbox:
    def __init__(self, data_dir: Path, session_id: int) -> None:
        self.path = Path(data_dir) / PENDING_DIR / f"session-{session_id:06d}.jsonl"
        self.session_id = session_id
        # One entry per thing written, latest value only: a turn updated 40 times while the
        # server is away is written once. Insertion order is the order of first change.
        self._waiting: dict[str, dict] = {}
        if self.path.exists():
            self._load()

    def __len__(self) -> int:
        return len(self._waiting)

    def _load(self) -> None:
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                change = json.loads(line)
            except json.JSONDecodeError:  # a line cut off by a crash: the change before it stands
                continue
            self._waiting[_key(change)] = change

    def add_turn(self, turn: TurnRecord) -> None:
        self._add({"kind": "turn", "turn_order": turn.turn_order, "role": turn.role, "text": turn.text,
                   "status": turn.status, "input": turn.input, "started_at": _iso(turn.started_at),
                   "ended_at": _iso(turn.ended_at)})

    def add_mode(self, mode: str) -> None:
        self._add({"kind": "mode", "mode": mode})

    def add_end(self, status: str, ended_at: datetime) -> None:
        self._add({"kind": "end", "status": status, "ended_at": _iso(ended_at)})

    def add_delete(self, turn_order: int) -> None:
        """A turn removed (later turns move up one) while the server is away.

        The deletes go first, in the order they happened: they apply to the rows the server
        already has. What waits is renumbered to the same effect, so each write lands where
        the turn is after every delete (and a waiting write of the removed turn is dropped)."""
        deletes = [c for c in self._waiting.values() if c["kind"] == "delete"]
        deletes.append({"kind": "delete", "turn_order": turn_order, "seq": max((d["seq"] for d in deletes), default=-1) + 1})
        rest = []
        for change in self._waiting.values():
            if change["kind"] == "turn" and change["turn_order"] == turn_order:
                continue
            if change["kind"] == "turn" and change["turn_order"] > turn_order:
                change = {**change, "turn_order": change["turn_order"] - 1}
            if change["kind"] != "delete":
                rest.append(change)
        self._waiting = {_key(change): change for change in [*deletes, *rest]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rewrite()

    def _add(self, change: dict) -> None:
        key = _key(change)
        self._waiting.pop(key, None)  # a newer value of the same thing goes after what changed since
        self._waiting[key] = change
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A crash may have cut the last line short: start on a line of its own, or this change
        # would be glued to the torn one and never read back.
        torn = _ends_torn(self.path)
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(("\n" if torn else "") + json.dumps(change, ensure_ascii=False) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def flush(self, store) -> bool:
        """Write what waits, in order; True when nothing waits any more. Raises StoreUnavailable
        while the server is away; a write the database refuses is logged and dropped."""
        while self._waiting:
            key, change = next(iter(self._waiting.items()))
            try:
                _apply(store, self.session_id, change)
            except StoreUnavailable:
                self._rewrite()
                raise
            except StoreError as exc:
                log.warning("dropped a change to session %d the database refused: %s", self.session_id, exc)
            del self._waiting[key]
        self.path.unlink(missing_ok=True)
        return True

    def _rewrite(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in self._waiting.values()),
                             encoding="utf-8")
        os.replace(temporary, self.path)


def waiting_sessions(data_dir: Path) -> list[int]:
    """Sessions with changes still waiting in this data folder (left by an app that closed or
    crashed while the server was away)."""
    return sorted(int(path.stem.removeprefix("session-"))
                  for path in (Path(data_dir) / PENDING_DIR).glob("session-*.jsonl"))


def _apply(store, session_id: int, change: dict) -> None:
    kind = change["kind"]
    if kind == "turn":
        store.save_turn(session_id, TurnRecord(
            turn_order=change["turn_order"], role=change["role"], text=change["text"], status=change["status"],
            input=change["input"], started_at=_when(change["started_at"]), ended_at=_when(change["ended_at"])))
    elif kind == "mode":
        store.set_mode(session_id, change["mode"])
    elif kind == "end":
        store.end_session(session_id, change["status"], ended_at=_when(change["ended_at"]))
    elif kind == "delete":
        store.delete_turn(session_id, change["turn_order"])


def _key(change: dict) -> str:
    if change["kind"] == "turn":
        return f"turn {change['turn_order']}"
    return f"delete {change['seq']}" if change["kind"] == "delete" else change["kind"]


def _ends_torn(path: Path) -> bool:
    """Whether the file's last line lacks its newline (a write cut off by a crash)."""
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            if file.tell() == 0:
                return False
            file.seek(-1, os.SEEK_END)
            return file.read(1) != b"\n"
    except FileNotFoundError:
        return False


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
