"""Responses tallied per wave, unit and mode by triggers (``response_tallies``), so that a
dashboard reads its wave's data version and mode counts without counting the wave's
responses (``survey/models_results.py``, ``survey/services/results_cache.py``); a partial
index of flagged responses (``ix_responses_flagged``) for the dashboard's flag counts.

Revision ID: 0014_dashboard_speed
Revises: 0013_response_device
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_dashboard_speed"
down_revision = "0013_response_device"
branch_labels = None
depends_on = None

# The predicate of survey.services.flags.flagged_clause, written out.
FLAGGED_POSTGRESQL = ("CASE WHEN jsonb_typeof(flags) = 'array' THEN jsonb_array_length(flags) "
                      "ELSE 0 END > 0")
FLAGGED_SQLITE = "CASE WHEN json_valid(flags) = 1 THEN json_array_length(flags) ELSE 0 END > 0"
_UPSERT = """INSERT INTO response_tallies (wave_id, unit_id, mode, responses, changes)
        {select}
        ON CONFLICT (wave_id, unit_id, mode) DO UPDATE
        SET responses = response_tallies.responses + EXCLUDED.responses,
            changes = response_tallies.changes + EXCLUDED.changes;"""
POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION tally_responses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        """ + _UPSERT.format(select="""SELECT wave_id, unit_id, mode, count(*), count(*) FROM new_rows
        GROUP BY wave_id, unit_id, mode ORDER BY wave_id, unit_id, mode""") + """
    ELSIF TG_OP = 'DELETE' THEN
        """ + _UPSERT.format(select="""SELECT wave_id, unit_id, mode, -count(*), count(*) FROM old_rows
        GROUP BY wave_id, unit_id, mode ORDER BY wave_id, unit_id, mode""") + """
    ELSE
        """ + _UPSERT.format(select="""SELECT wave_id, unit_id, mode, sum(d), count(*) FROM (
            SELECT o.wave_id, o.unit_id, o.mode, -1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.wave_id <> n.wave_id OR o.unit_id <> n.unit_id OR o.mode <> n.mode
            UNION ALL
            SELECT n.wave_id, n.unit_id, n.mode, 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.wave_id <> n.wave_id OR o.unit_id <> n.unit_id OR o.mode <> n.mode) AS moved
        GROUP BY wave_id, unit_id, mode ORDER BY wave_id, unit_id, mode""") + """
    END IF;
    RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION tally_responses_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE response_tallies SET responses = 0, changes = changes + 1;
    RETURN NULL;
END $$""",
    """CREATE OR REPLACE TRIGGER tally_responses_insert AFTER INSERT ON responses
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_responses()""",
    """CREATE OR REPLACE TRIGGER tally_responses_delete AFTER DELETE ON responses
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_responses()""",
    """CREATE OR REPLACE TRIGGER tally_responses_update AFTER UPDATE ON responses
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION tally_responses()""",
    """CREATE OR REPLACE TRIGGER tally_responses_truncate AFTER TRUNCATE ON responses
FOR EACH STATEMENT EXECUTE FUNCTION tally_responses_truncate()""",
]


def _sqlite_tally(row: str, sign: str) -> str:
    return (f"INSERT INTO response_tallies (wave_id, unit_id, mode, responses, changes) "
            f"VALUES ({row}.wave_id, {row}.unit_id, {row}.mode, {sign}1, 1) "
            f"ON CONFLICT (wave_id, unit_id, mode) DO UPDATE SET responses = responses {sign} 1, "
            f"changes = changes + 1;")


SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS tally_responses_insert AFTER INSERT ON responses
BEGIN
    {_sqlite_tally("NEW", "+")}
END""",
    f"""CREATE TRIGGER IF NOT EXISTS tally_responses_delete AFTER DELETE ON responses
BEGIN
    {_sqlite_tally("OLD", "-")}
END""",
    f"""CREATE TRIGGER IF NOT EXISTS tally_responses_update AFTER UPDATE OF wave_id, unit_id, mode ON responses
WHEN OLD.wave_id IS NOT NEW.wave_id OR OLD.unit_id IS NOT NEW.unit_id OR OLD.mode IS NOT NEW.mode
BEGIN
    {_sqlite_tally("OLD", "-")}
    {_sqlite_tally("NEW", "+")}
END""",
]


def upgrade() -> None:
    op.create_table(
        "response_tallies",
        sa.Column("wave_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("responses", sa.BigInteger(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("wave_id", "unit_id", "mode", name=op.f("pk_response_tallies")),
    )
    op.execute("INSERT INTO response_tallies (wave_id, unit_id, mode, responses, changes) "
               "SELECT wave_id, unit_id, mode, count(*), count(*) FROM responses "
               "GROUP BY wave_id, unit_id, mode")
    op.create_index("ix_responses_flagged", "responses", ["wave_id", "unit_id"],
                    postgresql_where=sa.text(FLAGGED_POSTGRESQL), sqlite_where=sa.text(FLAGGED_SQLITE))
    statements = POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_responses_flagged", table_name="responses")
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "delete", "update", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS tally_responses_{name} ON responses")
        op.execute("DROP FUNCTION IF EXISTS tally_responses(), tally_responses_truncate()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS tally_responses_{name}")
    op.drop_table("response_tallies")
