"""The columnar cache of a wave's responses: segments of decoded answers by id range.

``responses.answers`` (JSON) stays the record of what was answered.  To read a big wave
fast, the rows of a wave are also kept decoded, in segments of consecutive response ids:
one Arrow IPC block per segment with typed columns (one per question, plus the response's
id, unit, point, field, channel, mode and local date), written by
``survey.services.wave_segments`` (docs/internals.md, "Reading a wave").

A segment is only a cache: it is trusted while the responses of its id range are exactly
the ones it was built from.  Responses are insert-only, so two things can break that:

* a row of the range deleted or changed (a hand-made fix, a migration): the triggers below
  delete the segments covering it, in the same transaction, whoever made the change;
* a row of the range that committed after the segment was built (ids are handed out
  before commit): the reader compares count and sum of the ids of each range with what
  the segment holds (one aggregate query per read, on the ``(wave_id, id)`` index).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .triggers import create_with_tables


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class WaveSegment(db.Model):
    """The decoded rows of one wave whose ids lie in ``first_id .. last_id``."""

    __tablename__ = "wave_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    first_id: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int] = mapped_column(BigInteger)
    # Responses of the wave in the range when it was built (bad rows included) and the sum
    # of their ids: the reader's check that the range still holds exactly those rows.
    n_source: Mapped[int] = mapped_column(Integer)
    id_sum: Mapped[int] = mapped_column(BigInteger)
    n_rows: Mapped[int] = mapped_column(Integer)          # rows in the block (bad rows left out)
    # The block's columns are the questions of this version of the wave's questionnaire,
    # in the layout ``format`` names; either changing makes the segment stale.
    questionnaire_version_id: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("wave_id", "first_id"),)


# A response deleted, or changed in a column the frame reads, drops the segments that hold
# it (any client, any process); data-quality flags change freely.  The same statements are
# run by migration 0015 (written out there: migrations are frozen).
WATCHED_COLUMNS = ("id", "wave_id", "unit_id", "service_point_id", "service_field_id", "channel",
                   "mode", "answers", "submitted_at")
_DROP = """DELETE FROM wave_segments WHERE wave_id = {row}.wave_id
        AND first_id <= {row}.id AND last_id >= {row}.id;"""
POSTGRESQL_TRIGGERS = [
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
    f"""CREATE OR REPLACE TRIGGER drop_wave_segments
AFTER UPDATE OF {", ".join(WATCHED_COLUMNS)} OR DELETE ON responses
FOR EACH ROW EXECUTE FUNCTION drop_wave_segments()""",
    """CREATE OR REPLACE TRIGGER drop_all_wave_segments AFTER TRUNCATE ON responses
FOR EACH STATEMENT EXECUTE FUNCTION drop_all_wave_segments()""",
]
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS drop_wave_segments_update
AFTER UPDATE OF {", ".join(WATCHED_COLUMNS)} ON responses
BEGIN
    {_DROP.format(row="OLD")}
    {_DROP.format(row="NEW")}
END""",
    f"""CREATE TRIGGER IF NOT EXISTS drop_wave_segments_delete AFTER DELETE ON responses
BEGIN
    {_DROP.format(row="OLD")}
END""",
]

create_with_tables(POSTGRESQL_TRIGGERS, SQLITE_TRIGGERS,
                   functions=("drop_wave_segments", "drop_all_wave_segments"))
