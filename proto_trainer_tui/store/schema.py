"""Schema versions. Versions 1 and 2 were hand-written SQLite migrations (kept, frozen, to
bring an old SQLite file up to 2); from 2 on, Alembic migrations in ``migrations/versions``
run on SQLite and PostgreSQL alike, their revision ids being the version numbers.
On SQLite ``PRAGMA user_version`` mirrors the version, so an older app refuses a newer file
before touching it.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: sessions and their turns.
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scenario_id TEXT NOT NULL,
        scenario_title TEXT NOT NULL,
        server TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('voice', 'typed')),
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('active', 'complete', 'incomplete')),
        recording_path TEXT
    );
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        turn_order INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('counselor', 'caller')),
        text TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('partial', 'done', 'interrupted')),
        input TEXT CHECK (input IS NULL OR input IN ('typed', 'spoken')),
        started_at TEXT NOT NULL,
        ended_at TEXT,
        UNIQUE (session_id, turn_order)
    );
    """,
    # 2: evaluations, imported scenarios, and which process owns an active session
    # (so recovery never touches a session another running app is still writing).
    """
    CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        grade TEXT NOT NULL,
        evaluator TEXT NOT NULL,
        report TEXT NOT NULL
    );
    CREATE INDEX evaluations_by_session ON evaluations(session_id, id);
    CREATE TABLE scenarios (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        prompt TEXT NOT NULL,
        description TEXT NOT NULL,
        evaluator_context TEXT NOT NULL,
        mode TEXT NOT NULL,
        category TEXT NOT NULL,
        imported_at TEXT NOT NULL
    );
    ALTER TABLE sessions ADD COLUMN owner_pid INTEGER;
    CREATE INDEX sessions_by_start ON sessions(started_at);
    """,
)

LEGACY_VERSION = len(MIGRATIONS)  # where the Alembic baseline starts
SCHEMA_VERSION = 4  # the head Alembic revision
