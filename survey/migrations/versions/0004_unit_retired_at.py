"""Units can be retired (kept with their history) instead of deleted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("units", sa.Column("retired_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite >= 3.35): a batch copy would drop and rebuild "units",
    # which the foreign keys of service points and responses refuse once rows exist.
    op.drop_column("units", "retired_at")
