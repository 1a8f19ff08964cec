"""Schema version 3: a training programme. Who owns a session (and on which computer it is
written), critical flags beside each evaluation, cohorts, assignments, supervisor reviews,
and compressed recordings kept in the database in chunks (PostgreSQL)."""

import sqlalchemy as sa
from alembic import op

from proto_trainer_tui.store.tables import Moment

revision = "3"
down_revision = "2"


def upgrade() -> None:
    op.add_column("sessions", sa.Column("owner", sa.Text))
    op.add_column("sessions", sa.Column("owner_host", sa.Text))
    op.create_index("sessions_by_owner", "sessions", ["owner", "started_at"])
    op.create_index("turns_by_session", "turns", ["session_id", "turn_order"])
    op.add_column("evaluations", sa.Column("critical_flags", sa.Text))
    op.create_table(
        "cohort_members",
        sa.Column("cohort", sa.Text, primary_key=True),
        sa.Column("person", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, sa.CheckConstraint("kind IN ('trainee', 'supervisor')"), nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scenario_id", sa.Text, nullable=False),
        sa.Column("trainee", sa.Text, nullable=False),
        sa.Column("cohort", sa.Text),
        sa.Column("due_at", Moment),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("assigned_by", sa.Text),
        sa.Column("created_at", Moment, nullable=False),
    )
    op.create_index("assignments_by_trainee", "assignments", ["trainee", "scenario_id"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reviewer", sa.Text),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("grade", sa.Text),
        sa.Column("reason", sa.Text),
        sa.CheckConstraint("grade IS NULL OR reason IS NOT NULL", name="override_has_reason"),
    )
    op.create_index("reviews_by_session", "reviews", ["session_id", "id"])
    op.create_table(
        "recording_chunks",
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("chunk", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("schema changes are not taken down; restore a backup instead")
