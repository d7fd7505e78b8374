"""The edge variance of element and overall indices (docs/statistics.md, section 2)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.sipas import SipasOptions, compute_sipas
from analysis.sipas.domains import edge_variance
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled


def test_edge_variance_hand_worked():
    # 9 of 9 satisfied, SE 0: n_eff = 9, p~ = (9 + 2) / 13, variance p~(1-p~)/13 (0-1
    # scale), i.e. 1e4 * (11/13)(2/13)/13 on the 0-100 scale
    assert_allclose(edge_variance(100.0, 0.0, 9), 1e4 * (11 / 13) * (2 / 13) / 13,
                    rtol=1e-12)
    # 0 of 1: p~ = 2/5, variance (2/5)(3/5)/5
    assert_allclose(edge_variance(0.0, 0.0, 1), 1e4 * 0.4 * 0.6 / 5, rtol=1e-12)
    # far from the edge (45 events of 90): nothing added
    assert edge_variance(50.0, 100 * np.sqrt(0.25 / 90), 90) == 0.0
    # near the edge with a design effect: n_eff = 0.97*0.03/0.05^2 = 11.64, 0.35
    # effective non-events; the floor at n_eff minus the linearised variance 25
    ne = 0.97 * 0.03 / 0.05**2
    pt = (ne * 0.97 + 2) / (ne + 4)
    assert_allclose(edge_variance(97.0, 5.0, 100), 1e4 * pt * (1 - pt) / (ne + 4) - 25,
                    rtol=1e-12)
    # 5 or more effective events and non-events: nothing added
    assert edge_variance(95.0, 100 * np.sqrt(0.95 * 0.05 / 120), 120) == 0.0
    # no answers: nothing
    assert edge_variance(np.nan, np.nan, 0) == 0.0


@pytest.fixture(scope="module")
def result():
    sipas = load_bundled("sipas")
    codes = [f"C{i}" for i in range(1, 7)]
    units = pd.DataFrame({"code": ["P"] + codes, "name": ["P"] + codes, "name_en": None,
                          "kind": ["province"] + ["commune"] * 6,
                          "parent_code": [None] + ["P"] * 6})
    frame = synthetic_responses(sipas, pd.DataFrame({"unit_code": codes}), 500, seed=11,
                                fields=["land", "civil"])
    pops = (frame.groupby(["unit_code", "service_field"]).size().mul(40.0)
            .rename("dossiers").reset_index())
    return sipas, compute_sipas(frame, sipas, units, pops, options=SipasOptions(drivers=False))


def test_element_variance_adds_the_criteria_edge_terms(result):
    sipas, res = result
    t = res.indices.set_index(["unit_code", "kind", "id"])
    spec = sipas.analysis
    checked = 0
    for unit in [f"C{i}" for i in range(1, 7)]:
        for e in spec.elements:
            crit = [c for c in e.criteria if t.loc[(unit, "criterion", c.question), "n"] > 0]
            wsum = sum(float(c.weight) for c in crit)
            extra = sum((float(c.weight) / wsum) ** 2 * edge_variance(
                t.loc[(unit, "criterion", c.question), "value"],
                t.loc[(unit, "criterion", c.question), "se"],
                t.loc[(unit, "criterion", c.question), "n"]) for c in crit)
            row = t.loc[(unit, "element", e.id)]
            assert_allclose(row["se"] ** 2, row["se_linearized"] ** 2 + extra, rtol=1e-10)
            checked += extra > 0
    assert checked >= 3        # the feedback element of small communes at least


def test_single_shares_keep_their_linearised_se(result):
    _, res = result
    shares = res.indices[res.indices["kind"].isin(["criterion", "question"])]
    ok = shares["se"].notna()
    assert_allclose(shares.loc[ok, "se"], shares.loc[ok, "se_linearized"], rtol=0)
    ind = res.indicators
    assert_allclose(ind["se"].dropna(), ind["se_linearized"].dropna(), rtol=0)


def test_difference_from_parent(result):
    _, res = result
    t = res.indices
    # the province is its whole parent (the scope): the difference is 0 by construction
    p = t[(t["unit_code"] == "P") & (t["kind"] == "element")]
    assert_allclose(p["se_diff_parent"], 0.0, atol=1e-6)     # float32 scores: rounding
    # a commune: (1 - s)^2 of its own edge term plus what the parent's leaves
    from analysis.sipas.domains import _diff_extra
    assert_allclose(_diff_extra(np.array([10.0]), np.array([1.0]), np.array([20]),
                                np.array([100])), [0.64 * 10 + 1 - 0.04 * 10])
    c = t[(t["unit_code"] == "C1") & (t["kind"] == "element")]
    assert (c["se_diff_parent"] > 0).all()
