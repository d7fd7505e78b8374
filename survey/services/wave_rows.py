"""Streaming a wave's rows out of the database and decoding their JSON answers in bulk.

The low half of reading a wave (``wave_data`` builds frames, ``wave_segments`` keeps the
columnar cache): on PostgreSQL the rows come through ``COPY (SELECT …) TO STDOUT`` in CSV,
parsed in chunks by pandas' C reader straight from the COPY stream; on SQLite the query
is stepped lazily through the cursor (``yield_per``).  The JSON answers of a chunk are
decoded in one msgspec call into structs that have one field per question (so missing
answers are filled in and unknown keys dropped by the decoder, not in Python).

One bad row (answers that are not a JSON object) never breaks the wave: the bulk decode
falls back to row by row for that chunk, the row is logged with its id and left out.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import numpy as np
import pandas as pd
from sqlalchemy import Date, cast, func

from ..extensions import db
from ..models import Response

log = logging.getLogger("survey.services.wave_data")

# Vietnam has kept UTC+7 without daylight saving since 1975, so the local date of a
# stored naive-UTC time is the date of that time plus seven hours, computed in SQL.
_UTC_OFFSET = dt.timedelta(hours=7)


def local_date(dialect: str):
    """The SQL expression of a response's submission date in Vietnam."""
    if dialect == "sqlite":
        return func.date(Response.submitted_at, "+7 hours")
    return cast(Response.submitted_at + _UTC_OFFSET, Date)


@functools.lru_cache(maxsize=64)
def _decoders(wanted: tuple[str, ...]):
    """msgspec decoders of one answers object, and of a JSON array of them, into a struct
    with one field per wanted question (missing answers are None, other keys ignored)."""
    names = [f"q{i}" for i in range(len(wanted))]
    struct = msgspec.defstruct("Answers", [(n, Any, None) for n in names],
                               rename=dict(zip(names, wanted)))
    return msgspec.json.Decoder(struct), msgspec.json.Decoder(list[struct])


def answer_columns(texts: list, ids: list, wanted: list[str],
                   quiet: bool = False) -> tuple[list[tuple], np.ndarray | None]:
    """Decode the JSON answers ``texts``; return one tuple of values per wanted question and
    the mask of kept rows (None when every row was kept).

    A text that is not a JSON object (or not JSON) is logged with its id and its row is
    left out: one bad row must not take down the dashboards, reports and exports of a
    whole wave (``quiet``: the caller logs them).
    """
    one, many = _decoders(tuple(wanted))
    n = len(texts)
    texts = [t if isinstance(t, str) and t else "{}" for t in texts]
    try:
        structs = many.decode("[" + ",".join(texts) + "]") if n else []
        keep = None
    except (ValueError, msgspec.MsgspecError):
        structs, flags, bad = [], np.ones(n, dtype=bool), []
        for i, text in enumerate(texts):
            try:
                structs.append(one.decode(text))
            except (ValueError, msgspec.MsgspecError):
                flags[i] = False
                bad.append(ids[i])
        keep = flags
        if not quiet:
            log_skipped(bad)
    if not wanted:
        return [], keep
    astuple = msgspec.structs.astuple
    columns = list(zip(*map(astuple, structs))) if structs else [() for _ in wanted]
    return columns, keep


def log_skipped(ids: Sequence) -> None:
    """Log the ids of responses left out because their answers cannot be read."""
    if len(ids):
        log.warning("skipped %d response(s) whose answers cannot be read (ids %s)", len(ids),
                    ", ".join(map(str, list(ids)[:20])))


class _CopyStream(io.RawIOBase):
    """A readable file over the blocks of a psycopg ``COPY … TO STDOUT``."""

    def __init__(self, copy):
        self._copy, self._rest = copy, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._rest:
            block = self._copy.read()
            if not block:
                return 0
            self._rest = bytes(block)
        size = min(len(buffer), len(self._rest))
        buffer[:size] = self._rest[:size]
        self._rest = self._rest[size:]
        return size


def _nones(series: pd.Series) -> list:
    values = series.to_numpy(dtype=object)
    values[series.isna().to_numpy()] = None
    return values.tolist()


def copy_raw_chunks(query, chunk_size: int, names: Sequence[str]) -> Iterator[dict]:
    """Raw column chunks (``names``: lists of text or None) of ``query`` through
    PostgreSQL's COPY, parsed by pandas' C reader.

    The COPY runs on a connection of its own from the pool, so that a reader abandoned
    half-way (a client that drops a download) never leaves the request's session stuck in
    the middle of a COPY; such a connection is cancelled and thrown away.
    """
    session_connection = db.session.connection()
    compiled = query.compile(dialect=session_connection.dialect,
                             compile_kwargs={"render_postcompile": True})
    statement = f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv)"
    connection = session_connection.engine.connect()
    raw = connection.connection.driver_connection
    finished = False
    try:
        with raw.cursor() as cursor, cursor.copy(statement, compiled.params) as copy:
            stream = io.BufferedReader(_CopyStream(copy), buffer_size=1 << 20)
            # Everything as text: codes stay codes ("001" is not 1); NULL (an empty
            # unquoted field) becomes None.
            chunks = pd.read_csv(stream, header=None, names=list(names), dtype=str,
                                 keep_default_na=False, na_values=[""], chunksize=chunk_size,
                                 encoding="utf-8", engine="c")
            try:
                for chunk in chunks:
                    yield {c: _nones(chunk[c]) for c in names}
            except BaseException:
                raw.cancel()        # stop the server sending the rest
                raise
        finished = True
    finally:
        if not finished:
            connection.invalidate()
        connection.close()


def cursor_raw_chunks(query, chunk_size: int, names: Sequence[str]) -> Iterator[dict]:
    """Raw column chunks of ``query`` from a lazily stepped cursor (SQLite)."""
    # yield_per turns on stream_results.  Core rows (the session's connection, not the ORM)
    # save a third of the time on big waves.
    result = db.session.connection().execute(query.execution_options(yield_per=chunk_size))
    try:
        for rows in result.partitions(chunk_size):
            yield dict(zip(names, map(list, zip(*rows))))
    finally:
        result.close()


def raw_chunks(query, chunk_size: int, names: Sequence[str]) -> Iterator[dict]:
    """Raw column chunks of ``query``: COPY on PostgreSQL, a stepped cursor elsewhere."""
    if db.session.get_bind().dialect.name == "postgresql":
        return copy_raw_chunks(query, chunk_size, names)
    return cursor_raw_chunks(query, chunk_size, names)
