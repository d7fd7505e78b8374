"""Tables by service field and by channel, and responses against dossiers.

:func:`domain_breakdown` estimates the indices of every unit for each value of a column
(service field, channel) as *domains of the full design* (:func:`compute_sipas` with
``domain=``), so a row of the table is the same figure as the dashboard or report
filtered to that value. :func:`response_counts` puts the responses of each unit and
service field beside its dossiers (the sampling fraction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .compute import prepare_design
from .domains import DomainSet, estimate_table
from .indices import plan_indices
from .result import SipasOptions

__all__ = ["domain_breakdown", "response_counts", "subtree_codes", "unit_counts"]


def domain_breakdown(responses: pd.DataFrame, questionnaire, units: pd.DataFrame,
                     populations: pd.DataFrame, by, *, options: SipasOptions | None = None,
                     kinds=("overall", "element")) -> pd.DataFrame:
    """Indices of every unit for each value of ``by``, each a domain of the full design.

    Parameters
    ----------
    responses, questionnaire, units, populations, options
        As for :func:`compute_sipas`.
    by : str or array_like
        A column of ``responses`` or one value per response (e.g. channels already
        mapped); rows with a missing value belong to no domain.
    kinds : tuple of str
        Which kinds of index rows to keep.

    Returns
    -------
    DataFrame
        Rows as in ``result.indices`` (value, SE, CI, df, n, n_eff, status, ...) with a
        first column ``domain``; no test against the parent (those columns are empty).

    Notes
    -----
    Every (unit, value) pair is one domain: the levels of the unit tree are crossed with
    the values and estimated in one batched pass (the design is that of all responses),
    so a row equals ``compute_sipas(..., domain=by == value)`` for that unit (tested).
    """
    opts = options or SipasOptions()
    spec = questionnaire.analysis
    values = (responses[by] if isinstance(by, str) else pd.Series(np.asarray(by, dtype=object),
                                                                  index=responses.index))
    values = values.astype(object).where(values.notna(), None)
    prep = prepare_design(responses, units, populations, opts)
    kept = values.loc[prep.responses.index] if len(prep.responses) != len(values) else values
    present = sorted({v for v in kept if v is not None}, key=str)
    if not present:
        return pd.DataFrame(columns=["domain", "unit_code", "kind", "id", "value"])
    category = pd.Index(present).get_indexer(kept.to_numpy(dtype=object))
    C = len(present)
    base = DomainSet.from_tree(prep.tree, prep.unit_index)
    levels, codes = [], []
    for (level_codes, D), unit_codes in zip(base.levels, base.unit_codes):
        crossed = np.where((level_codes >= 0) & (category >= 0), level_codes * C + category, -1)
        levels.append((crossed, D * C))
        codes.append(np.array([f"{u}\x1f{c}" for u in unit_codes for c in range(C)],
                              dtype=object))
    crossed = DomainSet(levels=levels, parents=[None] * len(levels), unit_codes=codes,
                        depths=base.depths,
                        families=[np.repeat(f, C) for f in base.families])
    plan = plan_indices(prep.responses, spec)
    table = estimate_table(plan.num, plan.den, plan.coefficients, plan.ids, prep.design, crossed,
                           logit=plan.logit, components=len(plan.num), standard=opts.standard(), alpha=opts.alpha,
                           level=opts.confidence, method=opts.interval,
                           min_events=opts.min_events, multiple=opts.multiple)
    table = table[table["kind"].isin(kinds)].copy()
    split = table["unit_code"].str.split("\x1f", n=1, expand=True)
    table["unit_code"] = split[0].to_numpy()
    table.insert(0, "domain", np.asarray(present, dtype=object)[split[1].astype(int).to_numpy()])
    return table.reset_index(drop=True)


def response_counts(responses: pd.DataFrame, populations: pd.DataFrame) -> pd.DataFrame:
    """Responses, dossiers and the sampling fraction of every unit × service field.

    Parameters
    ----------
    responses : DataFrame
        ``unit_code, service_field`` (missing fields are counted as "").
    populations : DataFrame
        ``unit_code, service_field, dossiers``.

    Returns
    -------
    DataFrame
        ``unit_code, service_field, responses, dossiers, fraction`` (responses per
        dossier; NaN without dossiers), sorted by unit and field; a cell with dossiers
        but no responses has ``responses`` 0.
    """
    def key(frame):
        return pd.DataFrame({"unit_code": frame["unit_code"].astype(str),
                             "service_field": frame["service_field"].astype(object)
                             .where(frame["service_field"].notna(), "").astype(str)})
    n = key(responses).value_counts().rename("responses")
    pops = key(populations).assign(dossiers=pd.to_numeric(populations["dossiers"]).to_numpy())
    N = pops.groupby(["unit_code", "service_field"])["dossiers"].sum()
    out = pd.concat([n, N], axis=1).fillna({"responses": 0}).reset_index()
    out["responses"] = out["responses"].astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["fraction"] = np.where(out["dossiers"] > 0, out["responses"] / out["dossiers"], np.nan)
    return out.sort_values(["unit_code", "service_field"]).reset_index(drop=True)


def subtree_codes(units: pd.DataFrame, code: str) -> list[str]:
    """``code`` and the codes of every unit below it in the unit frame."""
    children: dict = {}
    for c, p in zip(units["code"].astype(str), units["parent_code"]):
        children.setdefault(None if p is None or p != p else str(p), []).append(c)
    out, stack = [], [str(code)]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(children.get(c, []))
    return out


def unit_counts(counts: pd.DataFrame, units: pd.DataFrame, code: str) -> pd.DataFrame:
    """Responses, dossiers and sampling fraction per service field of ``code``'s subtree.

    ``counts`` is :func:`response_counts`; the last row (``service_field`` None) is the
    total of the subtree.
    """
    mine = counts[counts["unit_code"].isin(subtree_codes(units, code))]
    by = mine.groupby("service_field", sort=True)[["responses", "dossiers"]].sum().reset_index()
    total = pd.DataFrame({"service_field": [None], "responses": [by["responses"].sum()],
                          "dossiers": [by["dossiers"].sum()]})
    by = pd.concat([by, total], ignore_index=True) if len(by) else by
    with np.errstate(divide="ignore", invalid="ignore"):
        by["fraction"] = np.where(by["dossiers"] > 0, by["responses"] / by["dossiers"], np.nan)
    return by
