"""Reading a wave: its responses frame, populations and unit tree — the one place that does.

Dashboards, reports, exports and the results cache all read a wave through this module
(docs/internals.md, "Reading a wave").  The JSON answers stay the record of what was
answered; they are decoded here, in bulk:

* On PostgreSQL the rows come through ``COPY (SELECT …) TO STDOUT`` in CSV, parsed in
  chunks by pandas' C reader straight from the COPY stream, and the JSON answers of a
  chunk are decoded in one msgspec call into structs that have one field per question (so
  missing answers are filled in and unknown keys dropped by the decoder, not in Python).
* On SQLite the same query is stepped lazily through the cursor (``yield_per``).

One bad row (answers that are not a JSON object) never breaks the wave: the bulk decode
falls back to row by row for that chunk, the row is logged with its id and left out.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
import pandas as pd
from sqlalchemy import Date, Text, cast, func, select

from questionnaires import Questionnaire

from ..extensions import db
from ..models import CHANNELS, Population, Response, ServiceField, ServicePoint, Unit, Wave
from .questionnaire_versions import load_version

__all__ = ["CHUNK_SIZE", "WaveData", "count_responses", "iter_wave_frames", "populations_or_counts",
           "read_wave", "read_wave_frame", "scope_query", "wave_info", "wave_populations",
           "wave_questionnaire", "wave_units"]

log = logging.getLogger(__name__)

CHUNK_SIZE = 10_000
# Vietnam has kept UTC+7 without daylight saving since 1975, so the local date of a
# stored naive-UTC time is the date of that time plus seven hours, computed in SQL.
_UTC_OFFSET = dt.timedelta(hours=7)
_ROW_COLUMNS = ("answers", "channel", "mode", "local_date", "unit_code", "unit_name", "point_code",
                "field_code", "id")


def wave_questionnaire(wave: Wave) -> Questionnaire:
    """The questionnaire definition a wave's responses answer."""
    return load_version(wave.questionnaire_version)


def scope_query(query, wave: Wave, unit_ids: Collection[int] | None, service_field: str | None = None,
                channel: str | None = None):
    """Restrict a query on ``Response`` to a wave, units, a service field and a channel."""
    query = query.where(Response.wave_id == wave.id)
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_([int(u) for u in unit_ids]))
    if service_field is not None:
        field_id = db.session.scalar(select(ServiceField.id)
                                     .where(ServiceField.code == service_field))
        if field_id is None:
            raise ValueError(f"unknown service field {service_field!r}")
        query = query.where(Response.service_field_id == field_id)
    if channel is not None:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
        query = query.where(Response.channel == channel)
    return query


def count_responses(wave: Wave, unit_ids: Collection[int] | None = None, *,
                    service_field: str | None = None, channel: str | None = None) -> int:
    """Number of responses of ``wave`` (restricted to ``unit_ids``, ``service_field`` and
    ``channel`` when given)."""
    query = scope_query(select(func.count(Response.id)), wave, unit_ids, service_field, channel)
    return db.session.scalar(query)


def _question_columns(q: Questionnaire) -> tuple[list[str], bool]:
    """The question columns of the frame, and whether ``channel`` is a question's answer."""
    own_channel = "channel" in q.questions and q.questions["channel"].kind.answerable
    questions = [qid for qid, question in q.questions.items()
                 if question.kind.answerable and not (qid == "channel" and own_channel)]
    return questions, own_channel


def _local_date(dialect: str):
    if dialect == "sqlite":
        return func.date(Response.submitted_at, "+7 hours")
    return cast(Response.submitted_at + _UTC_OFFSET, Date)


# ---- decoding the answers in bulk ----------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _decoders(wanted: tuple[str, ...]):
    """msgspec decoders of one answers object, and of a JSON array of them, into a struct
    with one field per wanted question (missing answers are None, other keys ignored)."""
    names = [f"q{i}" for i in range(len(wanted))]
    struct = msgspec.defstruct("Answers", [(n, Any, None) for n in names],
                               rename=dict(zip(names, wanted)))
    return msgspec.json.Decoder(struct), msgspec.json.Decoder(list[struct])


def _answer_columns(texts: list, ids: list, wanted: list[str]) -> tuple[list[tuple], np.ndarray | None]:
    """Decode the JSON answers ``texts``; return one tuple of values per wanted question and
    the mask of kept rows (None when every row was kept).

    A text that is not a JSON object (or not JSON) is logged with its id and its row is
    left out: one bad row must not take down the dashboards, reports and exports of a
    whole wave.
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
        log.warning("skipped %d response(s) whose answers cannot be read (ids %s)", len(bad),
                    ", ".join(map(str, bad[:20])))
    if not wanted:
        return [], keep
    astuple = msgspec.structs.astuple
    columns = list(zip(*map(astuple, structs))) if structs else [() for _ in wanted]
    return columns, keep


def _objects(values) -> pd.Series:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return pd.Series(array, dtype=object, copy=False)


def _frame(raw: dict, questions: list[str], own_channel: bool) -> pd.DataFrame:
    """The responses frame of one chunk from its raw columns (``_ROW_COLUMNS``, lists)."""
    wanted = questions + (["channel"] if own_channel else [])
    columns, keep = _answer_columns(list(raw["answers"]), list(raw["id"]), wanted)
    if keep is not None:
        raw = {k: [v for v, kept in zip(values, keep) if kept] for k, values in raw.items()}
    answers = dict(zip(wanted, columns))
    dates = {d: dt.date.fromisoformat(d) if isinstance(d, str) else d for d in set(raw["local_date"])}
    out = {
        "unit_code": raw["unit_code"],
        "service_point": raw["point_code"],
        "service_field": raw["field_code"],
        "channel": answers["channel"] if own_channel else raw["channel"],
        "unit_name": raw["unit_name"],
        "mode": raw["mode"],
        "submitted_date": [dates[d] for d in raw["local_date"]],
    }
    for qid in questions:
        out[qid] = answers[qid]
    return pd.DataFrame({k: _objects(v) for k, v in out.items()})


def _empty_frame(questions: list[str], own_channel: bool) -> pd.DataFrame:
    return _frame({c: [] for c in _ROW_COLUMNS}, questions, own_channel)


# ---- streaming the rows ----------------------------------------------------------------------

def _rows_query(wave: Wave, dialect: str, unit_ids, service_field, channel, lang: str,
                exclude: Collection[int] = ()):
    unit_name = Unit.name
    if lang == "en":
        unit_name = func.coalesce(func.nullif(func.trim(Unit.name_en), ""), Unit.name)
    query = (
        select(cast(Response.answers, Text), Response.channel, Response.mode,
               _local_date(dialect), Unit.code, unit_name,
               ServicePoint.code, ServiceField.code, Response.id)
        .join(Unit, Unit.id == Response.unit_id)
        .join(ServicePoint, ServicePoint.id == Response.service_point_id)
        .outerjoin(ServiceField, ServiceField.id == Response.service_field_id)
        .order_by(Response.unit_id, Response.id)
    )
    query = scope_query(query, wave, unit_ids, service_field, channel)
    if exclude:
        # Responses the analysis leaves out (confirmed data-quality flags): few ids.
        query = query.where(Response.id.not_in(sorted(exclude)))
    return query


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


def _copy_raw_chunks(query, chunk_size: int) -> Iterator[dict]:
    """Raw column chunks of ``query`` through PostgreSQL's COPY, parsed by pandas' C reader.

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
            chunks = pd.read_csv(stream, header=None, names=list(_ROW_COLUMNS), dtype=str,
                                 keep_default_na=False, na_values=[""], chunksize=chunk_size,
                                 encoding="utf-8", engine="c")
            try:
                for chunk in chunks:
                    yield {c: _nones(chunk[c]) for c in _ROW_COLUMNS}
            except BaseException:
                raw.cancel()        # stop the server sending the rest
                raise
        finished = True
    finally:
        if not finished:
            connection.invalidate()
        connection.close()


def _cursor_raw_chunks(query, chunk_size: int) -> Iterator[dict]:
    """Raw column chunks of ``query`` from a lazily stepped cursor (SQLite)."""
    # yield_per turns on stream_results.  Core rows (the session's connection, not the ORM)
    # save a third of the time on big waves.
    result = db.session.connection().execute(query.execution_options(yield_per=chunk_size))
    try:
        for rows in result.partitions(chunk_size):
            yield dict(zip(_ROW_COLUMNS, map(list, zip(*rows))))
    finally:
        result.close()


def iter_wave_frames(wave: Wave, chunk_size: int = CHUNK_SIZE,
                     unit_ids: Collection[int] | None = None, *, service_field: str | None = None,
                     channel: str | None = None, lang: str = "vi",
                     exclude: Collection[int] = ()) -> Iterator[pd.DataFrame]:
    """Yield the responses frame of ``wave`` in chunks of at most ``chunk_size`` rows.

    Columns: ``unit_code, service_point, service_field, channel, unit_name, mode,
    submitted_date`` (date in Vietnam, no time), then one column per answerable question
    holding the stored value (``None`` when unanswered).  ``channel`` is the answer to the
    questionnaire's ``channel`` question when it has one, else the response's channel.
    Rows come in order of unit, then submission; no database id is included.
    ``service_field`` (a code) and ``channel`` keep the responses of one field / channel
    (an unknown one raises ``ValueError``); with ``lang="en"`` ``unit_name`` is the unit's
    English name where it has one; ``exclude`` leaves out responses by id (those the
    analysis sets aside for data-quality flags, ``flag_reviews``).  One statement reads the rows (one more looks up
    ``service_field``): a ``COPY`` on PostgreSQL, a lazily stepped query on SQLite; rows
    are fetched about ``chunk_size`` at a time as chunks are consumed.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    questions, own_channel = _question_columns(wave_questionnaire(wave))
    dialect = db.session.get_bind().dialect.name
    query = _rows_query(wave, dialect, unit_ids, service_field, channel, lang, exclude)
    reader = _copy_raw_chunks if dialect == "postgresql" else _cursor_raw_chunks
    for raw in reader(query, chunk_size):
        frame = _frame(raw, questions, own_channel)
        if len(frame):
            yield frame


def read_wave_frame(wave: Wave, unit_ids: Collection[int] | None = None, *,
                    exclude: Collection[int] = ()) -> pd.DataFrame:
    """Return the whole responses frame of ``wave`` (see :func:`iter_wave_frames`)."""
    frames = list(iter_wave_frames(wave, chunk_size=100_000, unit_ids=unit_ids, exclude=exclude))
    if len(frames) == 1:
        return frames[0]
    if frames:
        return pd.concat(frames, ignore_index=True)
    return _empty_frame(*_question_columns(wave_questionnaire(wave)))


# ---- populations and units -------------------------------------------------------------------

def wave_populations(wave: Wave) -> pd.DataFrame:
    """Dossiers per ``unit_code, service_field`` of ``wave``."""
    rows = db.session.execute(
        select(Unit.code, ServiceField.code, Population.dossiers)
        .join(Unit, Unit.id == Population.unit_id)
        .join(ServiceField, ServiceField.id == Population.service_field_id)
        .where(Population.wave_id == wave.id)
    ).all()
    return pd.DataFrame(rows, columns=["unit_code", "service_field", "dossiers"])


def populations_or_counts(populations: pd.DataFrame,
                          counts: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Return the wave's dossier counts, or — when it has none at all — one "dossier" per
    response, so that every response weighs the same; the flag says the latter happened.

    ``counts`` holds ``unit_code, service_field, n`` (responses per cell).
    """
    if len(populations) or not len(counts):
        return populations, False
    equal = counts.rename(columns={"n": "dossiers"})
    equal["service_field"] = equal["service_field"].astype(object).where(
        equal["service_field"].notna(), "")
    return equal[["unit_code", "service_field", "dossiers"]], True


def wave_units(wave: Wave, response_codes: Iterable[str] = ()) -> pd.DataFrame:
    """The wave's scope (plus any unit its responses name) as ``code, name, name_en, kind,
    parent_code``; a parent outside the frame becomes a root."""
    scope = wave.scope_unit_ids()
    query = select(Unit.id, Unit.code, Unit.name, Unit.name_en, Unit.kind, Unit.parent_id)
    rows = db.session.execute(query).all()
    codes = set(response_codes)
    keep = [r for r in rows if not scope or r.id in scope or r.code in codes]
    by_id = {r.id: r.code for r in keep}
    return pd.DataFrame([(r.code, r.name, r.name_en, r.kind, by_id.get(r.parent_id))
                         for r in keep], columns=["code", "name", "name_en", "kind", "parent_code"])


def wave_info(wave: Wave | None) -> dict | None:
    """Code, names and dates of a wave for the report's cover (plain data)."""
    if wave is None:
        return None
    return {"code": wave.code, "name": wave.name, "name_en": wave.name_en,
            "starts_on": wave.starts_on.isoformat() if wave.starts_on else None,
            "ends_on": wave.ends_on.isoformat() if wave.ends_on else None}


@dataclass
class WaveData:
    """A wave as the analysis reads it: responses, populations (or equal weights), units."""

    responses: pd.DataFrame
    populations: pd.DataFrame
    units: pd.DataFrame
    questionnaire: Questionnaire
    unweighted: bool = False        # no dossier counts: every response weighs the same
    info: dict = field(default_factory=dict)


def read_wave(wave: Wave, *, exclude: Collection[int] = ()) -> WaveData:
    """Read the responses (without those in ``exclude``), populations and unit tree of
    ``wave``."""
    frame = read_wave_frame(wave, exclude=exclude)
    counts = (frame.groupby(["unit_code", "service_field"], dropna=False).size()
              .rename("n").reset_index())
    # Without any dossier counts every response weighs the same; the report says so in its
    # methods section.
    populations, unweighted = populations_or_counts(wave_populations(wave), counts)
    return WaveData(responses=frame, populations=populations,
                    units=wave_units(wave, frame["unit_code"].dropna().unique()),
                    questionnaire=wave_questionnaire(wave), unweighted=unweighted,
                    info=wave_info(wave))
