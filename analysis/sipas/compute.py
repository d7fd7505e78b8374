"""The public entry point: :func:`compute_sipas`, from a wave's responses to a result."""

from __future__ import annotations

import datetime as _dt
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .diagnostics import compute_diagnostics
from .domains import DomainSet, estimate_table, restrict_plan
from .drivers import drivers_outcome, key_drivers
from .indicators import plan_expectations, plan_indicators
from .indices import plan_indices
from .inputs import SipasInputError, build_tree, check_populations, check_responses
from .linearized import design_arrays
from .points import par_points
from .rankings import rank_units
from .comparability import comparable_keys, restrict_previous, signatures
from .result import SipasOptions, SipasResult
from .weighting import design_weights, rake, trim

__all__ = ["PreparedDesign", "compute_sipas", "prepare_design"]


def compute_sipas(responses: pd.DataFrame, questionnaire, units: pd.DataFrame,
                  populations: pd.DataFrame, *, previous: SipasResult | None = None,
                  options: SipasOptions | None = None, wave: str | None = None,
                  domain=None) -> SipasResult:
    """Compute the SIPAS tables of one wave.

    Parameters
    ----------
    responses : DataFrame
        The responses frame (``unit_code, service_point, service_field, channel`` and one
        column per question; see docs/internals.md).
    questionnaire : Questionnaire
        The definition; its ``analysis`` block says how indices combine.
    units : DataFrame
        The unit tree ``code, name, name_en, kind, parent_code``.
    populations : DataFrame
        Dossiers resolved per ``unit_code, service_field``.
    previous : SipasResult, optional
        The previous wave's result, for rank changes.
    options : SipasOptions, optional
    wave : str, optional
        The wave code, recorded in ``meta``.
    domain : array_like of bool, optional
        One value per response: restrict every figure to these responses (a service
        field, a channel) as a *domain* of the full design. Weights, strata and the
        fpc come from all responses; the responses outside the domain count for zero in
        every total but stay in the design (as R's ``subset()`` of a design or
        ``svyby``), so the estimate equals the ratio of the domain's weighted totals
        with the full-wave weights (the exported ``weight`` column).

    Returns
    -------
    SipasResult

    Raises
    ------
    SipasInputError
        Any input that cannot be analysed, with a message naming the problem.

    Notes
    -----
    Design: strata are the weighting cells, the respondent (or, with ``cluster=True``, the
    service point within the cell) is the PSU, and the fpc uses the cell's dossiers.
    Every index is a linear combination of ratio estimators, linearised (see
    :mod:`analysis.sipas.linearized`); raked or trimmed weights are treated as fixed.
    Intervals: single shares (criteria under "share", indicators, expectations) use the
    logit transform with t on the domain's design df (PSUs minus strata holding
    respondents), exactly ``svyciprop(method="logit")`` and
    :func:`analysis.intervals.proportion_interval` (undefined for 0 % or 100 %); element
    and overall indices and mean scores use the Normal interval, clipped to [0, 100].
    A unit is compared with its parent by a t test (the unit's df) on the difference of
    the two domain estimates, linearised jointly so that the overlap is accounted for.
    All values, SEs and limits are on the 0-100 scale.
    """
    opts = options or SipasOptions()
    if not isinstance(opts, SipasOptions):
        raise TypeError("options must be a SipasOptions")
    spec = getattr(questionnaire, "analysis", None)
    if spec is None:
        raise SipasInputError("the questionnaire has no analysis block")
    prep = prepare_design(responses, units, populations, opts, domain)
    tree, responses, unit_index, pops = prep.tree, prep.responses, prep.unit_index, prep.pops
    w, weights, record, design, domain = (prep.weights_info, prep.weights, prep.record,
                                          prep.design, prep.domain)
    domains = DomainSet.from_tree(tree, unit_index)

    plan = plan_indices(responses, spec)
    ind_plan = plan_indicators(responses, spec)
    exp_plan = plan_expectations(responses, questionnaire, spec)
    if domain is not None:
        for p in (plan, ind_plan, exp_plan):
            if p:
                restrict_plan(p, domain)
    passes = len(domains.levels) * (len(plan.ids) + len(ind_plan.ids)
                                    + (len(exp_plan.ids) if exp_plan else 0))
    common = dict(design=design, domains=domains, standard=opts.standard(),
                  alpha=opts.alpha, level=opts.confidence, method=opts.interval,
                  min_events=opts.min_events, multiple=opts.multiple)
    with _progress(opts.progress, passes) as bar:
        tick = bar.update if bar is not None else None
        indices = estimate_table(plan.num, plan.den, plan.coefficients, plan.ids,
                                 logit=plan.logit, components=len(plan.num),
                                 progress=tick, **common)
        indicators = (estimate_table(ind_plan.num, ind_plan.den, ind_plan.coefficients,
                                     ind_plan.ids, logit=[True] * len(ind_plan.ids),
                                     progress=tick, **common)
                      if ind_plan.ids else indices.iloc[:0].copy())
        expectations = (estimate_table(exp_plan.num, exp_plan.den, exp_plan.coefficients,
                                       exp_plan.ids, logit=[True] * len(exp_plan.ids),
                                       progress=tick, **common)
                        if exp_plan and exp_plan.ids else indices.iloc[:0].copy())

    directions = {i.id: i.direction for i in spec.indicators}
    sigs = signatures(questionnaire)
    own_meta = {"signatures": sigs,
                "questionnaire": {"content_hash": getattr(questionnaire, "content_hash", None)}}
    # A rank changes only against the same measure: one whose definition changed since
    # the previous wave (e.g. an "overall" of other criteria) has no previous rank.
    previous_ranks = (None if previous is None else restrict_previous(
        previous.rankings, comparable_keys(own_meta, previous.meta)))
    points = par_points(indices, spec)
    rankings = rank_units(pd.concat([indices, indicators, points], ignore_index=True), tree,
                          directions, previous=previous_ranks,
                          rank_small_samples=opts.rank_small_samples,
                          draws=opts.rank_draws, seed=opts.rank_seed)
    scope = indices[(indices["depth"] == -1) & (indices["kind"] == "element")]
    outcome = drivers_outcome(questionnaire, spec, opts.drivers_outcome)
    if opts.drivers:
        rows = slice(None) if domain is None else domain
        drivers, drivers_record = key_drivers(
            responses if domain is None else responses.loc[domain],
            plan if domain is None else restrict_plan(plan, domain, rows=True), spec,
            weights[rows], outcome, dict(zip(scope["id"], scope["value"])),
            psu=design.codes.psu[rows] if opts.cluster else None, missing=opts.drivers_missing)
    else:
        drivers, drivers_record = pd.DataFrame(), {"fitted": False, "reason": "not requested"}

    unit_frame = tree.frame.copy()
    unit_frame["responses"] = np.bincount(unit_index if domain is None else unit_index[domain],
                                          minlength=tree.codes.size)
    unit_frame["dossiers"] = (pops.groupby("unit_code")["dossiers"].sum()
                              .reindex(unit_frame["code"]).fillna(0).to_numpy())
    meta = {
        "questionnaire": {"id": questionnaire.id, "version": questionnaire.version,
                          "content_hash": getattr(questionnaire, "content_hash", None)},
        "signatures": sigs,
        "wave": wave, "computed_at": _dt.datetime.now(_dt.timezone.utc).isoformat(),
        "n_responses": int(len(responses) if domain is None else domain.sum()),
        "options": opts.to_dict(),
        "domain": None if domain is None else {
            "rows": int(domain.sum()), "of": int(domain.size),
            "method": "domain of the full design (weights, strata and fpc of all responses)"},
        "analysis": {"method": spec.method, "satisfied": list(spec.satisfied),
                     "overall": spec.overall, "scale": "0-100"},
        "design": {"strata": "weighting cells (unit × service field, collapsed)",
                   "psu": "service point within cell" if opts.cluster else "respondent",
                   "fpc": bool(opts.fpc and not opts.cluster), "lonely_psu": opts.lonely_psu,
                   "variance": "Taylor linearisation, stratified between-PSU",
                   "df": "per domain: PSUs minus strata in the domain",
                   "calibration": (record.choices.get("raking") or {}).get("margins", [])},
        "intervals": {"level": opts.confidence,
                      "shares": f"{opts.interval} (svyciprop), t quantiles on the domain's "
                                "design df; Korn-Graubard with n_eff = n at 0 or 100 and "
                                "for shares near them (< 5 effective events)",
                      "combinations": "value ± t(df)·se, clipped to [0, 100]; se includes "
                                      "the Agresti-Coull variance of criteria at or near "
                                      "0/100 % (se_linearized without it)"},
        "parent_test": {"alpha": opts.alpha, "min_events": opts.min_events,
                        "multiple": opts.multiple,
                        "family": "one measure among the units of one kind under one parent",
                        "method": "t on the jointly linearised difference unit − parent "
                                  "(overlap accounted for), df of the unit; shares use the "
                                  "unit's variance under the null"},
        "standard": {"name": "NCHS Data Presentation Standards for Proportions (2017)"}
        | opts.standard().to_dict(),
        "rankings": {"draws": opts.rank_draws, "seed": opts.rank_seed,
                     "league": "units of the same kind under the same parent",
                     "interval": "2.5 and 97.5 percentiles of ranks simulated from "
                                 "Normal(value, se)"},
        "drivers": drivers_record,
        "par_points": None if spec.par_points is None else {
            "edition": spec.par_points.edition, "source": spec.par_points.source,
            "max_total": spec.par_points.max_total,
            "components": {c.id: dict(c.label) for c in spec.par_points.components}},
    }
    meta["diagnostics"] = {
        "weighting": "Kish design effect of unequal weights n·Σw²/(Σw)² = 1 + CV², and "
                     "effective n (Σw)²/Σw², per unit's subtree (whole wave)",
        "alpha": "Cronbach's alpha of each element's criteria (1-5 answers, complete "
                 "respondents, unweighted; the domain's respondents in a filtered view)",
        "response_counts": "responses, dossiers and sampling fraction per unit × field"}
    diagnostics = compute_diagnostics(responses if domain is None else responses.loc[domain],
                                      spec, weights, domains, record.cells)
    return SipasResult(indices=indices, indicators=indicators, expectations=expectations,
                       rankings=rankings, drivers=drivers, units=unit_frame, points=points,
                       weighting=record.to_dict(cells=False) | {"cells": record.cells},
                       meta=meta, diagnostics=diagnostics)



@dataclass
class PreparedDesign:
    """The checked inputs and the design of a computation (see :func:`prepare_design`)."""

    tree: object
    responses: pd.DataFrame
    unit_index: np.ndarray
    pops: pd.DataFrame
    weights_info: object
    weights: np.ndarray
    record: object
    design: object
    domain: np.ndarray | None


def prepare_design(responses: pd.DataFrame, units: pd.DataFrame, populations: pd.DataFrame,
                   opts: SipasOptions, domain=None) -> PreparedDesign:
    """Check the inputs and build the weights and the design arrays, as compute_sipas does."""
    tree = build_tree(units)
    if domain is not None:
        domain = np.asarray(domain, dtype=bool).ravel()
        if domain.size != len(responses):
            raise SipasInputError("domain needs one true/false value per response")
    responses, unit_index = check_responses(responses, tree)
    if domain is not None and len(responses) != domain.size:
        raise SipasInputError("domain cannot be combined with responses the checks drop")
    pops = check_populations(populations, tree)
    if opts.cluster and "service_point" not in responses.columns:
        raise SipasInputError("cluster=True needs the column 'service_point' in the responses")

    w, keep = design_weights(responses, unit_index, pops, tree, min_cell_n=opts.min_cell_n,
                             missing_population=opts.missing_population)
    if not keep.all():
        responses = responses.loc[keep]
        unit_index = unit_index[keep]
        if domain is not None:
            domain = domain[keep]
        if len(responses) == 0:
            raise SipasInputError("no responses left after dropping units without dossiers")
    weights = w.weights
    record = w.record
    calibration = ()
    if opts.rake_margins:
        variables = {c: responses[c].to_numpy(dtype=object) for c in opts.rake_margins
                     if c in responses.columns}
        weights, step, record.choices["raking"] = rake(weights, w.stratum, variables,
                                                       opts.rake_margins)
        if step is not None:
            calibration = (step,)
            record.notes.append("weights raked to the margins "
                                + ", ".join(record.choices["raking"]["margins"])
                                + "; SEs from the raking residuals")
    if opts.trim:
        weights, record.choices["trimming"] = trim(weights, opts.trim)
    psu = None
    if opts.cluster:
        psu = pd.factorize(responses["service_point"], use_na_sentinel=False)[0]
    design = design_arrays(weights, w.stratum, psu,
                           population=w.population if (opts.fpc and not opts.cluster) else None,
                           lonely_psu={"fail": None, "certainty": "remove"}.get(
                               opts.lonely_psu, opts.lonely_psu), calibration=calibration)
    return PreparedDesign(tree=tree, responses=responses, unit_index=unit_index, pops=pops,
                          weights_info=w, weights=weights, record=record, design=design,
                          domain=domain)

def _progress(enabled: bool, total: int):
    if not enabled:
        return nullcontext(None)
    from tqdm import tqdm
    return tqdm(total=total, desc="SIPAS estimates", unit="pass")
