"""The shared results cache (database backend) and the results version counters.

Revision ID: 0011_results_cache
Revises: 0009_data_quality
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_results_cache"
down_revision = "0009_data_quality"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "results_cache",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('computing', 'ready', 'failed')", name=op.f("ck_results_cache_state")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_results_cache")),
    )
    op.create_index(op.f("ix_results_cache_wave_id"), "results_cache", ["wave_id"])
    op.create_table(
        "results_versions",
        sa.Column("wave_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_results_versions")),
    )


def downgrade() -> None:
    op.drop_table("results_versions")
    op.drop_index(op.f("ix_results_cache_wave_id"), table_name="results_cache")
    op.drop_table("results_cache")
