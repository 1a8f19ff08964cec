"""The schema as it is now, for queries: SQLAlchemy Core tables, the same on SQLite and PostgreSQL.

How a database gets here is the migrations' job (``store/migrations``); a test
checks that a migrated database has exactly these tables and columns.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    TIMESTAMP,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class Moment(TypeDecorator):
    """A timezone-aware instant: ISO 8601 text on SQLite (as the store always kept it, so
    text order is time order), ``timestamptz`` on PostgreSQL. Read back in UTC."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # already ISO text (e.g. a MAX() carried from one query to the next)
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware, got {value!r}")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.isoformat()

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.astimezone(UTC)


metadata = MetaData()

sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("scenario_id", Text, nullable=False),
    Column("scenario_title", Text, nullable=False),
    Column("server", Text, nullable=False),
    Column("mode", Text, nullable=False),
    Column("started_at", Moment, nullable=False),
    Column("ended_at", Moment),
    Column("status", Text, nullable=False),
    Column("recording_path", Text),
    Column("owner_pid", Integer),
    # Who practised (their database role on PostgreSQL, the login name on SQLite) and on which
    # computer the app that writes it runs: recovery only touches its own computer's sessions.
    Column("owner", Text),
    Column("owner_host", Text),
    sqlite_autoincrement=True,
)

turns = Table(
    "turns", metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("turn_order", Integer, nullable=False),
    Column("role", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("input", Text),
    Column("started_at", Moment, nullable=False),
    Column("ended_at", Moment),
    UniqueConstraint("session_id", "turn_order"),
)

evaluations = Table(
    "evaluations", metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Moment, nullable=False),
    Column("grade", Text, nullable=False),
    Column("evaluator", Text, nullable=False),
    Column("report", Text, nullable=False),
    Column("critical_flags", Text),  # comma-separated kinds of the report's critical flags, for the review queue
)

scenarios = Table(
    "scenarios", metadata,
    Column("id", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("evaluator_context", Text, nullable=False),
    Column("mode", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("imported_at", Moment, nullable=False),
    Column("columns", Text, nullable=False, server_default="{}"),  # the optional CSV columns, as JSON
)

cohort_members = Table(
    "cohort_members", metadata,
    Column("cohort", Text, primary_key=True),
    Column("person", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # 'trainee' or 'supervisor'
)

assignments = Table(
    "assignments", metadata,
    Column("id", Integer, primary_key=True),
    Column("scenario_id", Text, nullable=False),
    Column("trainee", Text, nullable=False),
    Column("cohort", Text),  # set when it was assigned to the whole cohort
    Column("due_at", Moment),
    Column("notes", Text, nullable=False),
    Column("assigned_by", Text),
    Column("created_at", Moment, nullable=False),
)

reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("reviewer", Text),
    Column("created_at", Moment, nullable=False),
    Column("note", Text, nullable=False),
    Column("grade", Text),  # the supervisor's grade when it overrides the evaluation's
    Column("reason", Text),  # why; required with a grade
)

recording_chunks = Table(
    "recording_chunks", metadata,
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("chunk", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
