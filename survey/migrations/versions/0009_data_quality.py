"""Data quality: paradata on responses, reviews of flags.

Revision ID: 0009_data_quality
Revises: 0008_invitation_codes
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009_data_quality"
down_revision = "0008_invitation_codes"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("responses", sa.Column("paradata", JSONType, nullable=True))
    op.create_table(
        "flag_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"],
                                name=op.f("fk_flag_reviews_response_id_responses"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"],
                                name=op.f("fk_flag_reviews_reviewer_id_users"),
                                ondelete="SET NULL"),
        sa.CheckConstraint("decision IN ('confirmed', 'cleared')",
                           name=op.f("ck_flag_reviews_decision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_reviews")),
        sa.UniqueConstraint("response_id", "flag", name=op.f("uq_flag_reviews_response_id_flag")),
    )
    op.create_index(op.f("ix_flag_reviews_response_id"), "flag_reviews", ["response_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_flag_reviews_response_id"), table_name="flag_reviews")
    op.drop_table("flag_reviews")
    op.drop_column("responses", "paradata")
