"""Key drivers: which elements move overall satisfaction, next to how well they perform.

A weighted logistic regression (statsmodels GLM, Binomial, logit link) of "satisfied
overall" (the overall question answered with a satisfied level) on each respondent's
element scores (the weighted mean of the respondent's criterion scores in the element,
on 0-1). Weights are the survey weights scaled to mean 1, passed as ``var_weights`` so
the point estimates are the survey-weighted pseudo-likelihood estimates; SEs are
sandwich (HC0), clustered on the PSU when the design is clustered. Stratification is
ignored by these SEs (slightly conservative). The importance of an element is its
standardised coefficient; with its performance (the element index of the scope) it
places the element in the priority matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from .indices import IndexPlan
from .inputs import scale_codes

__all__ = ["key_drivers", "drivers_outcome"]


def _weighted_logit(X: np.ndarray, y: np.ndarray, w: np.ndarray, psu: np.ndarray | None):
    """Fit on the distinct (x, y) patterns, then take the sandwich SE over the rows.

    Respondents with the same element scores and outcome share one row of the fit, with
    their weights summed as ``var_weights``: the estimating equations
    ``sum_i w_i (y_i - mu_i) x_i = 0`` are unchanged, and a million respondents collapse
    to a few thousand patterns. The covariance is ``B^-1 M B^-1`` with the bread ``B`` the
    fit's weighted information and the meat ``M`` from each respondent's (or PSU's) score
    ``w_i (y_i - mu_i) x_i``, times G / (G - 1) for G clusters.
    """
    key = np.zeros(y.size, dtype=np.int64)
    for col in list(X[:, 1:].T) + [y]:
        codes, uniq = pd.factorize(col)
        key, _ = pd.factorize(key * (len(uniq) + 1) + codes)
    n_patterns = int(key.max()) + 1
    wsum = np.bincount(key, weights=w)
    first = np.full(n_patterns, -1)
    first[key[::-1]] = np.arange(key.size)[::-1]
    model = sm.GLM(y[first], X[first], family=sm.families.Binomial(), var_weights=wsum)
    fit = model.fit()
    bread = fit.cov_params()          # (X' W V X)^-1 for the binomial (scale 1)
    mu = fit.predict(X)
    score = (w * (y - mu))[:, None] * X
    if psu is not None:
        g, _ = pd.factorize(psu)
        score = np.stack([np.bincount(g, weights=score[:, j]) for j in range(X.shape[1])], 1)
    G = score.shape[0]
    meat = score.T @ score * (G / (G - 1))
    return fit, bread @ meat @ bread


def drivers_outcome(questionnaire, spec, override: str | None = None) -> str | None:
    """The overall question used as outcome: the option, ``overall`` if it names a question,
    the analysis' ``overall_question``, else the only scale question that is neither a
    criterion nor an element's own question."""
    if override:
        return override
    if spec.overall != "mean_of_elements":
        return spec.overall
    if getattr(spec, "overall_question", None):
        return spec.overall_question
    used = {c.question for e in spec.elements for c in e.criteria}
    used |= {e.overall_question for e in spec.elements if e.overall_question}
    free = [q.id for q in questionnaire.questions.values()
            if q.type == "scale" and q.id not in used]
    return free[0] if len(free) == 1 else None


def key_drivers(responses: pd.DataFrame, plan: IndexPlan, spec, weights: np.ndarray,
                outcome: str | None, performance: dict[str, float], *,
                psu: np.ndarray | None = None, missing: str = "mean") -> tuple[pd.DataFrame, dict]:
    """Fit the drivers model; return one row per element and a record of the fit.

    ``missing="mean"`` fills a respondent's missing element score with the element's
    weighted mean (respondents often skip the feedback element); ``"drop"`` keeps complete
    cases only. Without a usable outcome the table is empty and the record says why.
    """
    cols = ["element", "coef", "se", "p_value", "odds_ratio_10pt", "importance",
            "relative_importance", "performance", "quadrant"]
    if outcome is None:
        return pd.DataFrame(columns=cols), {"fitted": False, "reason": "no overall question "
                                            "found (set SipasOptions.drivers_outcome)"}
    if outcome not in responses.columns:
        return pd.DataFrame(columns=cols), {"fitted": False,
                                            "reason": f"outcome {outcome!r} not in responses"}
    x = scale_codes(responses[outcome], outcome)
    has_y = ~np.isnan(x)
    y = np.isin(x, np.asarray(spec.satisfied, dtype=float)).astype(float)
    E = len(spec.elements)
    scores = np.full((len(responses), E), np.nan)
    for e in range(E):
        ks = np.flatnonzero(plan.element_of == e)
        s = np.zeros(len(responses))
        c = np.zeros(len(responses))
        for k in ks:
            s += plan.criterion_weight[k] * plan.num[k] / 100.0
            c += plan.criterion_weight[k] * plan.den[k]
        scores[:, e] = np.divide(s, c, out=np.full_like(s, np.nan), where=c > 0)
    miss = np.isnan(scores)
    if missing == "drop":
        use = has_y & ~miss.any(axis=1)
    else:
        use = has_y & ~miss.all(axis=1)
        wmean = np.array([np.average(scores[~miss[:, e] & has_y, e],
                                     weights=weights[~miss[:, e] & has_y])
                          if np.any(~miss[:, e] & has_y) else 0.0 for e in range(E)])
        scores = np.where(miss, wmean[None, :], scores)
    record = {"fitted": False, "outcome": outcome, "missing": missing, "n_used": int(use.sum()),
              "imputed_share": {el.id: float(miss[use, e].mean()) if use.any() else None
                                for e, el in enumerate(spec.elements)}}
    if use.sum() < 10 * (E + 1) or y[use].min() == y[use].max():
        record["reason"] = "too few respondents, or no variation in the outcome"
        return pd.DataFrame(columns=cols), record
    w = weights[use] / weights[use].mean()
    Xu = sm.add_constant(scores[use], has_constant="add")
    fit, cov = _weighted_logit(Xu, y[use], w, None if psu is None else psu[use])
    se = np.sqrt(np.diag(cov))
    z = fit.params / se
    coef, se, p = fit.params[1:], se[1:], (2 * stats.norm.sf(np.abs(z)))[1:]
    sd = np.sqrt(np.average((scores[use] - np.average(scores[use], axis=0, weights=w)) ** 2,
                            axis=0, weights=w))
    record["n_patterns"] = fit.nobs
    importance = coef * sd
    rel = importance / np.abs(importance).sum()
    perf = np.array([performance.get(e.id, np.nan) for e in spec.elements])
    hi_imp = importance >= np.nanmean(importance)
    hi_perf = perf >= np.nanmean(perf)
    quadrant = np.where(hi_imp & ~hi_perf, "priority", np.where(
        hi_imp & hi_perf, "strength", np.where(~hi_imp & ~hi_perf, "secondary", "surplus")))
    record.update(fitted=True, model="GLM Binomial logit, var_weights = weights / mean",
                  cov_type="cluster (PSU)" if psu is not None else "HC0",
                  converged=bool(fit.converged),
                  intercept=float(fit.params[0]))
    return pd.DataFrame({
        "element": [e.id for e in spec.elements], "coef": coef, "se": se, "p_value": p,
        "odds_ratio_10pt": np.exp(coef / 10), "importance": importance,
        "relative_importance": rel, "performance": perf, "quadrant": quadrant}), record
