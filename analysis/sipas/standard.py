"""The presentation standard of figures and the multiple-comparison adjustment.

The standard follows the NCHS Data Presentation Standards for Proportions (Parker et al.
2017, Vital Health Stat 2(175)), applied to every figure on the 0-1 scale (indices are
shares or means of shares, so they are read as proportions too):

1. effective sample size ``n_eff`` below ``min_n_eff`` (30): suppressed;
2. absolute CI width at least ``max_width`` (0.30): suppressed;
3. absolute width above ``rel_width_from`` (0.05) and relative width (width / p) above
   ``max_rel_width`` (130 %): suppressed;
4. otherwise presented, but flagged for review when the complement fails rule 3
   (width / (1 - p) above 130 % with width above 0.05) or the design has fewer than
   ``min_df`` (8) degrees of freedom.

Suppressed figures keep their numbers in the result tables (for methodologists) but are
shown as "chưa đủ mẫu" / "insufficient sample" and are not ranked nor tested.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["MULTIPLE", "PresentationStandard", "adjust_pvalues", "apply_standard"]

MULTIPLE = ("holm", "bh", "none")


@dataclass(frozen=True)
class PresentationStandard:
    """Thresholds of the presentation standard (defaults: NCHS 2017)."""

    min_n_eff: float = 30.0
    max_width: float = 0.30
    rel_width_from: float = 0.05
    max_rel_width: float = 1.30
    min_df: int = 8

    def __post_init__(self):
        if not (self.min_n_eff >= 0 and 0 < self.max_width <= 1 and self.rel_width_from >= 0
                and self.max_rel_width > 0 and self.min_df >= 0):
            raise ValueError("invalid presentation standard thresholds")

    def to_dict(self) -> dict:
        """A JSON-able form."""
        return asdict(self)


def apply_standard(value, ci_low, ci_high, n_eff, df, standard: PresentationStandard):
    """Return ``(suppress, review)`` bool arrays for figures on the 0-100 scale.

    A figure without an interval (no degrees of freedom) is suppressed.
    """
    p = np.asarray(value, float) / 100
    width = (np.asarray(ci_high, float) - np.asarray(ci_low, float)) / 100
    n_eff, df = np.asarray(n_eff, float), np.asarray(df, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(p > 0, width / p, np.inf)
        rel_c = np.where(p < 1, width / (1 - p), np.inf)
    wide = width > standard.rel_width_from
    suppress = (~(n_eff >= standard.min_n_eff) | ~(width < standard.max_width)
                | (wide & (rel > standard.max_rel_width)))
    review = ~suppress & ((wide & (rel_c > standard.max_rel_width)) | (df < standard.min_df))
    return suppress, review


def adjust_pvalues(p, groups, method: str = "holm") -> np.ndarray:
    """Adjust p-values within each group (a family of tests); NaN stays NaN.

    ``"holm"``: Holm's step-down (family-wise error); ``"bh"``: Benjamini-Hochberg
    (false discovery rate); ``"none"``: unchanged.
    """
    if method not in MULTIPLE:
        raise ValueError(f"multiple must be one of {MULTIPLE}")
    p = np.asarray(p, float)
    out = p.copy()
    if method == "none":
        return out
    groups = np.asarray(groups, dtype=object)
    ok = np.isfinite(p)
    for g in set(groups[ok].tolist()):
        idx = np.flatnonzero(ok & (groups == g))
        order = idx[np.argsort(p[idx], kind="stable")]
        m = order.size
        ranked = p[order]
        if method == "holm":
            adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
        else:
            adj = np.minimum.accumulate((m / np.arange(m, 0, -1) * ranked[::-1]))[::-1]
        out[order] = np.minimum(adj, 1.0)
    return out
