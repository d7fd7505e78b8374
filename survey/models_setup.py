"""The setup version: one counter that every change to the survey set-up raises.

Survey links are resolved from a per-process cache (``survey.services.lookup``).  To know
when that cache is stale, every insert, update or delete of a unit, service point, wave,
wave scope or service field raises ``setup_versions.version`` in the same transaction,
by database triggers — so the app, the set-up imports, a CLI and a hand-typed ``psql``
statement are all seen alike, by every process.  The row has id 1; a missing row reads
as version 0 (the triggers create it).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .triggers import create_with_tables

# The tables whose rows decide whether a survey link takes answers.
SETUP_TABLES = ("units", "service_points", "waves", "wave_units", "service_fields")


class SetupVersion(db.Model):
    """The single row counting changes to the survey set-up (see the module docstring)."""

    __tablename__ = "setup_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


# The same statements are run by migration 0010 (written out there, as migrations are frozen).
POSTGRESQL_BUMP = [
    """CREATE OR REPLACE FUNCTION bump_setup_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO setup_versions (id, version) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET version = setup_versions.version + 1;
    RETURN NULL;
END $$""",
    *(f"""CREATE OR REPLACE TRIGGER bump_setup_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_version()""" for table in SETUP_TABLES),
]
SQLITE_BUMP = [
    f"""CREATE TRIGGER IF NOT EXISTS bump_setup_version_{table}_{op.lower()} AFTER {op} ON {table}
BEGIN
    INSERT OR IGNORE INTO setup_versions (id, version) VALUES (1, 0);
    UPDATE setup_versions SET version = version + 1 WHERE id = 1;
END""" for table in SETUP_TABLES for op in ("INSERT", "UPDATE", "DELETE")
]

# The triggers sit on other tables: create them once every table exists (idempotent, so
# that create_all on an existing database, as the benchmarks' --keep does, works).
create_with_tables(POSTGRESQL_BUMP, SQLITE_BUMP, functions=("bump_setup_version",))
