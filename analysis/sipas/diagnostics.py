"""Diagnostics a methodologist expects beside the estimates.

- :func:`weighting_effects`: per unit (its whole subtree) and for the scope, the Kish
  design effect of unequal weighting ``deff_w = n * sum(w^2) / (sum w)^2 = 1 + CV^2``
  (CV with the population variance of the weights, Kish 1965, 11.7) and the effective
  sample size ``n / deff_w = (sum w)^2 / sum(w^2)``. It is the loss from the weights
  alone; the design effect of a particular figure (clustering, strata, the variable) is
  in its ``n_eff`` column.
- :func:`cronbach_alpha`: Cronbach's alpha of the criteria of each element on their
  1-5 answers, ``alpha = k/(k-1) * (1 - sum_i s_i^2 / s_T^2)`` (Cronbach 1951) over the
  respondents who answered every criterion of the element (1-5, not "na"); unweighted,
  as reliability is a property of the instrument in the sample.
- :func:`cell_counts`: responses against dossiers per unit × service field (the
  weighting record's cell table before pooling), with the sampling fraction.

:func:`compute_diagnostics` returns all three as DataFrames (``SipasResult.diagnostics``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .inputs import scale_codes

__all__ = ["cell_counts", "compute_diagnostics", "cronbach_alpha", "kish",
           "weighting_effects"]


def kish(weights) -> tuple[float, float]:
    """``(deff_w, n_eff)`` of a set of weights: ``n sum(w^2) / (sum w)^2`` and
    ``(sum w)^2 / sum(w^2)``; NaN for no weights."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return float("nan"), float("nan")
    s1, s2 = w.sum(), (w * w).sum()
    return float(w.size * s2 / s1**2), float(s1**2 / s2)


def weighting_effects(weights, domains) -> pd.DataFrame:
    """Kish's weighting design effect and effective n of every unit and of the scope.

    ``domains`` is the :class:`~analysis.sipas.domains.DomainSet` of the computation.
    Columns: ``unit_code, depth, n, weight_sum, deff_weighting, n_eff_weighting,
    cv_weights``.
    """
    w = np.asarray(weights, dtype=np.float64)
    frames = []
    for (codes, D), units, depth in zip(domains.levels, domains.unit_codes, domains.depths):
        inside = codes >= 0
        g = codes[inside]
        n = np.bincount(g, minlength=D).astype(np.float64)
        s1 = np.bincount(g, weights=w[inside], minlength=D)
        s2 = np.bincount(g, weights=w[inside] ** 2, minlength=D)
        with np.errstate(divide="ignore", invalid="ignore"):
            deff = n * s2 / s1**2
            frames.append(pd.DataFrame({
                "unit_code": units, "depth": depth, "n": n.astype(np.int64),
                "weight_sum": s1, "deff_weighting": np.where(n > 0, deff, np.nan),
                "n_eff_weighting": np.where(n > 0, s1**2 / s2, np.nan),
                "cv_weights": np.where(n > 0, np.sqrt(np.maximum(deff - 1, 0)), np.nan)}))
    return pd.concat(frames, ignore_index=True)


def _alpha(items: np.ndarray) -> float:
    k = items.shape[1]
    if k < 2 or items.shape[0] < 2:
        return float("nan")
    total = items.sum(axis=1).var(ddof=1)
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / total))


def cronbach_alpha(responses: pd.DataFrame, spec) -> pd.DataFrame:
    """Cronbach's alpha of each element's criteria (see the module docstring).

    Columns: ``element, k`` (criteria), ``n`` (complete respondents), ``alpha`` (NaN
    with fewer than two criteria or respondents, or no variance).
    """
    rows = []
    for e in spec.elements:
        qs = [c.question for c in e.criteria if c.question in responses.columns]
        if not qs:
            continue
        items = np.column_stack([scale_codes(responses[q], q) for q in qs])
        complete = items[~np.isnan(items).any(axis=1)]
        rows.append({"element": e.id, "k": len(qs), "n": int(complete.shape[0]),
                     "alpha": _alpha(complete)})
    return pd.DataFrame(rows, columns=["element", "k", "n", "alpha"])


def cell_counts(cells: pd.DataFrame) -> pd.DataFrame:
    """Responses, dossiers and sampling fraction per unit × service field.

    ``cells`` is the weighting record's cell table (``unit_code, service_field, cell, n,
    dossiers, ...``); ``cell`` says whether the cell kept its own weight or was pooled.
    """
    out = cells[["unit_code", "service_field", "n", "dossiers", "cell"]].copy()
    out = out.rename(columns={"n": "responses", "cell": "weighting_cell"})
    out["responses"] = out["responses"].astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sampling_fraction"] = np.where(out["dossiers"] > 0,
                                            out["responses"] / out["dossiers"], np.nan)
    return out.sort_values(["unit_code", "service_field"], kind="stable").reset_index(drop=True)


def compute_diagnostics(responses, spec, weights, domains, cells) -> dict[str, pd.DataFrame]:
    """The three diagnostic tables: ``weighting``, ``alpha``, ``response_counts``."""
    return {"weighting": weighting_effects(weights, domains),
            "alpha": cronbach_alpha(responses, spec),
            "response_counts": cell_counts(cells)}
