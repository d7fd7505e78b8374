"""Diagnostics: Kish weighting design effect and effective n, Cronbach's alpha, and the
response-count table -- against hand computations and independent code."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.sipas import SipasOptions, SipasResult, compute_sipas
from analysis.sipas.diagnostics import cronbach_alpha, kish
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled

# Hand-worked alpha (Cronbach 1951, alpha = k/(k-1) (1 - sum s_i^2 / s_T^2)):
# 4 respondents, 3 items: (1,2,2), (2,2,3), (3,4,3), (4,4,5); totals 5, 7, 10, 13.
# Item variances (n - 1 divisor) 5/3, 4/3, 4.75/3; total variance 36.75/3;
# alpha = 3/2 * (1 - 13.75/36.75) = 46/49.
HAND_ITEMS = [(1, 2, 2), (2, 2, 3), (3, 4, 3), (4, 4, 5)]
HAND_ALPHA = 46 / 49


def alpha_from_covariance(items):
    """Independent form: alpha = k/(k-1) * (1 - trace(C) / sum(C)), C the covariance."""
    c = np.cov(np.asarray(items, float), rowvar=False)
    k = c.shape[0]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


class _Spec:
    """A minimal analysis spec: one element with the given criteria."""

    def __init__(self, questions):
        crit = [type("C", (), {"question": q, "weight": 1})() for q in questions]
        self.elements = [type("E", (), {"id": "e", "criteria": crit})()]


def test_alpha_hand_worked():
    frame = pd.DataFrame(HAND_ITEMS, columns=["a", "b", "c"])
    got = cronbach_alpha(frame, _Spec(["a", "b", "c"]))
    assert got.loc[0, "n"] == 4 and got.loc[0, "k"] == 3
    assert_allclose(got.loc[0, "alpha"], HAND_ALPHA, rtol=1e-12)
    assert_allclose(alpha_from_covariance(HAND_ITEMS), HAND_ALPHA, rtol=1e-12)


def test_alpha_complete_cases_and_independent_form():
    rng = np.random.default_rng(4)
    latent = rng.normal(size=300)
    items = np.clip(np.round(3 + latent[:, None] + rng.normal(0, 0.8, (300, 4))), 1, 5)
    frame = pd.DataFrame(items.astype(int).astype(object), columns=list("abcd"))
    frame.loc[:9, "b"] = "na"           # not applicable: left out of alpha
    frame.loc[10:14, "d"] = None        # unanswered
    got = cronbach_alpha(frame, _Spec(list("abcd")))
    complete = items[15:]
    assert got.loc[0, "n"] == 285
    assert_allclose(got.loc[0, "alpha"], alpha_from_covariance(complete), rtol=1e-12)


def test_kish_hand_worked():
    # w = 1, 1, 2, 4: sum 8, sum of squares 22; deff = 4 * 22 / 64, n_eff = 64 / 22
    deff, n_eff = kish([1, 1, 2, 4])
    assert_allclose(deff, 11 / 8, rtol=1e-15)
    assert_allclose(n_eff, 32 / 11, rtol=1e-15)
    w = np.array([1, 1, 2, 4.0])
    assert_allclose(deff, 1 + (w.std() / w.mean()) ** 2, rtol=1e-12)   # 1 + CV^2


@pytest.fixture(scope="module")
def result_and_inputs():
    sipas = load_bundled("sipas")
    codes = ["A1", "A2", "B1"]
    units = pd.DataFrame({"code": ["A", "B"] + codes, "name": ["A", "B"] + codes,
                          "name_en": None, "kind": None,
                          "parent_code": [None, None, "A", "A", "B"]})
    frame = synthetic_responses(sipas, pd.DataFrame({"unit_code": codes}), 600, seed=9,
                                fields=["land", "civil", "justice"])
    cells = frame.groupby(["unit_code", "service_field"]).size().rename("n").reset_index()
    rng = np.random.default_rng(2)
    cells["dossiers"] = (cells["n"] * rng.uniform(3, 50, len(cells))).round()
    pops = pd.concat([cells.drop(columns="n"),
                      pd.DataFrame({"unit_code": ["B1"], "service_field": ["other"],
                                    "dossiers": [40.0]})], ignore_index=True)
    res = compute_sipas(frame, sipas, units, pops, options=SipasOptions(drivers=False))
    return res, frame, pops, sipas


def test_weighting_effects_per_unit(result_and_inputs):
    res, frame, _, _ = result_and_inputs
    cells = res.weighting["cells"][["unit_code", "service_field", "weight"]]
    w = frame.merge(cells, how="left", on=["unit_code", "service_field"])
    table = res.diagnostics["weighting"].set_index("unit_code")
    for unit, rows in [("A1", w[w.unit_code == "A1"]), ("A", w[w.unit_code.str[0] == "A"]),
                       ("*", w)]:
        ww = rows["weight"].to_numpy()
        # independent: effective n = (sum w)^2 / sum w^2, deff = 1 + CV^2 (population var)
        assert table.loc[unit, "n"] == len(ww)
        assert_allclose(table.loc[unit, "n_eff_weighting"], ww.sum() ** 2 / (ww**2).sum(),
                        rtol=1e-12)
        assert_allclose(table.loc[unit, "deff_weighting"], 1 + ww.var() / ww.mean() ** 2,
                        rtol=1e-12)
    assert (table["deff_weighting"] >= 1 - 1e-12).all()


def test_alpha_per_element_in_the_result(result_and_inputs):
    res, frame, _, sipas = result_and_inputs
    alpha = res.diagnostics["alpha"].set_index("element")
    assert list(alpha.index) == [e.id for e in sipas.analysis.elements]
    e = sipas.analysis.elements[0]
    items = frame[[c.question for c in e.criteria]].replace(["na", "not_applicable"], np.nan)
    items = items.dropna().astype(float).to_numpy()
    assert alpha.loc[e.id, "n"] == len(items)
    assert_allclose(alpha.loc[e.id, "alpha"], alpha_from_covariance(items), rtol=1e-12)


def test_response_counts_against_dossiers(result_and_inputs, tmp_path):
    res, frame, pops, _ = result_and_inputs
    t = res.diagnostics["response_counts"].set_index(["unit_code", "service_field"])
    counts = frame.groupby(["unit_code", "service_field"]).size()
    for key, n in counts.items():
        assert t.loc[key, "responses"] == n
    for _, r in pops.iterrows():
        row = t.loc[(r["unit_code"], r["service_field"])]
        assert row["dossiers"] == r["dossiers"]
        assert_allclose(row["sampling_fraction"],
                        counts.get((r["unit_code"], r["service_field"]), 0) / r["dossiers"])
    # saved beside the tables and read back
    res.save(tmp_path)
    back = SipasResult.load(tmp_path)
    assert set(back.diagnostics) == {"weighting", "alpha", "response_counts"}
    assert_allclose(back.diagnostics["alpha"]["alpha"], res.diagnostics["alpha"]["alpha"])
    assert "diagnostics" in res.to_dict()
