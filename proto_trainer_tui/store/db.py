"""The store: every database row becomes a plain record here, and only here.

One store, two engines (SQLAlchemy Core over one schema, ``tables.py``): a SQLite file in
the data folder by default, or a shared PostgreSQL server (``--database-url``). Writes are
small (one turn row) and each is its own transaction, so callers may use the store from the
event loop or from a worker thread.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, StatementError

from . import engine as engines
from .engine import StoreError, StoreUnavailable, redact_url, store_error
from .grades import call_grade
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
from .programme import ProgrammeQueries
from .recordings import RecordingStorage
from .tables import evaluations, scenarios, sessions, turns

log = logging.getLogger(__name__)

DB_NAME = "proto-trainer.sqlite3"
CRITICAL = "critical"

__all__ = ["DB_NAME", "Store", "StoreError", "StoreUnavailable"]


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


class Store(ProgrammeQueries, RecordingStorage):
    def __init__(self, data_dir: Path, engine, *, user: str, shown: str) -> None:
        self.data_dir = data_dir
        self.recordings_dir = data_dir / "recordings"
        self._engine = engine
        self.dialect = engine.dialect.name  # "sqlite" or "postgresql"
        self.user = user  # who is practising: the database role on PostgreSQL, the login name on SQLite
        self.where = shown  # the database as shown to people (no password)
        self._host = socket.gethostname()
        self._started: set[int] = set()  # sessions this instance runs: never "recovered"

    # --- opening and migrations -------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, database_url: str | None = None) -> Store:
        """SQLite in ``data_dir``, or the PostgreSQL server at ``database_url`` (the data folder
        then keeps only what waits for the server and recordings being made)."""
        data_dir = Path(data_dir).expanduser()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            (data_dir / "recordings").mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot open the session store in {data_dir}: {exc}") from None
        if database_url:
            return cls._open_postgres(data_dir, database_url)
        path = data_dir / DB_NAME
        engine = engines.sqlite_engine(path)
        try:
            engines.prepare_sqlite(engine, path)
        except BaseException:
            engine.dispose()
            raise
        return cls(data_dir, engine, user=_login_name(), shown=str(path))

    @classmethod
    def _open_postgres(cls, data_dir: Path, url: str) -> Store:
        shown = redact_url(url)
        if not engines.is_postgres_url(url):
            raise StoreError(f"--database-url must be a postgresql:// URL, got {shown}")
        try:
            engine = engines.postgres_engine(url)
        except Exception as exc:  # a malformed URL: say what, never echo the password
            raise StoreError(f"cannot use the database URL {shown}: {type(exc).__name__}") from None
        try:
            engines.prepare_postgres(engine, shown)
            with engine.connect() as connection:
                user = connection.execute(text("SELECT current_user")).scalar()
        except DBAPIError as exc:
            engine.dispose()
            raise store_error(exc, f"cannot open the database {shown}") from None
        except BaseException:
            engine.dispose()
            raise
        return cls(data_dir, engine, user=user, shown=shown)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, *, single_statement: bool = False) -> Iterator[Connection]:
        """One transaction. A single statement on PostgreSQL runs in autocommit instead: it is atomic
        anyway, and one round trip instead of three (BEGIN, the statement, COMMIT) is what a turn
        write costs when 50 trainees write at once."""
        try:
            if single_statement and self.dialect == "postgresql":
                with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    yield connection
                return
            with self._engine.begin() as connection:
                yield connection
        except DBAPIError as exc:
            raise store_error(exc) from None
        except StatementError as exc:  # a value refused before it reached the database
            raise StoreError(f"session store error: {exc.orig}") from None

    def _rows(self, statement, params: dict | None = None) -> list:
        for attempt in (1, 2):
            try:
                with self._engine.connect().execution_options(read_only=True) as connection:
                    return list(connection.execute(statement, params or {}))
            except DBAPIError as exc:
                # A pooled connection the server dropped (it restarted): a read is safe to try again
                # on a new one. Writes are not retried here; the journal keeps them for later.
                if not (exc.connection_invalidated and attempt == 1):
                    raise store_error(exc) from None
        raise AssertionError("unreachable")

    def _sql(self, sql: str, **params) -> list:
        """Raw SQL in one transaction (tests and tools that reach past the records)."""
        with self._transaction() as db:
            result = db.execute(text(sql), params)
            return list(result) if result.returns_rows else []

    def _upsert(self, table):
        if self.dialect == "postgresql":  # imported here: it brings psycopg, which SQLite never needs
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

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
            session_id = db.execute(
                insert(sessions).values(
                    scenario_id=scenario_id, scenario_title=scenario_title, server=server, mode=mode,
                    started_at=started, status="active", owner_pid=os.getpid(), owner=self.user,
                    owner_host=self._host,
                ).returning(sessions.c.id)
            ).scalar_one()
            self._started.add(session_id)
            if record:
                db.execute(update(sessions).where(sessions.c.id == session_id).values(
                    recording_path=f"recordings/session-{session_id:06d}.wav"))
        return self.get_session(session_id)

    def set_mode(self, session_id: int, mode: str) -> None:
        """The mode as it turned out (a call meant for voice is typed when no microphone opens)."""
        if mode not in SESSION_MODES:
            raise StoreError(f"session mode must be one of {SESSION_MODES}, got {mode!r}")
        with self._transaction() as db:
            db.execute(update(sessions).where(sessions.c.id == session_id).values(mode=mode))

    def save_turn(self, session_id: int, turn: TurnRecord) -> None:
        """Insert or update the turn at ``turn.turn_order``; call it on every change."""
        _check_turn(turn)
        values = {"role": turn.role, "text": turn.text, "status": turn.status, "input": turn.input,
                  "started_at": turn.started_at, "ended_at": turn.ended_at}
        statement = self._upsert(turns).values(session_id=session_id, turn_order=turn.turn_order, **values)
        with self._transaction(single_statement=True) as db:
            db.execute(statement.on_conflict_do_update(index_elements=["session_id", "turn_order"], set_=values))

    def delete_turn(self, session_id: int, turn_order: int) -> None:
        """Remove a turn that turned out to be nothing (noise, no words); later turns move up one."""
        c = turns.c
        mine = c.session_id == session_id
        with self._transaction() as db:
            db.execute(delete(turns).where(mine, c.turn_order == turn_order))
            # Two steps, so no row ever takes an order another row still has (the pair is unique).
            db.execute(update(turns).where(mine, c.turn_order > turn_order).values(turn_order=-c.turn_order))
            db.execute(update(turns).where(mine, c.turn_order < 0).values(turn_order=-c.turn_order - 1))

    def end_session(self, session_id: int, status: str = "complete", *, ended_at: datetime | None = None) -> None:
        if status not in SESSION_STATUSES or status == "active":
            raise StoreError(f"a session ends as 'complete' or 'incomplete', not {status!r}")
        self.get_session(session_id)
        now = ended_at or utc_now()
        with self._transaction() as db:
            db.execute(update(turns).where(turns.c.session_id == session_id, turns.c.status == "partial")
                       .values(status="interrupted", ended_at=func.coalesce(turns.c.ended_at, now)))
            db.execute(update(sessions).where(sessions.c.id == session_id).values(
                status=status, ended_at=func.coalesce(sessions.c.ended_at, now), owner_pid=None))
        self._forget_missing_recording(session_id)

    def recover(self) -> list[int]:
        """Close sessions left active by a crashed app on this computer: they become incomplete,
        their unfinished turns interrupted, their recordings get a valid WAV header. Sessions of
        another running process, of another computer or person, or started by this Store, are left alone."""
        from .recorder import repair_wav

        self._replay_waiting()
        mine = (sessions.c.owner_host == self._host) | sessions.c.owner_host.is_(None)
        rows = self._rows(select(sessions.c.id, sessions.c.owner_pid)
                          .where(sessions.c.status == "active", mine,
                                 (sessions.c.owner == self.user) | sessions.c.owner.is_(None))
                          .order_by(sessions.c.id))
        stale = [row[0] for row in rows if row[0] not in self._started and not _process_alive(row[1])]
        for session_id in stale:
            last = self._rows(select(func.max(func.coalesce(turns.c.ended_at, turns.c.started_at)))
                              .where(turns.c.session_id == session_id))[0][0]
            with self._transaction() as db:
                db.execute(update(turns).where(turns.c.session_id == session_id, turns.c.status == "partial")
                           .values(status="interrupted", ended_at=func.coalesce(turns.c.ended_at, turns.c.started_at)))
                db.execute(update(sessions).where(sessions.c.id == session_id).values(
                    status="incomplete", ended_at=sessions.c.started_at if last is None else last, owner_pid=None))
            recording = self.get_session(session_id).recording_path
            if recording is not None and recording.exists():
                try:
                    repair_wav(recording)
                    self.keep_recording(session_id)
                except (OSError, ValueError, StoreError) as exc:
                    log.warning("could not repair recording %s: %s", recording, exc)
            self._forget_missing_recording(session_id)
        return stale

    def _replay_waiting(self) -> None:
        """Write the changes an earlier run kept locally while the server was away (not those of
        a session another running app still writes). Stops quietly while the server is still away."""
        from .outbox import Outbox, waiting_sessions

        for session_id in waiting_sessions(self.data_dir):
            if session_id in self._started:
                continue
            try:
                owner = self._rows(select(sessions.c.owner_pid).where(sessions.c.id == session_id))
                if owner and _process_alive(owner[0][0]):
                    continue
                Outbox(self.data_dir, session_id).flush(self)
                self.keep_recording(session_id)  # its WAV was left uncompressed while the server was away
            except StoreUnavailable:
                return
            except StoreError as exc:
                log.warning("session %d: %s", session_id, exc)
            log.info("wrote the changes to session %d kept while the server was away", session_id)

    def _forget_missing_recording(self, session_id: int) -> None:
        session = self.get_session(session_id)
        if session.recording_path is not None and not session.recording_path.exists():
            with self._transaction() as db:
                db.execute(update(sessions).where(sessions.c.id == session_id).values(recording_path=None))

    def get_session(self, session_id: int) -> SessionRecord:
        c = sessions.c
        rows = self._rows(select(c.id, c.scenario_id, c.scenario_title, c.server, c.mode, c.started_at,
                                 c.ended_at, c.status, c.recording_path).where(c.id == session_id))
        if not rows:
            raise StoreError(f"no session {session_id}")
        (sid, scenario_id, title, server, mode, started, ended, status, recording) = rows[0]
        return SessionRecord(
            id=sid, scenario_id=scenario_id, scenario_title=title, server=server, mode=mode,
            started_at=started, ended_at=ended, status=status,
            recording_path=None if recording is None else self.data_dir / recording,
        )

    def list_sessions(self, search: str | None = None) -> list[SessionSummary]:
        """Newest first; ``search`` matches scenario title or id, case-insensitively."""
        s = sessions.c
        turn_count = select(func.count()).where(turns.c.session_id == s.id).scalar_subquery()
        query = select(s.id, s.started_at, s.ended_at, s.scenario_id, s.scenario_title, s.status,
                       turn_count, call_grade(s.id))
        if search and search.strip():
            pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(s.scenario_title.ilike(pattern, escape="\\") | s.scenario_id.ilike(pattern, escape="\\"))
        rows = self._rows(query.order_by(s.started_at.desc(), s.id.desc()))
        return [
            SessionSummary(id=r[0], started_at=r[1], ended_at=r[2], scenario_id=r[3], scenario_title=r[4],
                           status=r[5], turn_count=r[6], grade=r[7])
            for r in rows
        ]

    def turns(self, session_id: int, *, offset: int = 0, limit: int | None = None) -> list[TurnRecord]:
        t = turns.c
        query = (select(t.turn_order, t.role, t.text, t.status, t.input, t.started_at, t.ended_at)
                 .where(t.session_id == session_id).order_by(t.turn_order).offset(max(0, offset)))
        if limit is not None:
            query = query.limit(limit)
        return [TurnRecord(turn_order=r[0], role=r[1], text=r[2], status=r[3], input=r[4], started_at=r[5],
                           ended_at=r[6])
                for r in self._rows(query)]

    def turn_count(self, session_id: int) -> int:
        return self._rows(select(func.count()).where(turns.c.session_id == session_id))[0][0]

    def delete_session(self, session_id: int) -> None:
        """Remove the session, its turns and evaluations, and its recording file."""
        recording = self.get_session(session_id).recording_path
        with self._transaction() as db:
            db.execute(delete(sessions).where(sessions.c.id == session_id))
        if recording is not None:
            recording.unlink(missing_ok=True)

    # --- evaluations --------------------------------------------------------------------

    def save_evaluation(self, session_id: int, report: dict, *, grade: str, evaluator: str) -> None:
        self.get_session(session_id)
        try:
            text_report = json.dumps(report, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"the evaluation report cannot be saved as JSON: {exc}") from None
        with self._transaction() as db:
            db.execute(insert(evaluations).values(session_id=session_id, created_at=utc_now(), grade=grade,
                                                  evaluator=evaluator, report=text_report,
                                                  critical_flags=critical_flags(report)))

    def evaluation(self, session_id: int) -> dict | None:
        """The latest saved report for the session, or None."""
        rows = self._rows(select(evaluations.c.report).where(evaluations.c.session_id == session_id)
                          .order_by(evaluations.c.id.desc()).limit(1))
        return json.loads(rows[0][0]) if rows else None

    def grade(self, session_id: int) -> str | None:
        """The supervisor's grade when a review overrides it, else the latest evaluation's, or None."""
        return self._rows(select(call_grade(session_id)))[0][0]

    # --- imported scenarios ------------------------------------------------------------

    def save_scenario(self, scenario) -> str:
        """Insert or update an imported scenario by id; returns 'added', 'updated' or 'unchanged'."""
        values = {"title": scenario.title, "prompt": scenario.prompt, "description": scenario.description,
                  "evaluator_context": scenario.evaluator_context, "mode": scenario.mode,
                  "category": scenario.category, "columns": json.dumps(dict(scenario.columns), sort_keys=True)}
        c = scenarios.c
        with self._transaction() as db:
            row = db.execute(select(c.title, c.prompt, c.description, c.evaluator_context, c.mode, c.category,
                                    c.columns).where(c.id == scenario.id)).first()
            if row is not None and tuple(row) == tuple(values.values()):
                return "unchanged"
            changed = {**values, "imported_at": utc_now()}
            db.execute(self._upsert(scenarios).values(id=scenario.id, **changed)
                       .on_conflict_do_update(index_elements=["id"], set_=changed))
        return "added" if row is None else "updated"

    def imported_scenarios(self) -> list:
        from ..scenarios.csv_io import build_scenario

        c = scenarios.c
        rows = self._rows(select(c.id, c.title, c.prompt, c.description, c.evaluator_context, c.mode, c.category,
                                 c.columns).order_by(func.lower(c.title), c.id))
        return [
            build_scenario(id=r[0], title=r[1], prompt=r[2], description=r[3], evaluator_context=r[4],
                           mode=r[5], category=r[6], columns=json.loads(r[7] or "{}"))
            for r in rows
        ]


def critical_flags(report: dict) -> str | None:
    """The kinds of the report's critical flags, comma-separated (None when there are none)."""
    flags = report.get("flags") if isinstance(report, dict) else None
    kinds = [str(f.get("kind")) for f in flags or () if isinstance(f, dict) and f.get("severity") == CRITICAL]
    return ",".join(dict.fromkeys(kinds)) or None


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def _check_turn(turn: TurnRecord) -> None:
    if turn.role not in ROLES:
        raise StoreError(f"turn role must be one of {ROLES}, got {turn.role!r}")
    if turn.status not in TURN_STATUSES:
        raise StoreError(f"turn status must be one of {TURN_STATUSES}, got {turn.status!r}")
    if turn.input is not None and turn.input not in TURN_INPUTS:
        raise StoreError(f"turn input must be one of {TURN_INPUTS} or None, got {turn.input!r}")
