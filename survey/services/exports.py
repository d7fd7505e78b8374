"""Exporting a wave's responses (CSV, XLSX, SPSS, Stata) with their design weights.

The responses frame is read by :mod:`survey.services.wave_data` (the one place that reads
a wave, shared with the dashboards and reports); its reading functions stay importable
from here.  The file formats themselves live in :mod:`analysis.exports`.

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

import logging
import os
from collections.abc import Collection, Iterator

import pandas as pd
from flask import current_app, has_app_context
from sqlalchemy import func, select

from analysis.exports import (ExportError, ExportPlan, XLSX_MAX_ROWS, attach_weights, cell_weights,
                              iter_csv, write_codebook_csv, write_dta, write_sav, write_xlsx)

from ..extensions import db
from ..models import Response, ServiceField, Unit, Wave
# The reading of a wave lives in ``wave_data``; its names stay importable from here.
from .wave_data import (CHUNK_SIZE, count_responses, iter_wave_frames,  # noqa: F401
                        populations_or_counts, read_wave_frame, scope_query, wave_populations,
                        wave_questionnaire)

__all__ = ["CHUNK_SIZE", "FORMATS", "MAX_ROWS_IN_MEMORY", "ExportTooLarge", "count_responses",
           "export_wave", "iter_wave_csv", "iter_wave_frames", "populations_or_counts",
           "read_wave_frame",
           "wave_populations", "wave_questionnaire", "wave_weights"]

log = logging.getLogger(__name__)

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
                     lang: str = "vi", cached: bool = True) -> Iterator[pd.DataFrame]:
    # The weights of the units' whole sample: a field or channel is a domain of it, and its
    # rows keep the weights they have in the unfiltered file.
    weights = wave_weights(wave, unit_ids)
    for frame in iter_wave_frames(wave, chunk_size, unit_ids, service_field=service_field,
                                  channel=channel, lang=lang, cached=cached):
        yield attach_weights(frame, weights)


def iter_wave_csv(wave: Wave, *, lang: str = "vi", unit_ids: Collection[int] | None = None,
                  service_field: str | None = None, channel: str | None = None,
                  chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield the CSV export of ``wave`` (UTF-8 with BOM) piece by piece, for a streaming body.

    ``unit_ids``, ``service_field`` (code) and ``channel`` restrict the rows (see the module).
    """
    plan = ExportPlan(wave_questionnaire(wave), lang)
    # Streamed from the database, not the columnar cache: memory stays flat at any size.
    frames = _weighted_frames(wave, unit_ids, chunk_size, service_field=service_field,
                              channel=channel, lang=lang, cached=False)
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

    def weighted(cached: bool = True):
        return _weighted_frames(wave, unit_ids, chunk_size, lang=lang, cached=cached, **subset)

    if fmt == "csv":
        # Streamed from the database (flat memory, any size), like iter_wave_csv.
        counted = _counting(weighted(cached=False))
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
