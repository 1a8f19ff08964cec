"""Schema version 4: an imported scenario keeps its optional CSV columns (caller_name, risk,
skills, ...) as JSON, so its profile reads the same after a restart."""

import sqlalchemy as sa
from alembic import op

revision = "4"
down_revision = "3"


def upgrade() -> None:
    op.add_column("scenarios", sa.Column("columns", sa.Text, nullable=False, server_default="{}"))


def downgrade() -> None:
    raise NotImplementedError("schema changes are not taken down; restore a backup instead")
