"""Hand-worked Korn-Graubard intervals: writes ``kg_hand.json`` beside this file.

Run from the repository root: ``.venv/bin/python tests/analysis/results/kg_hand.py``.

Each case is worked from the published formulas, written out here step by step and not
with ``analysis``:

- Korn & Graubard (1998), Survey Methodology 24(2), eq. 2.1: effective sample size
  ``n* = p(1 - p) / v(p)``; eq. 2.2: degrees-of-freedom adjustment
  ``n*_df = n* (t_{n-1, 1-a/2} / t_{df, 1-a/2})^2``; the interval is Clopper-Pearson on
  ``x* = n*_df p`` events out of ``n*_df``. This is R's
  ``survey::svyciprop(method="beta")`` (``svyciprop`` code: ``n.eff <- coef*(1-coef)/vcov;
  n.eff <- n.eff * (qt(alpha/2, nrow(design)-1)/qt(alpha/2, degf(design)))^2``, then
  ``qbeta(alpha/2, n.eff*coef, n.eff*(1-coef)+1)`` and
  ``qbeta(1-alpha/2, n.eff*coef+1, n.eff*(1-coef))``).
- NCHS Data Presentation Standards for Proportions (Parker et al. 2017): the effective
  sample size is truncated at ``n`` (design effect below 1 set to 1) and, at ``p = 0`` or
  ``1``, taken as ``n``; the interval is written with F quantiles
  (lower ``v1 F / (v2 + v1 F)``, ``v1 = 2x``, ``v2 = 2(n - x + 1)``, F at a/2; upper with
  ``v3 = 2(x + 1)``, ``v4 = 2(n - x)``, F at 1 - a/2), which is what is used below, so the
  check also ties the beta-quantile form of ``analysis.intervals`` to the F form.
"""

import json
from pathlib import Path

from scipy import stats

HERE = Path(__file__).resolve().parent
# (p, se, n, df, level, truncate at n)
CASES = [
    (0.10, 0.030, 120, 30, 0.95, False),
    (0.10, 0.030, 120, 30, 0.95, True),
    (0.02, 0.010, 400, 12, 0.95, True),
    (0.55, 0.060, 80, 7, 0.90, True),
    (0.97, 0.012, 250, 40, 0.99, True),
    (0.30, 0.030, 150, 20, 0.95, True),  # n* = 233 > n: truncated at 150
    (0.0, 0.0, 25, 24, 0.95, True),     # 0 of 25, SRS df: Clopper-Pearson [0, 1-(a/2)^(1/25)]
    (0.0, 0.0, 25, 5, 0.95, True),      # 0 of 25 with 5 df: n*_df = 25 (t_24/t_5)^2
    (1.0, 0.0, 9, 8, 0.95, True),       # 9 of 9
]


def work(p, se, n, df, level, truncate):
    a = 1 - level
    n_star = n if p in (0.0, 1.0) else p * (1 - p) / se**2          # eq. 2.1 (NCHS at 0/1)
    if truncate:
        n_star = min(n_star, n)                                     # NCHS truncation
    adj = (stats.t.ppf(1 - a / 2, n - 1) / stats.t.ppf(1 - a / 2, df)) ** 2
    n_df = n_star * adj                                             # eq. 2.2
    x = n_df * p
    if x > 0:
        v1, v2 = 2 * x, 2 * (n_df - x + 1)
        f = stats.f.ppf(a / 2, v1, v2)
        lo = v1 * f / (v2 + v1 * f)
    else:
        lo = 0.0
    if n_df - x > 0:
        v3, v4 = 2 * (x + 1), 2 * (n_df - x)
        f = stats.f.ppf(1 - a / 2, v3, v4)
        hi = v3 * f / (v4 + v3 * f)
    else:
        hi = 1.0
    return {"p": p, "se": se, "n": n, "df": df, "level": level, "truncate": truncate,
            "n_eff": n_star, "n_eff_df": n_df, "low": lo, "high": hi}


if __name__ == "__main__":
    out = [work(*c) for c in CASES]
    (HERE / "kg_hand.json").write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", HERE / "kg_hand.json")
