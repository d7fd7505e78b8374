"""Reading a wave: its responses frame, populations and unit tree — the one place that does.

Dashboards, reports, exports and the results cache all read a wave through this module
(docs/internals.md, "Reading a wave").  The JSON answers stay the record of what was
answered.  A wave's frame is built from the columnar cache of ``wave_segments`` (typed
columns per segment of responses, checked against the database on every read) plus the
rows no segment holds yet, decoded from JSON by ``wave_rows`` (COPY on PostgreSQL, a
stepped cursor on SQLite); with ``WAVE_SEGMENT_ROWS = 0`` every row is decoded from JSON
(the plain path, which the cache must match exactly).

One bad row (answers that are not a JSON object) never breaks the wave: it is logged with
its id and left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import Text, cast, func, select

from questionnaires import Questionnaire

from ..extensions import db
from ..models import CHANNELS, Population, Response, ServiceField, ServicePoint, Unit, Wave
from . import wave_segments
from .questionnaire_versions import load_version
from .wave_rows import answer_columns, local_date, raw_chunks

__all__ = ["CHUNK_SIZE", "WaveData", "count_responses", "iter_wave_frames", "populations_or_counts",
           "read_wave", "read_wave_frame", "scope_query", "wave_info", "wave_populations",
           "wave_questionnaire", "wave_units"]

CHUNK_SIZE = 10_000
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


# ---- the plain path: every row decoded from JSON --------------------------------------------

def _objects(values) -> pd.Series:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return pd.Series(array, dtype=object, copy=False)


def _frame(raw: dict, questions: list[str], own_channel: bool) -> pd.DataFrame:
    """The responses frame of one chunk from its raw columns (``_ROW_COLUMNS``, lists)."""
    wanted = questions + (["channel"] if own_channel else [])
    columns, keep = answer_columns(list(raw["answers"]), list(raw["id"]), wanted)
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
               local_date(dialect), Unit.code, unit_name,
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


def _plain_frames(wave: Wave, chunk_size: int, unit_ids, service_field, channel, lang: str,
                  exclude) -> Iterator[pd.DataFrame]:
    """The frames of ``wave`` with every row decoded from its JSON answers."""
    questions, own_channel = _question_columns(wave_questionnaire(wave))
    dialect = db.session.get_bind().dialect.name
    query = _rows_query(wave, dialect, unit_ids, service_field, channel, lang, exclude)
    for raw in raw_chunks(query, chunk_size, _ROW_COLUMNS):
        frame = _frame(raw, questions, own_channel)
        if len(frame):
            yield frame


def iter_wave_frames(wave: Wave, chunk_size: int = CHUNK_SIZE,
                     unit_ids: Collection[int] | None = None, *, service_field: str | None = None,
                     channel: str | None = None, lang: str = "vi",
                     exclude: Collection[int] = (), cached: bool = True) -> Iterator[pd.DataFrame]:
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

    Through the columnar cache (``wave_segments``) the typed store of the whole wave is
    held while its chunks are built; ``cached=False`` streams the rows instead, so that
    memory stays flat whatever the wave's size (the CSV export).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    if cached and _use_segments():
        yield from _cached_frames(wave, chunk_size, unit_ids, service_field, channel, lang, exclude)
    else:
        yield from _plain_frames(wave, chunk_size, unit_ids, service_field, channel, lang, exclude)


def read_wave_frame(wave: Wave, unit_ids: Collection[int] | None = None, *,
                    exclude: Collection[int] = ()) -> pd.DataFrame:
    """Return the whole responses frame of ``wave`` (see :func:`iter_wave_frames`)."""
    if _use_segments():
        frames = list(_cached_frames(wave, None, unit_ids, None, None, "vi", exclude))
    else:
        frames = list(_plain_frames(wave, 100_000, unit_ids, None, None, "vi", exclude))
    if len(frames) == 1:
        return frames[0]
    if frames:
        return pd.concat(frames, ignore_index=True)
    return _empty_frame(*_question_columns(wave_questionnaire(wave)))


# ---- the fast path: the columnar cache of wave_segments ----------------------------------------

def _use_segments() -> bool:
    """Whether waves are read through the columnar cache (``WAVE_SEGMENT_ROWS`` > 0)."""
    if int(current_app.config.get("WAVE_SEGMENT_ROWS", 0)) <= 0:
        return False
    url = db.session.get_bind().url
    # An in-memory SQLite database lives in one connection: no second one to write with.
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def _lookup(ids: np.ndarray, names: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(lut, pos)`` so that ``lut[pos]`` is ``names[id]`` for each of ``ids``."""
    distinct, pos = np.unique(ids, return_inverse=True)
    lut = np.empty(len(distinct), dtype=object)
    lut[:] = [names.get(int(i)) for i in distinct]
    return lut, pos.reshape(-1)


def _cached_frames(wave: Wave, chunk_size: int | None, unit_ids, service_field, channel, lang: str,
                   exclude) -> Iterator[pd.DataFrame]:
    """The frames of ``wave`` built from its segments (``chunk_size`` None: one frame)."""
    questions, own_channel = _question_columns(wave_questionnaire(wave))
    field_id = None
    if service_field is not None:
        field_id = db.session.scalar(select(ServiceField.id).where(ServiceField.code == service_field))
        if field_id is None:
            raise ValueError(f"unknown service field {service_field!r}")
    if channel is not None and channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    store = wave_segments.wave_store(wave, questions + (["channel"] if own_channel else []))
    keep = np.ones(len(store), dtype=bool)
    if unit_ids is not None:
        keep &= np.isin(store.units, np.array([int(u) for u in unit_ids], dtype=np.int64))
    if field_id is not None:
        keep &= store.fields == field_id
    if channel is not None:
        keep &= (store.channel.lut == channel)[store.channel.pos]
    if exclude:
        keep &= ~np.isin(store.ids, np.array(sorted(int(i) for i in exclude), dtype=np.int64))
    rows = np.flatnonzero(keep)
    # The plain path's order: by unit, then submission (id).
    rows = rows[np.lexsort((store.ids[rows], store.units[rows]))]
    if not len(rows):
        return
    # Every unit and point (a national tree is some 10,000 units): cheaper than a long IN.
    unit_rows = db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.name_en)).all()

    def unit_name(r):
        english = (r.name_en or "").strip(" ") if lang == "en" else ""
        return english or r.name

    unit_code, unit_pos = _lookup(store.units[rows], {r.id: r.code for r in unit_rows})
    unit_names, _ = _lookup(store.units[rows], {r.id: unit_name(r) for r in unit_rows})
    points = dict(db.session.execute(select(ServicePoint.id, ServicePoint.code)).all())
    point_code, point_pos = _lookup(store.points[rows], points)
    field_code, field_pos = _lookup(store.fields[rows],
                                    dict(db.session.execute(select(ServiceField.id, ServiceField.code)).all()))
    size = chunk_size or len(rows)
    names = ["unit_code", "service_point", "service_field", "channel", "unit_name", "mode",
             "submitted_date", *questions]
    answers = [store.answers[qid] for qid in questions]
    for start in range(0, len(rows), size):
        part, at = rows[start:start + size], slice(start, start + size)
        # One object block filled row by row (pandas keeps it as it is: a frame built
        # from a dict of columns would copy them all into one block again).
        block = np.empty((len(names), len(part)), dtype=object)
        np.take(unit_code, unit_pos[at], out=block[0])
        np.take(point_code, point_pos[at], out=block[1])
        np.take(field_code, field_pos[at], out=block[2])
        (store.answers["channel"] if own_channel else store.channel).take(part, out=block[3])
        np.take(unit_names, unit_pos[at], out=block[4])
        store.mode.take(part, out=block[5])
        store.dates.take(part, out=block[6])
        for i, column in enumerate(answers, start=7):
            column.take(part, out=block[i])
        yield pd.DataFrame(block.T, columns=names, dtype=object, copy=False)


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
