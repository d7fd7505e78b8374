"""The initial schema: units, service fields and points, questionnaire versions, waves,
populations and responses.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Written by hand to match survey/models.py; tests/survey/test_migrations.py proves that an
# upgraded empty database and the models do not differ.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "questionnaire_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("qid", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("definition", JSONType, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_versions")),
        sa.UniqueConstraint("qid", "version", name=op.f("uq_questionnaire_versions_qid_version")),
    )
    op.create_table(
        "service_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_fields")),
        sa.UniqueConstraint("code", name=op.f("uq_service_fields_code")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("parent_id IS NULL OR parent_id != id", name=op.f("ck_units_not_own_parent")),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("code", name=op.f("uq_units_code")),
    )
    op.create_index(op.f("ix_units_parent_id"), "units", ["parent_id"])
    op.create_table(
        "service_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_service_points_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_points")),
        sa.UniqueConstraint("code", name=op.f("uq_service_points_code")),
    )
    op.create_index(op.f("ix_service_points_unit_id"), "service_points", ["unit_id"])
    op.create_table(
        "waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_waves_status")),
        sa.CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on", name=op.f("ck_waves_dates")
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_version_id"], ["questionnaire_versions.id"],
            name=op.f("fk_waves_questionnaire_version_id_questionnaire_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waves")),
        sa.UniqueConstraint("code", name=op.f("uq_waves_code")),
    )
    op.create_index(op.f("ix_waves_questionnaire_version_id"), "waves", ["questionnaire_version_id"])
    op.create_table(
        "populations",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("service_field_id", sa.Integer(), nullable=False),
        sa.Column("dossiers", sa.Integer(), nullable=False),
        sa.CheckConstraint("dossiers >= 0", name=op.f("ck_populations_dossiers_not_negative")),
        sa.ForeignKeyConstraint(
            ["service_field_id"], ["service_fields.id"],
            name=op.f("fk_populations_service_field_id_service_fields"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_populations_unit_id_units")),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_populations_wave_id_waves"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("wave_id", "unit_id", "service_field_id", name=op.f("pk_populations")),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("service_field_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("answers", JSONType, nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("flags", JSONType, nullable=False),
        sa.Column("is_demo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("channel IN ('in_person', 'online', 'post')", name=op.f("ck_responses_channel")),
        sa.CheckConstraint("mode IN ('web', 'kiosk', 'api')", name=op.f("ck_responses_mode")),
        sa.ForeignKeyConstraint(
            ["questionnaire_version_id"], ["questionnaire_versions.id"],
            name=op.f("fk_responses_questionnaire_version_id_questionnaire_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["service_field_id"], ["service_fields.id"],
            name=op.f("fk_responses_service_field_id_service_fields"),
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"], ["service_points.id"],
            name=op.f("fk_responses_service_point_id_service_points"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_responses_unit_id_units")),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_responses_wave_id_waves")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_responses_submission_id")),
    )
    op.create_index(op.f("ix_responses_service_point_id"), "responses", ["service_point_id"])
    op.create_index("ix_responses_wave_id_unit_id", "responses", ["wave_id", "unit_id"])
    op.create_table(
        "wave_units",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_wave_units_unit_id_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_wave_units_wave_id_waves"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("wave_id", "unit_id", name=op.f("pk_wave_units")),
    )


def downgrade() -> None:
    for table in ("wave_units", "responses", "populations", "waves", "service_points", "units",
                  "service_fields", "questionnaire_versions"):
        op.drop_table(table)
