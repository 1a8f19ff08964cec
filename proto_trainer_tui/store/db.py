"""The SQLite adapter: every database row becomes a plain record here, and only here.

Synchronous sqlite3 in WAL mode: writes are small (one turn row), so callers may
use it from the event loop or from a worker thread (a lock serialises use).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .records import (
    ROLES,
    SESSION_MODES,
    SESSION_STATUSES,
    TURN_INPUTS,
    TURN_STATUSES,
    SessionRecord,
    SessionSummary,
    TurnRecord,
    utc_now,
)
from .schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

DB_NAME = "proto-trainer.sqlite3"


class StoreError(Exception):
    """A problem with the session store, worded for the person using the app."""


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise StoreError(f"timestamps must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).isoformat()


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _process_alive(pid: int | None) -> bool:
    if pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: dead to us
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class Store:
    def __init__(self, data_dir: Path, connection: sqlite3.Connection) -> None:
        self.data_dir = data_dir
        self.recordings_dir = data_dir / "recordings"
        self._db = connection
        self._lock = threading.RLock()
        self._started: set[int] = set()  # sessions this instance runs: never "recovered"

    # --- opening and migrations -------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        data_dir = Path(data_dir).expanduser()
        path = data_dir / DB_NAME
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            (data_dir / "recordings").mkdir(exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the session store in {data_dir}: {exc}") from None
        try:
            cls._migrate(connection, path)
        except BaseException:
            connection.close()
            raise
        return cls(data_dir, connection)

    @staticmethod
    def _migrate(connection: sqlite3.Connection, path: Path, target: int = SCHEMA_VERSION) -> None:
        try:
            # Read the version before any write: a newer schema must stay untouched.
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a proto-trainer database ({exc})") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema version {version}, but this version of proto-trainer knows only "
                f"versions up to {SCHEMA_VERSION}. Upgrade proto-trainer, or use another --data-dir. "
                "The database was not changed."
            )
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives an app crash
            connection.execute("PRAGMA foreign_keys=ON")
            for number in range(version + 1, target + 1):
                log.info("upgrading %s to schema version %d", path, number)
                connection.executescript(
                    f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
        except sqlite3.Error as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise StoreError(f"cannot prepare the session store {path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"session store error: {exc}") from None
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"session store error: {exc}") from None

    # --- sessions -------------------------------------------------------------------

    def start_session(
        self, *, scenario_id: str, scenario_title: str, server: str, mode: str, record: bool = True,
        started_at: datetime | None = None,
    ) -> SessionRecord:
        """Create the session row now (a crash later still leaves it). ``server`` is
        shown to people: pass a display string without tokens or keys."""
        if mode not in SESSION_MODES:
            raise StoreError(f"session mode must be one of {SESSION_MODES}, got {mode!r}")
        started = started_at or utc_now()
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO sessions (scenario_id, scenario_title, server, mode, started_at, status, owner_pid)"
                " VALUES (?, ?, ?, ?, ?, 'active', ?)",
                (scenario_id, scenario_title, server, mode, _iso(started), os.getpid()),
            )
            session_id = cursor.lastrowid
            self._started.add(session_id)
            if record:
                db.execute(
                    "UPDATE sessions SET recording_path = ? WHERE id = ?",
                    (f"recordings/session-{session_id:06d}.wav", session_id),
                )
        return self.get_session(session_id)

    def set_mode(self, session_id: int, mode: str) -> None:
        """The mode as it turned out (a call meant for voice is typed when no microphone opens)."""
        if mode not in SESSION_MODES:
            raise StoreError(f"session mode must be one of {SESSION_MODES}, got {mode!r}")
        with self._transaction() as db:
            db.execute("UPDATE sessions SET mode = ? WHERE id = ?", (mode, session_id))

    def save_turn(self, session_id: int, turn: TurnRecord) -> None:
        """Insert or update the turn at ``turn.turn_order``; call it on every change."""
        _check_turn(turn)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO turns (session_id, turn_order, role, text, status, input, started_at, ended_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (session_id, turn_order) DO UPDATE SET role = excluded.role,"
                " text = excluded.text, status = excluded.status, input = excluded.input,"
                " started_at = excluded.started_at, ended_at = excluded.ended_at",
                (session_id, turn.turn_order, turn.role, turn.text, turn.status, turn.input,
                 _iso(turn.started_at), _iso(turn.ended_at)),
            )

    def delete_turn(self, session_id: int, turn_order: int) -> None:
        """Remove a turn that turned out to be nothing (noise, no words); later turns move up one."""
        with self._transaction() as db:
            db.execute("DELETE FROM turns WHERE session_id = ? AND turn_order = ?", (session_id, turn_order))
            # Two steps, so no row ever takes an order another row still has (the pair is unique).
            db.execute("UPDATE turns SET turn_order = -turn_order WHERE session_id = ? AND turn_order > ?",
                       (session_id, turn_order))
            db.execute("UPDATE turns SET turn_order = -turn_order - 1 WHERE session_id = ? AND turn_order < 0",
                       (session_id,))

    def end_session(self, session_id: int, status: str = "complete", *, ended_at: datetime | None = None) -> None:
        if status not in SESSION_STATUSES or status == "active":
            raise StoreError(f"a session ends as 'complete' or 'incomplete', not {status!r}")
        self.get_session(session_id)
        now = _iso(ended_at or utc_now())
        with self._transaction() as db:
            db.execute(
                "UPDATE turns SET status = 'interrupted', ended_at = COALESCE(ended_at, ?)"
                " WHERE session_id = ? AND status = 'partial'",
                (now, session_id),
            )
            db.execute(
                "UPDATE sessions SET status = ?, ended_at = COALESCE(ended_at, ?), owner_pid = NULL WHERE id = ?",
                (status, now, session_id),
            )
        self._forget_missing_recording(session_id)

    def recover(self) -> list[int]:
        """Close sessions left active by a crashed app: they become incomplete, their
        unfinished turns interrupted, their recordings get a valid WAV header.
        Sessions of another running process, or started by this Store, are left alone."""
        from .recorder import repair_wav

        rows = self._query("SELECT id, owner_pid FROM sessions WHERE status = 'active' ORDER BY id")
        stale = [row[0] for row in rows if row[0] not in self._started and not _process_alive(row[1])]
        for session_id in stale:
            last = self._query(
                "SELECT MAX(COALESCE(ended_at, started_at)) FROM turns WHERE session_id = ?", (session_id,)
            )[0][0]
            with self._transaction() as db:
                db.execute(
                    "UPDATE turns SET status = 'interrupted', ended_at = COALESCE(ended_at, started_at)"
                    " WHERE session_id = ? AND status = 'partial'",
                    (session_id,),
                )
                db.execute(
                    "UPDATE sessions SET status = 'incomplete', ended_at = COALESCE(?, started_at),"
                    " owner_pid = NULL WHERE id = ?",
                    (last, session_id),
                )
            recording = self.get_session(session_id).recording_path
            if recording is not None and recording.exists():
                try:
                    repair_wav(recording)
                except (OSError, ValueError) as exc:
                    log.warning("could not repair recording %s: %s", recording, exc)
            self._forget_missing_recording(session_id)
        return stale

    def _forget_missing_recording(self, session_id: int) -> None:
        session = self.get_session(session_id)
        if session.recording_path is not None and not session.recording_path.exists():
            with self._transaction() as db:
                db.execute("UPDATE sessions SET recording_path = NULL WHERE id = ?", (session_id,))

    def get_session(self, session_id: int) -> SessionRecord:
        rows = self._query(
            "SELECT id, scenario_id, scenario_title, server, mode, started_at, ended_at, status, recording_path"
            " FROM sessions WHERE id = ?",
            (session_id,),
        )
        if not rows:
            raise StoreError(f"no session {session_id}")
        (sid, scenario_id, title, server, mode, started, ended, status, recording) = rows[0]
        return SessionRecord(
            id=sid, scenario_id=scenario_id, scenario_title=title, server=server, mode=mode,
            started_at=_parse(started), ended_at=_parse(ended), status=status,
            recording_path=None if recording is None else self.data_dir / recording,
        )

    def list_sessions(self, search: str | None = None) -> list[SessionSummary]:
        """Newest first; ``search`` matches scenario title or id, case-insensitively."""
        where, params = "", ()
        if search and search.strip():
            pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where, params = "WHERE s.scenario_title LIKE ? ESCAPE '\\' OR s.scenario_id LIKE ? ESCAPE '\\'", (
                pattern, pattern)
        rows = self._query(
            "SELECT s.id, s.started_at, s.ended_at, s.scenario_id, s.scenario_title, s.status,"
            " (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id),"
            " (SELECT e.grade FROM evaluations e WHERE e.session_id = s.id ORDER BY e.id DESC LIMIT 1)"
            f" FROM sessions s {where} ORDER BY s.started_at DESC, s.id DESC",
            params,
        )
        return [
            SessionSummary(id=r[0], started_at=_parse(r[1]), ended_at=_parse(r[2]), scenario_id=r[3],
                           scenario_title=r[4], status=r[5], turn_count=r[6], grade=r[7])
            for r in rows
        ]

    def turns(self, session_id: int, *, offset: int = 0, limit: int | None = None) -> list[TurnRecord]:
        rows = self._query(
            "SELECT turn_order, role, text, status, input, started_at, ended_at FROM turns"
            " WHERE session_id = ? ORDER BY turn_order LIMIT ? OFFSET ?",
            (session_id, -1 if limit is None else limit, max(0, offset)),
        )
        return [
            TurnRecord(turn_order=r[0], role=r[1], text=r[2], status=r[3], input=r[4],
                       started_at=_parse(r[5]), ended_at=_parse(r[6]))
            for r in rows
        ]

    def turn_count(self, session_id: int) -> int:
        return self._query("SELECT COUNT(*) FROM turns WHERE session_id = ?", (session_id,))[0][0]

    def delete_session(self, session_id: int) -> None:
        """Remove the session, its turns and evaluations, and its recording file."""
        recording = self.get_session(session_id).recording_path
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        if recording is not None:
            recording.unlink(missing_ok=True)

    # --- evaluations --------------------------------------------------------------------

    def save_evaluation(self, session_id: int, report: dict, *, grade: str, evaluator: str) -> None:
        self.get_session(session_id)
        try:
            text = json.dumps(report, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"the evaluation report cannot be saved as JSON: {exc}") from None
        with self._transaction() as db:
            db.execute(
                "INSERT INTO evaluations (session_id, created_at, grade, evaluator, report) VALUES (?, ?, ?, ?, ?)",
                (session_id, _iso(utc_now()), grade, evaluator, text),
            )

    def evaluation(self, session_id: int) -> dict | None:
        """The latest saved report for the session, or None."""
        rows = self._query(
            "SELECT report FROM evaluations WHERE session_id = ? ORDER BY id DESC LIMIT 1", (session_id,)
        )
        return json.loads(rows[0][0]) if rows else None

    def grade(self, session_id: int) -> str | None:
        """The grade of the latest evaluation, or None."""
        rows = self._query("SELECT grade FROM evaluations WHERE session_id = ? ORDER BY id DESC LIMIT 1",
                           (session_id,))
        return rows[0][0] if rows else None

    # --- imported scenarios ------------------------------------------------------------

    def save_scenario(self, scenario) -> str:
        """Insert or update an imported scenario by id; returns 'added', 'updated' or 'unchanged'."""
        values = (scenario.title, scenario.prompt, scenario.description, scenario.evaluator_context,
                  scenario.mode, scenario.category, json.dumps(dict(scenario.columns), sort_keys=True))
        with self._transaction() as db:
            row = db.execute(
                "SELECT title, prompt, description, evaluator_context, mode, category, columns FROM scenarios"
                " WHERE id = ?",
                (scenario.id,),
            ).fetchone()
            if row is not None and tuple(row) == values:
                return "unchanged"
            db.execute(
                "INSERT INTO scenarios (id, title, prompt, description, evaluator_context, mode, category,"
                " columns, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " title = excluded.title, prompt = excluded.prompt, description = excluded.description,"
                " evaluator_context = excluded.evaluator_context, mode = excluded.mode,"
                " category = excluded.category, columns = excluded.columns, imported_at = excluded.imported_at",
                (scenario.id, *values, _iso(utc_now())),
            )
        return "added" if row is None else "updated"

    def imported_scenarios(self) -> list:
        from ..scenarios.csv_io import build_scenario

        rows = self._query(
            "SELECT id, title, prompt, description, evaluator_context, mode, category, columns FROM scenarios"
            " ORDER BY title COLLATE NOCASE, id"
        )
        return [
            build_scenario(id=r[0], title=r[1], prompt=r[2], description=r[3], evaluator_context=r[4],
                           mode=r[5], category=r[6], columns=json.loads(r[7] or "{}"))
            for r in rows
        ]


def _check_turn(turn: TurnRecord) -> None:
    if turn.role not in ROLES:
        raise StoreError(f"turn role must be one of {ROLES}, got {turn.role!r}")
    if turn.status not in TURN_STATUSES:
        raise StoreError(f"turn status must be one of {TURN_STATUSES}, got {turn.status!r}")
    if turn.input is not None and turn.input not in TURN_INPUTS:
        raise StoreError(f"turn input must be one of {TURN_INPUTS} or None, got {turn.input!r}")
