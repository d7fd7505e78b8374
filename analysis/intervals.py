"""Confidence intervals for survey estimates.

Conventions follow R's ``survey`` package: ``confint()`` on ``svymean``/``svytotal`` uses
the Normal distribution, while ``svyciprop`` uses Student's t with the design degrees of
freedom.  All functions are vectorised over arrays of estimates (one per domain).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from .errors import DesignError

__all__ = ["PROPORTION_METHODS", "effective_n", "normal_interval", "proportion_interval",
           "t_interval"]

PROPORTION_METHODS = ("logit", "beta", "wilson", "wald")


def _check_level(level: float) -> float:
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise DesignError(f"level must be a number strictly between 0 and 1, got {level!r}")
    return float(level)


def _t_quantile(q: float, df: np.ndarray) -> np.ndarray:
    # R's qt(q, 0) is NaN: with no degrees of freedom the interval is undefined, not Normal.
    df = np.asarray(df, dtype=float)
    pos = df > 0
    return np.where(pos, special.stdtrit(np.where(pos, df, 1.0), q), np.nan)


def normal_interval(value, se, level: float = 0.95):
    """Return the Normal (Wald) interval ``value -/+ z * se`` as two arrays.

    Parameters
    ----------
    value, se : array_like
        Estimates and their standard errors.
    level : float
        Confidence level, e.g. 0.95.

    Returns
    -------
    tuple of ndarray
        Lower and upper bounds.
    """
    z = special.ndtri(1 - (1 - _check_level(level)) / 2)
    value, se = np.asarray(value, float), np.asarray(se, float)
    return value - z * se, value + z * se


def t_interval(value, se, df, level: float = 0.95):
    """Return ``value -/+ t(df) * se`` (NaN where ``df <= 0``) as two arrays."""
    t = _t_quantile(1 - (1 - _check_level(level)) / 2, df)
    value, se = np.asarray(value, float), np.asarray(se, float)
    return value - t * se, value + t * se


def effective_n(p, se, n, *, cap: bool = True):
    """Effective sample size ``p(1-p)/se^2`` of design-based proportions.

    Where the variance is zero (a share of exactly 0 or 1, or a constant variable) the
    effective size is ``n``: the data then say nothing about the design effect, and ``n``
    gives the exact Clopper-Pearson interval of 0 (or ``n``) events in ``n``. With ``cap``
    it is at most ``n``, as the NCHS presentation standard for proportions (2017) asks.
    NaN where ``n`` is 0.
    """
    p, se, n = np.asarray(p, float), np.asarray(se, float), np.asarray(n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = p * (1 - p) / se**2
    edge = (p <= 0) | (p >= 1) | ~(se > 0)
    out = np.where(edge, n, raw)
    if cap:
        out = np.minimum(out, n)
    return np.where(n > 0, out, np.nan)


def proportion_interval(p, se, df, n, method: str = "logit", level: float = 0.95, *,
                        edges: bool = False, cap: bool = False):
    """Return a confidence interval for proportions, as R's ``svyciprop`` computes it.

    Parameters
    ----------
    p, se : array_like
        Estimated proportions and their design-based standard errors.
    df : array_like
        Design degrees of freedom (PSUs minus strata, of the domain).
    n : array_like
        Respondents used (rows of the domain with a non-missing answer).
    method : {"logit", "beta", "wilson", "wald"}
        ``"logit"``: Wald interval on the logit scale, back-transformed, with a t(df)
        quantile -- ``svyciprop(method="logit")`` (and ``"xlogit"``).
        ``"beta"``: Korn-Graubard (1998) -- Clopper-Pearson with the effective sample size
        ``p(1-p)/se^2`` multiplied by ``(qt(a/2, n-1) / qt(a/2, df))^2``, no truncation,
        exactly ``svyciprop(method="beta")``; see ``edges`` and ``cap``.
        ``"wilson"``: Wilson score interval with the same df-adjusted effective sample size
        and a t(df) quantile (R has no Wilson method; this is the definition of ``svy``'s
        ``ci_method="wilson"``).  Bounds are clipped to [0, 1].
        ``"wald"``: ``p -/+ t(df) * se`` -- ``svyciprop(method="mean")``.
    level : float
        Confidence level.
    edges : bool
        ``"beta"`` only: where ``p`` is 0 or 1 or the SE is 0, use the effective size
        ``n`` (:func:`effective_n`), so that 0 events in ``n`` get the exact interval
        ``[0, 1 - (a/2)^(1/n)]`` (df-adjusted like the rest) instead of none (R gives NaN).
    cap : bool
        ``"beta"`` only: cap the effective size at ``n`` before the df adjustment (NCHS).

    Returns
    -------
    tuple of ndarray
        Lower and upper bounds.  NaN when ``df <= 0`` (t undefined) and, for the logit,
        beta (without ``edges``) and Wilson methods, when ``p`` is exactly 0 or 1 (the SE
        is then forced to zero by the estimate, so it measures nothing).
    """
    if method not in PROPORTION_METHODS:
        raise DesignError(
            f"unknown proportion interval method {method!r}; choose one of {PROPORTION_METHODS}"
        )
    alpha = 1 - _check_level(level)
    p, se = np.asarray(p, float), np.asarray(se, float)
    df, n = np.asarray(df, float), np.asarray(n, float)
    t = _t_quantile(1 - alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wald":
            lo, hi = p - t * se, p + t * se
        elif method == "logit":
            eta = np.log(p / (1 - p))
            half = t * se / (p * (1 - p))
            lo, hi = special.expit(eta - half), special.expit(eta + half)
        else:
            if method == "beta" and (edges or cap):
                n_eff = effective_n(p, se, n, cap=cap)
                if not edges:
                    n_eff = np.where((p <= 0) | (p >= 1), np.nan, n_eff)
            else:
                n_eff = p * (1 - p) / se**2
            # Korn & Graubard's df adjustment; qt(a/2, .) squared, so the sign cancels.
            adj = (_t_quantile(alpha / 2, n - 1) / _t_quantile(alpha / 2, df)) ** 2
            n_eff = np.where(n > 1, n_eff * adj, n_eff)
            if method == "beta":
                x = n_eff * p
                lo = stats.beta.ppf(alpha / 2, x, n_eff - x + 1)
                hi = stats.beta.ppf(1 - alpha / 2, x + 1, n_eff - x)
            else:
                z2 = t * t
                denom = 1 + z2 / n_eff
                centre = (p + z2 / (2 * n_eff)) / denom
                half = (t / denom) * np.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff**2))
                lo, hi = np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)
            if method == "beta":
                # 0 events: the lower bound is 0 (beta.ppf with a = 0 is NaN); n events: 1
                lo = np.where(x <= 0, 0.0, lo)
                hi = np.where(n_eff - x <= 0, 1.0, hi)
        if method != "wald" and not (method == "beta" and edges):
            edge = (p <= 0) | (p >= 1)
            lo, hi = np.where(edge, np.nan, lo), np.where(edge, np.nan, hi)
    bad = ~(df > 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)
