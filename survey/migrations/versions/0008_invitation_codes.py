"""One-time invitation codes, personal API tokens, and the "code" collection mode.

Revision ID: 0008_invitation_codes
Revises: 0007_devices (branch h12k, merged here; 0004 on its own)
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_invitation_codes"
down_revision = "0007_devices"
branch_labels = None
depends_on = None

OLD_MODES = ("web", "kiosk", "api")
NEW_MODES = ("web", "kiosk", "api", "code")


def _in(values) -> str:
    return f"mode IN ({', '.join(repr(v) for v in values)})"


def _set_mode_check(values) -> None:
    # On SQLite the batch copies the table with the new CHECK (responses is referenced by
    # no other table, so the copy is allowed); PostgreSQL alters it in place.
    with op.batch_alter_table("responses") as batch:
        batch.drop_constraint(op.f("ck_responses_mode"), type_="check")
        batch.create_check_constraint("mode", _in(values))


def upgrade() -> None:
    op.create_table(
        "invitation_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("service_field_id", sa.Integer(), nullable=True),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("used_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_invitation_codes_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["service_field_id"], ["service_fields.id"],
                                name=op.f("fk_invitation_codes_service_field_id_service_fields")),
        sa.ForeignKeyConstraint(["service_point_id"], ["service_points.id"],
                                name=op.f("fk_invitation_codes_service_point_id_service_points")),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"],
                                name=op.f("fk_invitation_codes_wave_id_waves")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invitation_codes_code_hash")),
    )
    op.create_index("ix_invitation_codes_wave_id_service_point_id", "invitation_codes",
                    ["wave_id", "service_point_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_on", sa.Date(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    _set_mode_check(NEW_MODES)


def downgrade() -> None:
    # Responses that came through a code become public-link responses: the closest channel
    # the older schema knows.
    op.execute("UPDATE responses SET mode = 'web' WHERE mode = 'code'")
    _set_mode_check(OLD_MODES)
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("ix_invitation_codes_wave_id_service_point_id", table_name="invitation_codes")
    op.drop_table("invitation_codes")
