"""The setup version: a counter raised by triggers whenever units, service points, waves,
their scopes or service fields change, so that cached survey-link look-ups know they are
stale (``survey/models_setup.py``).

Revision ID: 0010_submission_path
Revises: 0012_jobs
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_submission_path"
down_revision = "0012_jobs"
branch_labels = None
depends_on = None

SETUP_TABLES = ("units", "service_points", "waves", "wave_units", "service_fields")
POSTGRESQL_FUNCTION = """CREATE OR REPLACE FUNCTION bump_setup_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO setup_versions (id, version) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET version = setup_versions.version + 1;
    RETURN NULL;
END $$"""
POSTGRESQL_TRIGGER = """CREATE TRIGGER bump_setup_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_version()"""
SQLITE_TRIGGER = """CREATE TRIGGER bump_setup_version_{table}_{op} AFTER {OP} ON {table}
BEGIN
    INSERT OR IGNORE INTO setup_versions (id, version) VALUES (1, 0);
    UPDATE setup_versions SET version = version + 1 WHERE id = 1;
END"""
OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "setup_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_setup_versions_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setup_versions")),
    )
    op.execute("INSERT INTO setup_versions (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for table in SETUP_TABLES:
            op.execute(POSTGRESQL_TRIGGER.format(table=table))
    else:
        for table in SETUP_TABLES:
            for operation in OPERATIONS:
                op.execute(SQLITE_TRIGGER.format(table=table, op=operation.lower(), OP=operation))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SETUP_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS bump_setup_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_setup_version()")
    else:
        for table in SETUP_TABLES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS bump_setup_version_{table}_{operation.lower()}")
    op.drop_table("setup_versions")
