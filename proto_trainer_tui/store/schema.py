"""Versioned schema: migration N takes a database from user_version N-1 to N.

Append new migrations; never edit a released one. Each runs in one
transaction together with its ``PRAGMA user_version`` bump, so a crash mid-
upgrade leaves the previous version intact.
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
    # 3: an imported scenario's optional CSV columns (caller_name, risk, skills, ...), as JSON.
    """
    ALTER TABLE scenarios ADD COLUMN columns TEXT NOT NULL DEFAULT '{}';
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
