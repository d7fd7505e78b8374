"""Reading a wave's responses from the database as frames, and exporting them.

This module is the one place that builds "the responses frame" (docs/internals.md) from
the database: :func:`iter_wave_frames` streams it in chunks through a server-side cursor
(PostgreSQL) or the lazily stepped SQLite cursor, and :func:`read_wave_frame` joins the
chunks for analysis.  The file formats themselves live in :mod:`analysis.exports`.

CSV and XLSX stream: memory stays that of one chunk whatever the size of the wave.  SPSS
and Stata files are written by pyreadstat from one DataFrame, so the wave is loaded whole;
waves above ``EXPORT_MAX_ROWS_IN_MEMORY`` responses (default 250,000) are refused with
:class:`ExportTooLarge`.

In a Flask view, wrap :func:`iter_wave_csv` in ``stream_with_context`` so that the
database session lives as long as the response body is being sent.

Subsets: ``unit_ids`` restricts the rows to some units, ``service_field`` (a field code)
and ``channel`` (``Response.channel``: ``in_person|online|post``) to one service field
and/or channel, all in SQL.  The design weights do not change with the subset: a
filtered file holds the same rows, with the same weights, as the unfiltered file of the
same units (the weights of a domain of the sample).
"""

from __future__ import annotations

import datetime as dt
import logging
import operator
import os
from collections.abc import Collection, Iterator

import numpy as np
import pandas as pd
from flask import current_app, has_app_context
from sqlalchemy import Date, Text, cast, func, select

from analysis.exports import (ExportError, ExportPlan, XLSX_MAX_ROWS, attach_weights, cell_weights,
                              iter_csv, write_codebook_csv, write_dta, write_sav, write_xlsx)
from questionnaires import Questionnaire

from ..extensions import db
from ..models import CHANNELS, Population, Response, ServiceField, ServicePoint, Unit, Wave
from .questionnaire_versions import load_version

__all__ = ["CHUNK_SIZE", "FORMATS", "MAX_ROWS_IN_MEMORY", "ExportTooLarge", "count_responses",
           "export_wave", "iter_wave_csv", "iter_wave_frames", "populations_or_counts",
           "read_wave_frame",
           "wave_populations", "wave_questionnaire", "wave_weights"]

try:  # msgspec parses JSON several times faster than the standard library
    from msgspec.json import Decoder as _Decoder

    _decode = _Decoder().decode
except ImportError:  # pragma: no cover - depends on the installation
    from json import loads as _decode

log = logging.getLogger(__name__)

CHUNK_SIZE = 10_000
MAX_ROWS_IN_MEMORY = 250_000
FORMATS = ("csv", "xlsx", "sav", "dta")
META_COLUMNS = ("unit_code", "service_point", "service_field", "channel", "unit_name", "mode",
                "submitted_date")


class ExportTooLarge(ExportError):
    """The wave has more responses than the chosen format can take; ``rows`` and ``limit`` say how many."""

    def __init__(self, fmt: str, rows: int, limit: int):
        self.fmt, self.rows, self.limit = fmt, rows, limit
        super().__init__(
            f"Đợt khảo sát có {rows:,} phiếu, vượt giới hạn {limit:,} phiếu của định dạng "
            f"{fmt.upper()} (định dạng này phải nạp toàn bộ dữ liệu vào bộ nhớ). Hãy xuất CSV, "
            f"hoặc thu hẹp phạm vi đơn vị. / The wave has {rows:,} responses, more than the "
            f"{limit:,} a {fmt.upper()} export can load; export CSV or fewer units."
        )


def wave_questionnaire(wave: Wave) -> Questionnaire:
    """The questionnaire definition a wave's responses answer."""
    return load_version(wave.questionnaire_version)


def scope_query(query, wave: Wave, unit_ids: Collection[int] | None, service_field: str | None = None,
                channel: str | None = None):
    """Restrict a query on ``Response`` to a wave, units, a service field and a channel."""
    query = query.where(Response.wave_id == wave.id)
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_(list(unit_ids)))
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


# Vietnam has kept UTC+7 without daylight saving since 1975, so the local date of a
# stored naive-UTC time is the date of that time plus seven hours, computed in SQL.
_UTC_OFFSET = dt.timedelta(hours=7)
_ROW_COLUMNS = ("answers", "channel", "mode", "local_date", "unit_code", "unit_name", "point_code",
                "field_code", "id")


def _local_date(dialect: str):
    if dialect == "sqlite":
        return func.date(Response.submitted_at, "+7 hours")
    return cast(Response.submitted_at + _UTC_OFFSET, Date)


def _decode_answers(rows: list) -> tuple[list[dict], list]:
    """Return the decoded answers of ``rows`` and the rows themselves, without bad rows.

    A row whose answers are not a JSON object (text written past the app, e.g. a lone
    surrogate escape stored before text was checked) is logged with its id and left out:
    one bad row must not take down the dashboards, reports and exports of a whole wave.
    """
    texts = [row[0] for row in rows]
    try:
        decoded = [_decode(text) if text else {} for text in texts]
        if all(type(d) is dict for d in decoded):
            return decoded, rows
    except ValueError:  # msgspec.DecodeError and json.JSONDecodeError are ValueErrors
        pass
    kept_answers, kept_rows, bad = [], [], []
    for row, text in zip(rows, texts):
        try:
            answers = _decode(text) if text else {}
        except ValueError:
            answers = None
        if isinstance(answers, dict):
            kept_answers.append(answers)
            kept_rows.append(row)
        else:
            bad.append(row[-1])
    log.warning("skipped %d response(s) whose answers cannot be read (ids %s)", len(bad),
                ", ".join(map(str, bad[:20])))
    return kept_answers, kept_rows


def _frame(rows: list, questions: list[str], own_channel: bool) -> pd.DataFrame:
    decoded, rows = _decode_answers(rows)
    n = len(rows)
    raw = dict(zip(_ROW_COLUMNS, zip(*rows))) if n else {c: () for c in _ROW_COLUMNS}
    # The answers come as JSON text and are parsed here: the JSON column type would parse
    # them with the standard library, the slowest step of a large export.  Missing answers
    # are filled in by merging over a dict of Nones, and one itemgetter call per row plus
    # zip(*) turn the dicts into columns without a Python-level loop per cell.
    wanted = questions + (["channel"] if own_channel else [])
    empty = dict.fromkeys(wanted)
    # itemgetter of a single key returns the bare value, not a tuple: ask for it twice.
    keys = wanted * 2 if len(wanted) == 1 else wanted
    getter = operator.itemgetter(*keys) if keys else None
    if n and wanted:
        values = [getter({**empty, **answers}) for answers in decoded]
        answer_columns = list(zip(*values))
    else:
        answer_columns = [[] for _ in wanted]
    answers = dict(zip(wanted, answer_columns))
    dates = {d: dt.date.fromisoformat(d) if isinstance(d, str) else d for d in set(raw["local_date"])}
    columns = {
        "unit_code": raw["unit_code"],
        "service_point": raw["point_code"],
        "service_field": raw["field_code"],
        "channel": answers["channel"] if own_channel else raw["channel"],
        "unit_name": raw["unit_name"],
        "mode": raw["mode"],
        "submitted_date": [dates[d] for d in raw["local_date"]],
    }
    for qid in questions:
        columns[qid] = answers[qid]
    return pd.DataFrame({k: _objects(v) for k, v in columns.items()})


def _objects(values) -> pd.Series:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return pd.Series(array, dtype=object, copy=False)


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
    English name where it has one.  One query is run (two with ``service_field``); rows
    are fetched ``chunk_size`` at a time as chunks are consumed.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    questions, own_channel = _question_columns(wave_questionnaire(wave))
    unit_name = Unit.name
    if lang == "en":
        unit_name = func.coalesce(func.nullif(func.trim(Unit.name_en), ""), Unit.name)
    query = (
        select(cast(Response.answers, Text), Response.channel, Response.mode,
               _local_date(db.session.get_bind().dialect.name), Unit.code, unit_name,
               ServicePoint.code, ServiceField.code, Response.id)
        .join(Unit, Unit.id == Response.unit_id)
        .join(ServicePoint, ServicePoint.id == Response.service_point_id)
        .outerjoin(ServiceField, ServiceField.id == Response.service_field_id)
        .order_by(Response.unit_id, Response.id)
    )
    query = scope_query(query, wave, unit_ids, service_field, channel)
    if exclude:
        # Responses the analysis leaves out (confirmed data-quality flags): few ids.
        query = query.where(Response.id.not_in(list(exclude)))
    # yield_per turns on stream_results: a server-side cursor on PostgreSQL.  Core rows
    # (the session's connection, not the ORM) save a third of the time on big waves.
    result = db.session.connection().execute(query.execution_options(yield_per=chunk_size))
    try:
        for rows in result.partitions(chunk_size):
            yield _frame(rows, questions, own_channel)
    finally:
        result.close()


def read_wave_frame(wave: Wave, unit_ids: Collection[int] | None = None, *,
                    exclude: Collection[int] = ()) -> pd.DataFrame:
    """Return the whole responses frame of ``wave`` (see :func:`iter_wave_frames`)."""
    frames = list(iter_wave_frames(wave, unit_ids=unit_ids, exclude=exclude))
    if frames:
        return pd.concat(frames, ignore_index=True)
    return _frame([], *_question_columns(wave_questionnaire(wave)))


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


def wave_weights(wave: Wave, unit_ids: Collection[int] | None = None) -> pd.DataFrame:
    """Design weight of every unit × service-field cell of ``wave`` that has responses."""
    counts = db.session.execute(
        scope_query(select(Unit.code, ServiceField.code, func.count(Response.id)), wave, unit_ids)
        .join(Unit, Unit.id == Response.unit_id)
        .outerjoin(ServiceField, ServiceField.id == Response.service_field_id)
        .group_by(Unit.code, ServiceField.code)
    ).all()
    counts = pd.DataFrame(counts, columns=["unit_code", "service_field", "n"])
    # Weighting pools cells within a unit only, so the cells of a subset of units get the
    # same weights as in the whole wave.
    populations, _ = populations_or_counts(wave_populations(wave), counts)
    return cell_weights(counts, populations)


def _weighted_frames(wave: Wave, unit_ids, chunk_size: int, *, service_field=None, channel=None,
                     lang: str = "vi") -> Iterator[pd.DataFrame]:
    # The weights of the units' whole sample: a field or channel is a domain of it, and its
    # rows keep the weights they have in the unfiltered file.
    weights = wave_weights(wave, unit_ids)
    for frame in iter_wave_frames(wave, chunk_size, unit_ids, service_field=service_field,
                                  channel=channel, lang=lang):
        yield attach_weights(frame, weights)


def iter_wave_csv(wave: Wave, *, lang: str = "vi", unit_ids: Collection[int] | None = None,
                  service_field: str | None = None, channel: str | None = None,
                  chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield the CSV export of ``wave`` (UTF-8 with BOM) piece by piece, for a streaming body.

    ``unit_ids``, ``service_field`` (code) and ``channel`` restrict the rows (see the module).
    """
    plan = ExportPlan(wave_questionnaire(wave), lang)
    frames = _weighted_frames(wave, unit_ids, chunk_size, service_field=service_field,
                              channel=channel, lang=lang)
    yield from iter_csv(frames, plan)


def _max_rows() -> int:
    if has_app_context():
        return int(current_app.config.get("EXPORT_MAX_ROWS_IN_MEMORY", MAX_ROWS_IN_MEMORY))
    return MAX_ROWS_IN_MEMORY


def export_wave(wave: Wave, fmt: str, out, *, lang: str = "vi",
                unit_ids: Collection[int] | None = None, service_field: str | None = None,
                channel: str | None = None, codebook=None,
                max_rows: int | None = None, chunk_size: int = CHUNK_SIZE) -> int:
    """Write the export of ``wave`` in ``fmt`` to ``out`` (a path or binary file); return the rows.

    ``unit_ids``, ``service_field`` (code) and ``channel`` restrict the rows (see the module);
    with ``lang="en"`` the unit names are the English ones where a unit has one.

    ``codebook`` (CSV only): where to write ``codebook.csv`` too.  ``max_rows`` caps SPSS
    and Stata exports (default: the app's ``EXPORT_MAX_ROWS_IN_MEMORY``).

    Raises
    ------
    ExportTooLarge
        SAV/DTA above ``max_rows``, or XLSX above Excel's sheet size.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    plan = ExportPlan(wave_questionnaire(wave), lang)
    subset = {"service_field": service_field, "channel": channel}

    def weighted():
        return _weighted_frames(wave, unit_ids, chunk_size, lang=lang, **subset)

    if fmt == "csv":
        counted = _counting(weighted())
        pieces = iter_csv(counted, plan)
        if isinstance(out, (str, os.PathLike)):
            with open(out, "wb") as fh:
                for piece in pieces:
                    fh.write(piece)
        else:
            for piece in pieces:
                out.write(piece)
        rows = counted.rows
        if codebook is not None:
            write_codebook_csv(plan, codebook)
        return rows
    total = count_responses(wave, unit_ids, **subset)
    limit = XLSX_MAX_ROWS if fmt == "xlsx" else (max_rows if max_rows is not None else _max_rows())
    if total > limit:
        raise ExportTooLarge(fmt, total, limit)
    if fmt == "xlsx":
        return write_xlsx(weighted(), plan, out)
    frames = list(weighted())
    frame = pd.concat(frames, ignore_index=True) if frames else read_wave_frame(wave, unit_ids)
    writer = write_sav if fmt == "sav" else write_dta
    return writer(frame, plan, out)


class _counting:
    """Wraps an iterator of frames and counts the rows that went through."""

    def __init__(self, frames):
        self.frames, self.rows = iter(frames), 0

    def __iter__(self):
        for frame in self.frames:
            self.rows += len(frame)
            yield frame
