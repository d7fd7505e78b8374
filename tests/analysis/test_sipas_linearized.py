"""The batched estimator of combinations of ratios against the design engine and by hand."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.errors import DesignError, LonelyPSUError
from analysis.sipas.linearized import PreparedLevels, design_arrays, ratio_combinations
from analysis.variance import domain_variance

RESULTS = Path(__file__).parent / "results"


def _sample(seed=3, n=400, strata=12, domains=5):
    rng = np.random.default_rng(seed)
    h = rng.integers(0, strata, n)
    df = pd.DataFrame({
        "h": h, "dom": h % domains,          # domains are unions of strata, like units
        "dom2": rng.integers(0, 3, n),       # and domains that cut across strata
        "psu": rng.integers(0, 4, n), "w": rng.uniform(1, 30, n),
    })
    df["N"] = df.groupby("h")["h"].transform("size") * 7.0
    answered = rng.random(n) > 0.15
    sat = rng.random(n) < 0.8
    df["x"] = answered.astype(float)
    df["y"] = (answered & sat).astype(float)
    df["y_na"] = np.where(answered, df["y"], np.nan)   # the engine's "not answered"
    return df


@pytest.mark.parametrize("by", ["dom", "dom2"])
@pytest.mark.parametrize("clustered", [False, True])
def test_single_ratio_equals_surveydesign(by, clustered):
    df = _sample()
    kw = dict(weights="w", strata="h", psu="psu" if clustered else None,
              fpc=None if clustered else "N", lonely_psu="adjust")
    ref = SurveyDesign(df, **kw).proportion("y_na", method="logit", by=by)
    design = design_arrays(df["w"], df["h"], df["psu"] if clustered else None,
                           None if clustered else df["N"])
    codes = df[by].to_numpy()
    (est,) = ratio_combinations([df["y"].to_numpy()], [df["x"].to_numpy()], np.eye(1),
                                design, [(codes, codes.max() + 1)])
    assert_allclose(est.value[:, 0], ref["value"].to_numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(est.se[:, 0], ref["se"].to_numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(est.n[:, 0], ref["n"].to_numpy(), rtol=0, atol=0)
    assert_allclose(est.df[:, 0], ref["df"].to_numpy(), rtol=0, atol=0)
    # The same criterion as SurveyDesign.ratio(satisfied, answered): rows that did not
    # answer have y = x = 0 there, so they add nothing to either total or to z.
    ratio = SurveyDesign(df, **kw).ratio("y", "x", by=by)
    assert_allclose(est.value[:, 0], ratio["value"].to_numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(est.se[:, 0], ratio["se"].to_numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_table_interval_equals_surveydesign(method):
    from analysis.sipas.domains import interval
    df = _sample()
    ref = SurveyDesign(df, weights="w", strata="h", fpc="N").proportion(
        "y_na", method=method, by="dom")
    design = design_arrays(df["w"], df["h"], population=df["N"])
    codes = df["dom"].to_numpy()
    (est,) = ratio_combinations([100 * df["y"].to_numpy()], [df["x"].to_numpy()], np.eye(1),
                                design, [(codes, 5)])
    lo, hi = interval(est.value[:, 0], est.se[:, 0], est.df[:, 0], est.n[:, 0], logit=True,
                      method=method)
    # Korn-Graubard: equal to svyciprop(method="beta") where p(1-p)/se^2 <= n; the SIPAS
    # layer caps the effective n at n (NCHS), which can only widen the interval.
    p, se = est.value[:, 0] / 100, est.se[:, 0] / 100
    same = (p * (1 - p) / se**2 <= est.n[:, 0]) if method == "beta" else np.ones(5, bool)
    assert same.sum() >= 3
    assert_allclose(lo[same] / 100, ref["ci_low"][same], rtol=1e-10)
    assert_allclose(hi[same] / 100, ref["ci_high"][same], rtol=1e-10)
    assert np.all(lo[~same] / 100 < ref["ci_low"][~same])
    assert np.all(hi[~same] / 100 > ref["ci_high"][~same])


@pytest.mark.parametrize("lonely", ["adjust", "remove", "average"])
def test_variance_equals_engine_domain_variance(lonely):
    """Same lonely-PSU semantics as analysis.variance (strata with one PSU included)."""
    df = _sample(n=60, strata=25)
    sd = SurveyDesign(df, weights="w", strata="h", psu="psu", lonely_psu=lonely)
    design = design_arrays(df["w"], df["h"], df["psu"], lonely_psu=lonely)
    assert (design.codes.n_psu == 1).any()
    codes = df["dom2"].to_numpy()
    (est,) = ratio_combinations([df["y"].to_numpy()], [df["x"].to_numpy()], np.eye(1),
                                design, [(codes, 3)])
    X = np.bincount(codes, weights=df["w"] * df["x"])
    R = np.bincount(codes, weights=df["w"] * df["y"]) / X
    z = df["w"] * (df["y"] - R[codes] * df["x"]) / X[codes]
    var = domain_variance(z.to_numpy(), codes, 3, sd._design)
    assert_allclose(est.se[:, 0] ** 2, var, rtol=1e-10)


def test_lonely_none_refuses():
    with pytest.raises(LonelyPSUError):
        design_arrays([1.0, 2.0, 3.0], [0, 0, 1], lonely_psu=None)
    with pytest.raises(DesignError, match="positive"):
        design_arrays([1.0, -2.0], [0, 1])


def _hand_element():
    """Tiny data set of results/sipas_element_hand.json (the numbers are in the file)."""
    ref = json.loads((RESULTS / "sipas_element_hand.json").read_text())
    d = pd.DataFrame(ref["data"])
    return ref, d


def test_element_mean_of_two_ratios_by_hand():
    """Element = (R1 + R2) / 2; SE from the published linearisation formula, by loops."""
    ref, d = _hand_element()
    w, h = d["w"].to_numpy(float), d["stratum"].to_numpy()
    x1, y1 = d["x1"].to_numpy(float), d["y1"].to_numpy(float)
    x2, y2 = d["x2"].to_numpy(float), d["y2"].to_numpy(float)
    N = {int(k): v for k, v in ref["population"].items()}
    # Independent computation: plain loops over respondents and strata.
    X1, Y1 = sum(w * x1), sum(w * y1)
    X2, Y2 = sum(w * x2), sum(w * y2)
    R1, R2 = Y1 / X1, Y2 / X2
    z = [0.5 * (y1[i] - R1 * x1[i]) / X1 + 0.5 * (y2[i] - R2 * x2[i]) / X2
         for i in range(len(w))]
    var = 0.0
    for stratum in sorted(set(h)):
        t = [w[i] * z[i] for i in range(len(w)) if h[i] == stratum]
        n_h = len(t)
        mean = sum(t) / n_h
        var += (1 - n_h / N[stratum]) * n_h / (n_h - 1) * sum((v - mean) ** 2 for v in t)
    assert_allclose([(R1 + R2) / 2, var ** 0.5], [ref["value"], ref["se"]], rtol=1e-12)
    design = design_arrays(w, h, population=[N[k] for k in sorted(N)])
    (est,) = ratio_combinations([y1, y2], [x1, x2], np.array([[0.5, 0.5]]), design,
                                [(np.zeros(len(w), dtype=int), 1)])
    assert_allclose(est.value[0, 0], ref["value"], rtol=1e-12)
    assert_allclose(est.se[0, 0], ref["se"], rtol=1e-10)


@pytest.mark.parametrize("inner_rows", [False, True])
def test_difference_with_parent_by_brute_force(inner_rows):
    """Var(unit - parent) from the jointly linearised z_unit - z_parent, with loops.

    With ``inner_rows`` some rows belong to a parent but to none of its children (responses
    recorded at a province itself).
    """
    df = _sample(n=120, strata=8, domains=4)
    parent_of = np.array([0, 0, 1, 1])
    child = df["dom"].to_numpy()
    parent = parent_of[child]
    if inner_rows:
        child = np.where(df["h"].to_numpy() == 0, -1, child)
    w, y, x, h = (df[c].to_numpy(float) for c in ("w", "y", "x", "h"))
    Nh = df.groupby("h")["N"].first().to_numpy()
    design = design_arrays(w, h, population=Nh)
    prep = PreparedLevels(design, [(parent, 2), (child, 4)], [None, (0, parent_of)])
    est_p, est_c = ratio_combinations([y], [x], np.eye(1), design, prep)

    def z_of(mask):
        X, Y = (w * x * mask).sum(), (w * y * mask).sum()
        return mask * (y - Y / X * x) / X

    for d in range(4):
        zd = z_of(child == d) - z_of(parent == parent_of[d])
        var = 0.0
        for s in np.unique(h):
            t = (w * zd)[h == s]
            var += (1 - t.size / Nh[int(s)]) * t.size / (t.size - 1) * ((t - t.mean()) ** 2).sum()
        assert_allclose(est_c.se_diff[d, 0], np.sqrt(var), rtol=1e-10)
        assert_allclose(est_c.diff[d, 0], est_c.value[d, 0] - est_p.value[parent_of[d], 0],
                        rtol=1e-12)


def test_renormalised_coefficients_skip_missing_ratios():
    y = np.array([1.0, 0, 1, 1])
    x = np.ones(4)
    none = np.zeros(4)
    design = design_arrays(np.ones(4), [0, 0, 1, 1])

    def coefs(avail):
        c = avail.astype(float)
        return (c / c.sum(axis=1, keepdims=True))[:, None, :]

    (est,) = ratio_combinations([y, none], [x, none], coefs, design, [(np.zeros(4, int), 1)])
    assert_allclose(est.value[0, 0], 0.75, rtol=1e-12)


def test_domain_without_rows_is_nan():
    design = design_arrays(np.ones(4), [0, 0, 1, 1])
    (est,) = ratio_combinations([np.ones(4)], [np.ones(4)], np.eye(1), design,
                                [(np.array([0, 0, 1, 1]), 3)])
    assert np.isnan(est.value[2, 0]) and np.isnan(est.se[2, 0]) and est.n[2, 0] == 0
