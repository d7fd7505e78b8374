"""Models of the shared results cache (the database backend) and its version counters.

``results_cache`` holds computed SIPAS results (pickled plain objects) under a key that
names the wave, the filters, the options and the wave's data version; a row in state
``computing`` is the lock that makes concurrent first views compute once.
``results_versions`` holds counters bumped by changes the data version cannot see by
itself (a unit renamed, a data-quality decision); wave 0 is the whole site.
``response_tallies`` counts each wave's responses per unit and collection mode, kept by
database triggers on ``responses`` in the writing transaction, so the data version and
the mode counts are read from a few thousand small rows instead of counting a wave of a
million responses on every view.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .triggers import create_with_tables

CACHE_STATES = ("computing", "ready", "failed")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ResultsCacheEntry(db.Model):
    """One cached computation, or the lock of one under way (``state = computing``)."""

    __tablename__ = "results_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    problem: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)

    __table_args__ = (
        CheckConstraint("state IN ('computing', 'ready', 'failed')", name="state"),
    )


class ResultsVersion(db.Model):
    """A counter in a wave's data version (``wave_id`` 0: every wave)."""

    __tablename__ = "results_versions"

    wave_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ResponseTally(db.Model):
    """A wave's responses at one unit in one collection mode (``responses``) and a counter
    (``changes``) that every insert, delete or move of one of them raises: kept by the
    triggers below."""

    __tablename__ = "response_tallies"

    # No foreign keys: a wave's responses are deleted before the wave, and their triggers
    # write here on the way.
    wave_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    responses: Mapped[int] = mapped_column(BigInteger, default=0)
    changes: Mapped[int] = mapped_column(BigInteger, default=0)


# The same statements are run by migration 0014 (written out there, as migrations are frozen).
# PostgreSQL: statement triggers with transition tables (one grouped upsert per statement,
# so a bulk COPY costs one statement, not a million); rows in (wave, unit) order, so that
# concurrent multi-unit inserts take the tally rows' locks in the same order.
_TALLY_UPSERT = """INSERT INTO response_tallies (wave_id, unit_id, mode, responses, changes)
        {select}
        ON CONFLICT (wave_id, unit_id, mode) DO UPDATE
        SET responses = response_tallies.responses + EXCLUDED.responses,
            changes = response_tallies.changes + EXCLUDED.changes;"""
POSTGRESQL_TALLY = [
    """CREATE OR REPLACE FUNCTION tally_responses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        """ + _TALLY_UPSERT.format(select="""SELECT wave_id, unit_id, mode, count(*), count(*) FROM new_rows
        GROUP BY wave_id, unit_id, mode ORDER BY wave_id, unit_id, mode""") + """
    ELSIF TG_OP = 'DELETE' THEN
        """ + _TALLY_UPSERT.format(select="""SELECT wave_id, unit_id, mode, -count(*), count(*) FROM old_rows
        GROUP BY wave_id, unit_id, mode ORDER BY wave_id, unit_id, mode""") + """
    ELSE
        """ + _TALLY_UPSERT.format(select="""SELECT wave_id, unit_id, mode, sum(d), count(*) FROM (
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


SQLITE_TALLY = [
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

# Created once every table exists (idempotent, like the set-up version's triggers).
create_with_tables(POSTGRESQL_TALLY, SQLITE_TALLY,
                   functions=("tally_responses", "tally_responses_truncate"))
