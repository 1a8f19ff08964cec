"""Schema version 2, the last one the hand-written SQLite migrations made: sessions, turns,
evaluations, imported scenarios. A SQLite file already at version 2 is stamped here, not rebuilt.

Revision ids are the schema version numbers (``PRAGMA user_version`` mirrors them on SQLite).
"""

import sqlalchemy as sa
from alembic import op

from proto_trainer_tui.store.tables import Moment

revision = "2"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scenario_id", sa.Text, nullable=False),
        sa.Column("scenario_title", sa.Text, nullable=False),
        sa.Column("server", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, sa.CheckConstraint("mode IN ('voice', 'typed')"), nullable=False),
        sa.Column("started_at", Moment, nullable=False),
        sa.Column("ended_at", Moment),
        sa.Column("status", sa.Text, sa.CheckConstraint("status IN ('active', 'complete', 'incomplete')"),
                  nullable=False),
        sa.Column("recording_path", sa.Text),
        sa.Column("owner_pid", sa.Integer),
        sqlite_autoincrement=True,
    )
    op.create_index("sessions_by_start", "sessions", ["started_at"])
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("turn_order", sa.Integer, nullable=False),
        sa.Column("role", sa.Text, sa.CheckConstraint("role IN ('counselor', 'caller')"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.Text, sa.CheckConstraint("status IN ('partial', 'done', 'interrupted')"),
                  nullable=False),
        sa.Column("input", sa.Text, sa.CheckConstraint("input IS NULL OR input IN ('typed', 'spoken')")),
        sa.Column("started_at", Moment, nullable=False),
        sa.Column("ended_at", Moment),
        sa.UniqueConstraint("session_id", "turn_order"),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("grade", sa.Text, nullable=False),
        sa.Column("evaluator", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )
    op.create_index("evaluations_by_session", "evaluations", ["session_id", "id"])
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("evaluator_context", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("imported_at", Moment, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the baseline is not taken down")
