"""The columnar cache of a wave's responses (``wave_segments``), its triggers, and the
``(wave_id, id)`` index its checks read.

Revision ID: 0015_wave_segments
Revises: 0014_dashboard_speed
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_wave_segments"
down_revision = "0014_dashboard_speed"
branch_labels = None
depends_on = None

# Written out (migrations are frozen): survey/models_wave_segments.py holds the same.
_WATCHED = "id, wave_id, unit_id, service_point_id, service_field_id, channel, mode, answers, submitted_at"
_DROP = """DELETE FROM wave_segments WHERE wave_id = {row}.wave_id
        AND first_id <= {row}.id AND last_id >= {row}.id;"""
POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION drop_wave_segments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_DROP.format(row="OLD")}
    IF TG_OP = 'UPDATE' THEN
        {_DROP.format(row="NEW")}
    END IF;
    RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION drop_all_wave_segments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM wave_segments;
    RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE TRIGGER drop_wave_segments AFTER UPDATE OF {_WATCHED} OR DELETE ON responses
FOR EACH ROW EXECUTE FUNCTION drop_wave_segments()""",
    """CREATE OR REPLACE TRIGGER drop_all_wave_segments AFTER TRUNCATE ON responses
FOR EACH STATEMENT EXECUTE FUNCTION drop_all_wave_segments()""",
]
SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS drop_wave_segments_update AFTER UPDATE OF {_WATCHED} ON responses
BEGIN
    {_DROP.format(row="OLD")}
    {_DROP.format(row="NEW")}
END""",
    f"""CREATE TRIGGER IF NOT EXISTS drop_wave_segments_delete AFTER DELETE ON responses
BEGIN
    {_DROP.format(row="OLD")}
END""",
]


def upgrade() -> None:
    op.create_table(
        "wave_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("n_source", sa.Integer(), nullable=False),
        sa.Column("id_sum", sa.BigInteger(), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_wave_segments_wave_id_waves"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_segments")),
        sa.UniqueConstraint("wave_id", "first_id", name=op.f("uq_wave_segments_wave_id_first_id")),
    )
    op.create_index("ix_responses_wave_id_id", "responses", ["wave_id", "id"])
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS drop_wave_segments ON responses")
        op.execute("DROP TRIGGER IF EXISTS drop_all_wave_segments ON responses")
        op.execute("DROP FUNCTION IF EXISTS drop_wave_segments()")
        op.execute("DROP FUNCTION IF EXISTS drop_all_wave_segments()")
    else:
        op.execute("DROP TRIGGER IF EXISTS drop_wave_segments_update")
        op.execute("DROP TRIGGER IF EXISTS drop_wave_segments_delete")
    op.drop_index("ix_responses_wave_id_id", table_name="responses")
    op.drop_table("wave_segments")
