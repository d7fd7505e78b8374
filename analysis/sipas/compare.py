"""Changes between two waves ("changed since the last wave"), the one function for all.

Two waves are independent samples, so the difference of two estimates has the variance
``se1**2 + se0**2``. The test is a t test with Satterthwaite's degrees of freedom from
the two design dfs (Welch's test for two design-based estimates)::

    t  = (v1 - v0) / sqrt(se1**2 + se0**2)
    df = (se1**2 + se0**2)**2 / (se1**4 / df1 + se0**4 / df0)

and the interval of the change is ``change -/+ t_(1-a/2, df) * se``. A change is
``better`` or ``worse`` only when the test rejects at ``alpha``, and which way is better
follows the measure's direction (indicators such as extra payments: lower is better).
Estimates that are missing or that fail the presentation standard in either wave are
``not_comparable``: a figure that is not shown cannot be said to have moved. So is an
estimate whose definition differs between the waves (``comparable=``, from
:func:`analysis.sipas.comparability.comparable_keys`): the same id over other criteria,
choice codes or scoring is another measure; its row has ``definition_changed`` True.

The dashboard and the PDF report both use :func:`compare_waves` (and the trend uses
:func:`change_test` between consecutive waves), so a change reads the same everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["VERDICTS", "change_test", "compare_waves"]

VERDICTS = ("better", "worse", "no_change", "not_comparable")
KEYS = ["unit_code", "kind", "id"]


def change_test(value, se, df, prev_value, prev_se, prev_df, *, direction="higher",
                alpha: float = 0.05, level: float = 0.95) -> dict:
    """Test the change ``value - prev_value`` of independent estimates (arrays or scalars).

    Parameters
    ----------
    value, se, df : array_like
        This wave's estimate, its SE and design df.
    prev_value, prev_se, prev_df : array_like
        The same in the previous wave.
    direction : str or array_like of str
        "higher" (higher is better) or "lower".
    alpha : float
        Level of the two-sided test.
    level : float
        Confidence level of the interval of the change.

    Returns
    -------
    dict of arrays
        ``change, se, df, ci_low, ci_high, t, p, significant, verdict``; ``verdict`` is
        "better", "worse", "no_change" or "not_comparable" (a value missing).
        Two SEs of 0 give a change that is certain when it is not zero (p = 0).
    """
    v1, s1, d1 = (np.asarray(a, dtype=np.float64) for a in (value, se, df))
    v0, s0, d0 = (np.asarray(a, dtype=np.float64) for a in (prev_value, prev_se, prev_df))
    shape = np.broadcast_shapes(v1.shape, v0.shape)
    lower = np.broadcast_to(np.asarray(direction, dtype=object) == "lower", shape)
    change = v1 - v0
    var1, var0 = np.nan_to_num(s1 ** 2), np.nan_to_num(s0 ** 2)
    var = var1 + var0
    with np.errstate(divide="ignore", invalid="ignore"):
        den = (np.where(var1 > 0, var1 ** 2 / np.maximum(d1, 1), 0.0)
               + np.where(var0 > 0, var0 ** 2 / np.maximum(d0, 1), 0.0))
        dof = np.where(den > 0, var ** 2 / den, np.inf)
        se_c = np.sqrt(var)
        t = np.where(var > 0, change / se_c,
                     np.where(change == 0, 0.0, np.sign(change) * np.inf))
    p = np.where(np.isfinite(t), 2 * stats.t.sf(np.abs(t), dof), np.where(np.isnan(t), np.nan, 0.0))
    q = stats.t.ppf(0.5 + level / 2, dof)
    comparable = np.isfinite(v1) & np.isfinite(v0)
    sig = comparable & (p < alpha)
    up = change > 0
    better = np.where(lower, ~up, up)
    verdict = np.where(~comparable, "not_comparable",
                       np.where(~sig, "no_change", np.where(better, "better", "worse")))
    return {"change": np.where(comparable, change, np.nan), "se": np.where(comparable, se_c, np.nan),
            "df": np.where(comparable, dof, np.nan),
            "ci_low": np.where(comparable, change - q * se_c, np.nan),
            "ci_high": np.where(comparable, change + q * se_c, np.nan),
            "t": np.where(comparable, t, np.nan), "p": np.where(comparable, p, np.nan),
            "significant": sig, "verdict": verdict.astype(object)}


def compare_waves(current: pd.DataFrame, previous: pd.DataFrame | None, *,
                  directions: dict[str, str] | None = None, alpha: float = 0.05,
                  level: float = 0.95, rankings: pd.DataFrame | None = None,
                  comparable=None) -> pd.DataFrame:
    """Compare every estimate of ``current`` with the same estimate of ``previous``.

    Parameters
    ----------
    current, previous : DataFrame
        Long tables of two waves' results (``indices``, ``indicators`` or
        ``expectations`` of :class:`~analysis.sipas.SipasResult`): ``unit_code, kind, id,
        value, se, df, status``. ``previous`` may be None (nothing to compare with).
    directions : dict, optional
        Indicator id -> "lower" or "higher"; everything else is "higher".
    alpha, level : float
        Level of the test and confidence level of the interval of the change.
    rankings : DataFrame, optional
        This wave's ``rankings`` table (with a previous wave): its ``rank_change`` and
        ``rank_change_significant`` are joined, and ``rank_change_shown`` holds the
        rank change only where it exceeds its uncertainty (else 0 for "no significant
        change of rank", missing where there is no rank in one of the waves).
    comparable : collection of (kind, id), optional
        The estimates defined identically in both waves; the others are not compared
        (``previous`` missing, verdict ``not_comparable``, ``definition_changed`` True).
        None compares every matching id.

    Returns
    -------
    DataFrame
        ``unit_code, kind, id, direction, value, previous, change, se, df, ci_low,
        ci_high, t, p, significant, verdict, definition_changed`` (see
        :func:`change_test`), one row per row of ``current``.
    """
    cur = current[KEYS + ["value", "se", "df", "status"]].copy()
    keys = None if comparable is None else set(comparable)
    changed = np.zeros(len(cur), dtype=bool)
    if previous is not None and len(previous) and keys is not None:
        # Flag what the previous wave had under the same id but defined otherwise.
        had = set(zip(previous["kind"], previous["id"].astype(str)))
        changed = np.array([(k, str(i)) in had and (k, str(i)) not in keys
                            for k, i in zip(cur["kind"], cur["id"])], dtype=bool)
        previous = previous[[(k, str(i)) in keys for k, i in zip(previous["kind"], previous["id"])]]
    if previous is not None and len(previous):
        prev = (previous[KEYS + ["value", "se", "df", "status"]]
                .drop_duplicates(KEYS)
                .rename(columns={"value": "previous", "se": "previous_se", "df": "previous_df",
                                 "status": "previous_status"}))
        cur = cur.merge(prev, on=KEYS, how="left")
    else:
        cur["previous"] = cur["previous_se"] = cur["previous_df"] = np.nan
        cur["previous_status"] = None
    directions = directions or {}
    cur["direction"] = np.where(cur["kind"] == "indicator",
                                [directions.get(i, "higher") for i in cur["id"]], "higher")
    shown = ((cur["status"].isin(["ok", "review"]))
             & (cur["previous_status"].isin(["ok", "review"])))
    value = cur["value"].where(shown)
    test = change_test(value, cur["se"], cur["df"], cur["previous"].where(shown),
                       cur["previous_se"], cur["previous_df"],
                       direction=cur["direction"].to_numpy(dtype=object), alpha=alpha, level=level)
    for key, col in test.items():
        cur[key] = col
    out = cur.drop(columns=["previous_se", "previous_df", "status", "previous_status"])
    out["definition_changed"] = changed
    if rankings is not None and len(rankings) and "rank_change" in rankings:
        rk = rankings[KEYS + ["rank", "rank_low", "rank_high", "previous_rank", "rank_change",
                              "rank_change_significant"]].drop_duplicates(KEYS)
        out = out.merge(rk, on=KEYS, how="left")
        change = out["rank_change"].astype("Float64")
        sig = out["rank_change_significant"].eq(True)
        out["rank_change_shown"] = change.where(sig | change.isna(), 0).astype("Int64")
    return out
