"""The kiosk device that sent a response (``Response.device_id``), for the per-device
burst rule (``survey.services.quality``).

Revision ID: 0013_response_device
Revises: 0010_submission_path
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_response_device"
down_revision = "0010_submission_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("device_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_responses_device_id_devices"), "devices",
                                 ["device_id"], ["id"])
        batch.create_index(op.f("ix_responses_device_id"), ["device_id"])


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.drop_index(op.f("ix_responses_device_id"))
        batch.drop_constraint(op.f("fk_responses_device_id_devices"), type_="foreignkey")
        batch.drop_column("device_id")
