"""Database → analysis glue: a wave's inputs as frames, SIPAS results, and PDF reports.

The web pages (dashboard, report download) and the ``flask report`` commands all come
here, so a report from the command line and one from the browser are the same bytes for
the same data. Inputs of a wave are read once per request (kept in ``flask.g``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from flask import current_app, g, has_app_context
from sqlalchemy import select

from analysis.report import BulkRenderError, build_report, render_many, render_pdf
from analysis.sipas import (SipasInputError, SipasOptions, SipasResult, compute_sipas,
                            domain_breakdown, response_counts)
from analysis.sipas.breakdown import subtree_codes
from questionnaires import Questionnaire

from ..extensions import db
from ..models import ServiceField, Unit, Wave
from . import flag_reviews, results_cache
from .modes import mode_counts
from .wave_data import read_wave, wave_info, wave_questionnaire
from .responses import response_channel

__all__ = ["WaveInputs", "ReportError", "wave_inputs", "compute_results", "compute_breakdowns",
           "cached_result", "domain_mask", "wave_breakdowns", "wave_history", "field_names", "design_tables", "wave_result", "wave_info",
           "unit_report_pdf", "bulk_reports", "request_caches", "reuse_request_caches",
           "wave_results", "unit_report_from", "latest_wave", "top_unit", "report_filename"]

_CACHE_ATTR = "_report_wave_inputs"
_HISTORY_ATTR = "_report_wave_history"


# The wave inputs, histories and results-cache entries (survey/services/results_cache.py)
# an app context has read.
_REQUEST_CACHES = (_CACHE_ATTR, _HISTORY_ATTR, "_results_cache")


def request_caches() -> dict:
    """The wave inputs, histories and cached results read in this app context (for reuse)."""
    return {name: g.get(name) for name in _REQUEST_CACHES if name in g}


def reuse_request_caches(saved: dict) -> None:
    """Start this app context with caches of an earlier one (a worker's next report of the
    same bulk job: the wave is read and computed once per job, not once per report)."""
    for name, value in saved.items():
        setattr(g, name, dict(value))


class ReportError(Exception):
    """A report cannot be made (unknown unit or wave, data the engine refuses)."""


@dataclass
class WaveInputs:
    """Everything ``compute_sipas`` needs for one wave, as plain frames."""

    responses: pd.DataFrame
    populations: pd.DataFrame
    units: pd.DataFrame
    questionnaire: Questionnaire
    options: SipasOptions
    unweighted: bool = False        # no dossier counts: every response weighs the same
    info: dict = field(default_factory=dict)
    quality: dict = field(default_factory=dict)     # flag_reviews.summary of the wave


def _options() -> SipasOptions:
    """Methodological options from ``SIPAS_OPTIONS`` in the app config (a dict), if any."""
    config = current_app.config.get("SIPAS_OPTIONS") if has_app_context() else None
    return SipasOptions(**(config or {}))


def wave_inputs(wave: Wave) -> WaveInputs:
    """Read the responses, populations and unit tree of ``wave`` (once per request)."""
    cache = g.setdefault(_CACHE_ATTR, {}) if has_app_context() else {}
    if wave.id in cache:
        return cache[wave.id]
    # Flagged responses are left out or kept by ``QUALITY_EXCLUDE`` (flag_reviews).
    quality = flag_reviews.summary(wave)
    data = read_wave(wave, exclude=flag_reviews.excluded_ids(wave, quality["mode"]))
    inputs = WaveInputs(responses=data.responses, populations=data.populations,
                        units=data.units, questionnaire=data.questionnaire, options=_options(),
                        unweighted=data.unweighted, info=data.info, quality=quality)
    cache[wave.id] = inputs
    return inputs


def domain_mask(frame: pd.DataFrame, *, field: str | None = None,
                channel: str | None = None, mode: str | None = None) -> np.ndarray | None:
    """The responses of one service field, channel and/or collection mode (a bool per row),
    None for all."""
    if field is None and channel is None and mode is None:
        return None
    mask = np.ones(len(frame), dtype=bool)
    if field is not None:
        mask &= (frame["service_field"].astype("string") == field).fillna(False).to_numpy(bool)
    if channel is not None:
        mask &= (frame["channel"].map(response_channel) == channel).to_numpy(bool)
    if mode is not None:
        mask &= (frame["mode"].astype("string") == mode).fillna(False).to_numpy(bool)
    return mask


def wave_result(wave: Wave, previous: SipasResult | None = None, *, field: str | None = None,
                channel: str | None = None, options: SipasOptions | None = None,
                mode: str | None = None) -> SipasResult | None:
    """The SIPAS result of ``wave`` (None without responses); rank changes against ``previous``.

    ``field`` and ``channel`` restrict every figure to one service field and/or channel
    as a *domain of the full design*: the weights, strata and fpc are those of the whole
    wave (the weights of the exports), only the totals are restricted. So a filtered
    dashboard, the filtered PDF and a filtered export give the same figures.
    """
    inputs = wave_inputs(wave)
    frame = inputs.responses
    mask = domain_mask(frame, field=field, channel=channel, mode=mode)
    if len(frame) == 0 or (mask is not None and not mask.any()):
        return None
    try:
        result = compute_sipas(frame, inputs.questionnaire, inputs.units, inputs.populations,
                               previous=previous, options=options or inputs.options,
                               wave=wave.code, domain=mask)
    except SipasInputError as error:
        raise ReportError(f"wave {wave.code}: {error}") from error
    if inputs.unweighted:
        result.meta["unweighted"] = True
    if inputs.quality:
        result.meta["quality"] = inputs.quality
    return result


def compute_breakdowns(wave: Wave, *, options: SipasOptions | None = None,
                       progress: Callable[[int], None] | None = None) -> dict:
    """Compute the tables by service field and by channel (domain estimates of the full
    design) and the responses against dossiers of ``wave``, with its unit frame.

    Returns ``{"by_field", "by_channel", "counts", "units", "unweighted", "problem"}``
    (plain frames; empty tables and the engine's message in ``problem`` when it refuses
    the data).  The results cache stores this; read it with :func:`wave_breakdowns`.
    """
    inputs = wave_inputs(wave)
    if progress is not None:
        progress(40)
    options = options or inputs.options
    frame = inputs.responses
    empty = pd.DataFrame(columns=["domain", "unit_code", "kind", "id", "value"])
    out = {"by_field": empty, "by_channel": empty,
           "counts": response_counts(frame, inputs.populations),
           "units": inputs.units, "unweighted": inputs.unweighted, "problem": None}
    if len(frame):
        args = (frame, inputs.questionnaire, inputs.units, inputs.populations)
        try:
            out["by_field"] = domain_breakdown(*args, "service_field", options=options)
            if progress is not None:
                progress(70)
            out["by_channel"] = domain_breakdown(*args, frame["channel"].map(response_channel),
                                                 options=options)
        except SipasInputError as error:
            out["by_field"] = out["by_channel"] = empty
            out["problem"] = f"wave {wave.code}: {error}"
    return out


def wave_breakdowns(wave: Wave, *, unit: str | None = None, wait: bool | None = True) -> dict:
    """Tables by service field and by channel (domain estimates of the full design), and the
    responses against dossiers, of ``wave``, from the shared results cache (with ``unit``:
    that unit's part, see :mod:`survey.services.unit_parts`).  ``wait=None``: a big wave's
    new version is computed in the background (the last one is shown meanwhile, else
    :class:`~survey.services.results_cache.Computing` is raised), as for its results.

    Returns ``{"by_field", "by_channel", "counts", ...}`` as DataFrames (empty without
    responses); see :func:`compute_breakdowns`.  Raises :class:`ReportError` when the
    engine refuses the wave's data.
    """
    out = results_cache.breakdowns(wave, wait=wait, unit=unit)
    if out.get("problem"):
        raise ReportError(out["problem"])
    return out


def compute_results(wave: Wave, previous: SipasResult | None = None, *, field: str | None = None,
                    channel: str | None = None, options: SipasOptions | None = None,
                    progress: Callable[[int], None] | None = None,
                    mode: str | None = None) -> results_cache.Computed:
    """Compute the SIPAS results of ``wave`` under the filters as the cache stores them: the
    result, the number of responses in the domain, or why there is none."""
    inputs = wave_inputs(wave)
    if progress is not None:
        progress(40)
    mask = domain_mask(inputs.responses, field=field, channel=channel, mode=mode)
    n = len(inputs.responses) if mask is None else int(mask.sum())
    if n == 0:
        return results_cache.Computed(None, 0)
    try:
        result = wave_result(wave, previous, field=field, channel=channel, options=options,
                             mode=mode)
    except ReportError as error:
        # Data the engine cannot analyse (e.g. responses of a unit without dossiers) is a
        # state to explain to the official, not a server error; the log keeps the details.
        if has_app_context():
            current_app.logger.warning("wave %s cannot be analysed: %s", wave.code, error)
        return results_cache.Computed(None, n, str(error.__cause__ or error))
    return results_cache.Computed(result, n)


def cached_result(wave: Wave, previous: Wave | None = None, *, field: str | None = None,
                  channel: str | None = None, mode: str | None = None) -> SipasResult | None:
    """The SIPAS result of ``wave`` from the shared cache (computed there when missing);
    raises :class:`ReportError` when the engine refuses the data."""
    computed = results_cache.sipas(wave, field=field, channel=channel, previous=previous,
                                   mode=mode, wait=True)
    if computed.problem is not None:
        raise ReportError(f"wave {wave.code}: {computed.problem}")
    return computed.result


def design_tables(wave: Wave, unit_code: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The units and populations files ``python -m analysis indices`` needs, for ``wave``.

    Restricted to ``unit_code``'s subtree when given (that unit becomes the root), so
    they go with the responses export of the same unit. Units: ``code, name, name_en,
    kind, parent_code``; populations: ``unit_code, service_field, dossiers`` (one dossier
    per response when the wave has no dossier counts, as the reports weigh them).
    """
    inputs = wave_inputs(wave)
    units, pops = inputs.units.copy(), inputs.populations.copy()
    if unit_code is not None:
        keep = set(subtree_codes(units, unit_code))
        units = units[units["code"].isin(keep)].copy()
        units.loc[units["code"] == unit_code, "parent_code"] = None
        pops = pops[pops["unit_code"].isin(keep)]
    return (units[["code", "name", "name_en", "kind", "parent_code"]].reset_index(drop=True),
            pops[["unit_code", "service_field", "dossiers"]].reset_index(drop=True))


def field_names(lang: str = "vi") -> dict[str, str]:
    """Service field code -> name in ``lang`` (the Vietnamese name where no English one)."""
    rows = db.session.execute(select(ServiceField.code, ServiceField.name, ServiceField.name_en)).all()
    return {r.code: (r.name_en if lang == "en" and r.name_en else r.name) or r.code for r in rows}


def wave_history(waves: list[Wave], *, field: str | None = None,
                 channel: str | None = None) -> list[tuple[Wave, SipasResult | None]]:
    """The results of ``waves`` (oldest first) under the same filters, for the trend."""
    cache = g.setdefault(_HISTORY_ATTR, {}) if has_app_context() else {}
    out = []
    for k, wave in enumerate(waves):
        key = (wave.id, field, channel)
        # The last wave's result is the one with rank changes its report reads: one entry.
        previous = waves[k - 1] if k == len(waves) - 1 and k > 0 else None
        if key not in cache:
            try:
                cache[key] = cached_result(wave, previous, field=field, channel=channel)
            except ReportError:
                cache[key] = None
        out.append((wave, cache[key]))
    return out


def _results(wave: Wave, compare: Wave | None, *, field: str | None = None,
             channel: str | None = None) -> tuple[SipasResult | None, SipasResult | None]:
    prev = cached_result(compare, field=field, channel=channel) if compare is not None else None
    return cached_result(wave, compare, field=field, channel=channel), prev


def _filters_info(field: str | None, channel: str | None) -> dict | None:
    """The report's description of a field/channel subset (plain data), None for the whole wave."""
    if field is None and channel is None:
        return None
    info = {"field": None, "channel": channel}
    if field is not None:
        row = db.session.execute(select(ServiceField.code, ServiceField.name, ServiceField.name_en)
                                 .where(ServiceField.code == field)).first()
        if row is None:
            raise ReportError(f"unknown service field {field!r}")
        info["field"] = {"code": row.code, "name": row.name, "name_en": row.name_en}
    return info


def unit_report_pdf(unit: Unit, wave: Wave, compare: Wave | None = None, lang: str = "vi", *,
                    field: str | None = None, channel: str | None = None) -> bytes:
    """The PDF report of ``unit`` for ``wave`` (optionally against ``compare``), as bytes.

    ``field`` (a service field code) and ``channel`` restrict both waves to those responses;
    the report names the subset on its cover and in its methods section.  A unit without
    responses gets a short report that says so.
    """
    if wave.units and not wave.covers(unit):
        raise ReportError(f"unit {unit.code} is outside the scope of wave {wave.code}")
    filters = _filters_info(field, channel)
    result, prev = _results(wave, compare, field=field, channel=channel)
    return render_pdf(_report_context(result, prev, unit.code, wave, compare, lang, filters))


def wave_results(wave: Wave, compare: Wave | None = None) -> tuple[SipasResult | None, SipasResult | None]:
    """The whole wave's result and ``compare``'s, as every report of a bulk run uses them."""
    return _results(wave, compare)


def unit_report_from(results: tuple, unit: Unit, wave: Wave, compare: Wave | None = None,
                     lang: str = "vi") -> bytes:
    """The PDF report of ``unit`` from ``results`` of :func:`wave_results` (a bulk job's
    report: the same bytes as :func:`unit_report_pdf` for the whole wave)."""
    if wave.units and not wave.covers(unit):
        raise ReportError(f"unit {unit.code} is outside the scope of wave {wave.code}")
    result, prev = results
    return render_pdf(_report_context(result, prev, unit.code, wave, compare, lang))


def report_filename(unit_code: str, wave_code: str, lang: str) -> str:
    """A safe file name for a unit's report: ``bao-cao_<unit>_<wave>_<lang>.pdf``."""
    def safe(s):
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", s).strip("-.") or "x"
    return f"bao-cao_{safe(unit_code)}_{safe(wave_code)}_{lang}.pdf"


def _report_context(result, prev, unit_code: str, wave: Wave, compare: Wave | None,
                    lang: str, filters: dict | None = None, *, extras: bool = True) -> dict:
    """The plain-data context of one unit's report (cheap; the PDF is the costly part).

    With ``extras`` the report has the tables by field and channel, responses against
    dossiers and the trend across the waves up to ``wave`` (same filters).
    """
    breakdowns = history = None
    cached = results_cache.breakdowns(wave, wait=True)
    if extras:
        breakdowns = dict(wave_breakdowns(wave), field_names=field_names(lang))
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is not None:
            breakdowns["modes"] = mode_counts(wave, unit.descendant_ids())
        history = [(wave_info(w), r) for w, r in
                   wave_history(_waves_until(wave),
                                field=((filters or {}).get("field") or {}).get("code"),
                                channel=(filters or {}).get("channel"))]
    return build_report(result, unit_code, questionnaire=wave_questionnaire(wave),
                        units=cached["units"], lang=lang, compare=prev,
                        wave=wave_info(wave), compare_wave=wave_info(compare), filters=filters,
                        breakdowns=breakdowns, history=history)


def _waves_until(wave: Wave) -> list[Wave]:
    """Waves with the same scope that started no later than ``wave``, oldest first."""
    scope = {u.id for u in wave.units}
    waves = [w for w in db.session.scalars(select(Wave)).all()
             if {u.id for u in w.units} == scope and (w.status != "draft" or w.id == wave.id)]
    key = lambda w: (w.starts_on is not None, w.starts_on or 0, w.id)   # noqa: E731
    return sorted([w for w in waves if key(w) <= key(wave)] or [wave], key=key)


def bulk_reports(wave: Wave, units: list[Unit], out_dir: str | Path, *, compare: Wave | None = None,
                 lang: str = "vi", progress: Callable[[Unit], None] | None = None,
                 workers: int | None = None) -> list[Path]:
    """Write one PDF per unit into ``out_dir``; the wave is computed once for all of them.

    The contexts are built here and rendered by ``workers`` processes (default: one per
    CPU; 1 renders here, one after another). ``progress(unit)`` is called as each report
    is written, in the order they finish; the returned paths follow ``units``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result, prev = _results(wave, compare)
    units = list(units)
    paths = [out / report_filename(unit.code, wave.code, lang) for unit in units]
    contexts = (_report_context(result, prev, unit.code, wave, compare, lang) for unit in units)
    if workers is None:
        workers = os.cpu_count() or 1
    workers = min(workers, max(len(units), 1))      # no pool for a single report
    try:
        # Each PDF is written as soon as it is back, so only the reports in flight are
        # held in memory.
        for index, pdf in render_many(contexts, workers=workers):
            paths[index].write_bytes(pdf)
            if progress is not None:
                progress(units[index])
    except BulkRenderError as error:
        raise ReportError(str(error)) from error
    return paths


def latest_wave() -> Wave | None:
    """The wave that started last (the newest by id among equal or missing dates)."""
    waves = db.session.scalars(select(Wave)).all()
    if not waves:
        return None
    return max(waves, key=lambda w: (w.starts_on is not None, w.starts_on or 0, w.id))


def top_unit(wave: Wave) -> Unit | None:
    """The wave's first root unit, or the first root of the unit tree."""
    if wave.units:
        return sorted(wave.units, key=lambda u: u.code)[0]
    return db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.code)).first()
