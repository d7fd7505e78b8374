"""Kiosk tablets: enrolled devices (credential stored as a digest) and one-time
enrolment codes (stored as a keyed digest).

Revision ID: 0007_devices
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_devices"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("questionnaire", sa.String(length=8), server_default="desk", nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("enrolled_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("questionnaire IN ('desk', 'full')", name=op.f("ck_devices_questionnaire")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_devices_name_not_empty")),
        sa.ForeignKeyConstraint(["enrolled_by_id"], ["users.id"],
                                name=op.f("fk_devices_enrolled_by_id_users")),
        sa.ForeignKeyConstraint(["service_point_id"], ["service_points.id"],
                                name=op.f("fk_devices_service_point_id_service_points")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
    )
    op.create_index(op.f("ix_devices_service_point_id"), "devices", ["service_point_id"])
    op.create_table(
        "enrolment_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("device_name", sa.String(length=100), nullable=False),
        sa.Column("questionnaire", sa.String(length=8), server_default="desk", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("questionnaire IN ('desk', 'full')",
                           name=op.f("ck_enrolment_codes_questionnaire")),
        sa.CheckConstraint("length(device_name) > 0",
                           name=op.f("ck_enrolment_codes_device_name_not_empty")),
        sa.CheckConstraint("expires_at > created_at",
                           name=op.f("ck_enrolment_codes_expires_after_creation")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_enrolment_codes_created_by_id_users")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_enrolment_codes_device_id_devices")),
        sa.ForeignKeyConstraint(["service_point_id"], ["service_points.id"],
                                name=op.f("fk_enrolment_codes_service_point_id_service_points")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_enrolment_codes_code_hash")),
    )
    op.create_index(op.f("ix_enrolment_codes_service_point_id"), "enrolment_codes",
                    ["service_point_id"])


def downgrade() -> None:
    op.drop_table("enrolment_codes")
    op.drop_table("devices")
