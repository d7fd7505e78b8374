"""Domain estimation for filtered views, the wave comparison and the count table.

References are independent: SurveyDesign's own domain estimator (``by=`` over the full
design), direct weighted sums, and hand computations with scipy's t distribution.
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from analysis import SurveyDesign
from analysis.sipas import (SipasOptions, change_test, compare_waves, compute_sipas,
                            domain_breakdown, response_counts)
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled

FIELDS = ["land", "civil", "business"]
OPTS = SipasOptions(drivers=False, rank_draws=200)


@pytest.fixture(scope="module")
def sipas():
    return load_bundled("sipas")


@pytest.fixture(scope="module")
def units():
    rows = [("P1", None)] + [(f"P1C{i}", "P1") for i in range(1, 5)]
    return pd.DataFrame({"code": [r[0] for r in rows], "name": [r[0] for r in rows],
                         "name_en": None, "kind": None, "parent_code": [r[1] for r in rows]})


@pytest.fixture(scope="module")
def wave(sipas, units):
    frame = synthetic_responses(sipas, pd.DataFrame({"unit_code": units["code"][1:]}), 1600,
                                seed=11, fields=FIELDS)
    cells = frame.groupby(["unit_code", "service_field"]).size().rename("n").reset_index()
    rng = np.random.default_rng(3)
    cells["dossiers"] = cells["n"] * rng.integers(5, 40, len(cells))
    return frame, cells.drop(columns="n")


def _design_frame(result, frame):
    cells = result.weighting["cells"][["unit_code", "service_field", "stratum", "weight"]]
    d = frame.merge(cells, how="left", on=["unit_code", "service_field"])
    d["N"] = d["weight"] * d.groupby("stratum")["stratum"].transform("size")
    return d


@pytest.mark.parametrize("column,value", [("channel", "online_full"), ("service_field", "civil")])
def test_domain_equals_surveydesign_domain_of_full_design(sipas, units, wave, column, value):
    frame, pops = wave
    mask = (frame[column] == value).to_numpy()
    full = compute_sipas(frame, sipas, units, pops, options=OPTS)
    dom = compute_sipas(frame, sipas, units, pops, options=OPTS, domain=mask)
    d = _design_frame(full, frame)
    x = pd.to_numeric(d["staff_polite"].where(d["staff_polite"] != "na"), errors="coerce")
    d["sat"] = np.where(x.isna(), np.nan, x.isin([4, 5]).astype(float))
    d["dom"] = np.where(mask, d["unit_code"], "out")
    design = SurveyDesign(d, weights="weight", strata="stratum", fpc="N", lonely_psu="adjust")
    ref = design.proportion("sat", method="beta", by="dom").drop(index="out")
    got = (dom.indices.query("kind == 'criterion' and id == 'staff_polite' and depth == 1")
           .set_index("unit_code").loc[ref.index])
    assert_allclose(got["value"] / 100, ref["value"], rtol=1e-10)
    assert_allclose(got["se"] / 100, ref["se"], rtol=1e-10)
    assert (got["n"].to_numpy() == ref["n"].to_numpy()).all()
    assert (got["df"].to_numpy() == ref["df"].to_numpy()).all()
    # the point estimate is the ratio of the domain's weighted sums (full-wave weights)
    for code in ref.index:
        sel = mask & (frame["unit_code"] == code).to_numpy() & d["sat"].notna().to_numpy()
        direct = (d["weight"][sel] * d["sat"][sel]).sum() / d["weight"][sel].sum()
        assert got.loc[code, "value"] / 100 == pytest.approx(direct, rel=1e-12)
    assert dom.meta["n_responses"] == int(mask.sum())
    assert dom.units.set_index("code")["responses"].sum() == int(mask.sum())   # own responses


def test_domain_differs_from_reweighted_subset(sipas, units, wave):
    frame, pops = wave
    mask = (frame["channel"] == "in_person").to_numpy()
    dom = compute_sipas(frame, sipas, units, pops, options=OPTS, domain=mask)
    sub = compute_sipas(frame[mask], sipas, units, pops, options=OPTS)
    a = dom.indices.query("kind == 'overall' and depth == -1")["value"].iloc[0]
    b = sub.indices.query("kind == 'overall' and depth == -1")["value"].iloc[0]
    assert a != pytest.approx(b, abs=1e-9)


def test_domain_needs_one_value_per_response(sipas, units, wave):
    frame, pops = wave
    from analysis.sipas import SipasInputError
    with pytest.raises(SipasInputError):
        compute_sipas(frame, sipas, units, pops, options=OPTS, domain=np.ones(3, bool))


@pytest.mark.parametrize("column", ["service_field", "channel"])
def test_domain_breakdown_rows_equal_filtered_results(sipas, units, wave, column):
    frame, pops = wave
    table = domain_breakdown(frame, sipas, units, pops, column, options=OPTS)
    assert set(table["domain"]) == set(frame[column])
    for value in sorted(set(frame[column]))[:2]:
        one = compute_sipas(frame, sipas, units, pops, options=OPTS,
                            domain=(frame[column] == value).to_numpy())
        want = (one.indices.query("kind in ['overall', 'element']")
                .set_index(["unit_code", "kind", "id"]))
        got = table[table["domain"] == value].set_index(["unit_code", "kind", "id"])
        want = want.loc[got.index]
        assert len(got) == len(want) > 0
        for col in ("value", "se", "ci_low", "ci_high", "n_eff"):
            assert_allclose(got[col], want[col], rtol=1e-12, atol=1e-12)
        assert (got["n"] == want["n"]).all() and (got["df"] == want["df"]).all()
        assert (got["status"] == want["status"]).all()


def test_response_counts_by_hand():
    responses = pd.DataFrame({"unit_code": ["A", "A", "A", "B", "B"],
                              "service_field": ["x", "x", "y", "x", None]})
    pops = pd.DataFrame({"unit_code": ["A", "A", "B", "B"], "service_field": ["x", "y", "x", "z"],
                         "dossiers": [20, 10, 4, 7]})
    got = response_counts(responses, pops).set_index(["unit_code", "service_field"])
    assert got.loc[("A", "x"), "responses"] == 2 and got.loc[("A", "x"), "fraction"] == 0.1
    assert got.loc[("A", "y"), "fraction"] == 0.1
    assert got.loc[("B", "x"), "fraction"] == 0.25
    assert got.loc[("B", "z"), "responses"] == 0 and got.loc[("B", "z"), "fraction"] == 0
    assert got.loc[("B", ""), "responses"] == 1 and np.isnan(got.loc[("B", ""), "fraction"])


def test_change_test_by_hand():
    # 84.0 (SE 1.5, df 40) now against 78.0 (SE 2.0, df 25) before
    v = 1.5 ** 2 + 2.0 ** 2
    dof = v ** 2 / (1.5 ** 4 / 40 + 2.0 ** 4 / 25)       # Satterthwaite: 50.96
    t = 6.0 / np.sqrt(v)                                   # 2.4
    p = 2 * stats.t.sf(t, dof)                             # 0.0205...
    got = change_test(84.0, 1.5, 40, 78.0, 2.0, 25)
    assert dof == pytest.approx(50.96, abs=0.01)
    assert got["change"] == pytest.approx(6.0)
    assert got["se"] == pytest.approx(2.5)
    assert got["df"] == pytest.approx(dof)
    assert got["p"] == pytest.approx(p, rel=1e-12)
    assert got["ci_low"] == pytest.approx(6.0 - stats.t.ppf(0.975, dof) * 2.5)
    assert 0.01 < p < 0.05 and got["verdict"] == "better"
    # the same rise of an indicator where lower is better is worse
    assert change_test(84.0, 1.5, 40, 78.0, 2.0, 25, direction="lower")["verdict"] == "worse"
    # 4 points with these SEs is within the noise (p = 0.116)
    assert change_test(82.0, 1.5, 40, 78.0, 2.0, 25)["verdict"] == "no_change"
    # a small change is no change, whatever its sign (the old dashboard said "better")
    assert change_test(82.05, 1.5, 40, 82.0, 2.0, 25)["verdict"] == "no_change"
    assert change_test(np.nan, 1.5, 40, 82.0, 2.0, 25)["verdict"] == "not_comparable"


def test_compare_waves_tables_and_rank_change(sipas, units, wave):
    frame, pops = wave
    before = compute_sipas(frame, sipas, units, pops, options=OPTS)
    frame2 = synthetic_responses(sipas, pd.DataFrame({"unit_code": units["code"][1:]}), 1600,
                                 seed=12, fields=FIELDS)
    cells = frame2.groupby(["unit_code", "service_field"]).size().rename("n").reset_index()
    cells["dossiers"] = cells["n"] * 10
    now = compute_sipas(frame2, sipas, units, cells.drop(columns="n"), options=OPTS,
                        previous=before)
    directions = {i.id: i.direction for i in sipas.analysis.indicators}
    table = compare_waves(now.indicators, before.indicators, directions=directions,
                          rankings=now.rankings)
    row = table.query("unit_code == 'P1' and id == 'late'").iloc[0]
    a = now.indicators.query("unit_code == 'P1' and id == 'late'").iloc[0]
    b = before.indicators.query("unit_code == 'P1' and id == 'late'").iloc[0]
    assert a["status"] in ("ok", "review") and b["status"] in ("ok", "review")
    ref = change_test(a["value"], a["se"], a["df"], b["value"], b["se"], b["df"],
                      direction="lower")
    assert row["direction"] == "lower"
    assert row["change"] == pytest.approx(a["value"] - b["value"])
    assert row["p"] == pytest.approx(float(ref["p"]))
    assert row["verdict"] == ref["verdict"]
    # a rank change is shown only beyond its uncertainty
    ranked = table.dropna(subset=["rank_change"])
    assert len(ranked)
    for _, r in ranked.iterrows():
        assert r["rank_change_shown"] == (r["rank_change"] if r["rank_change_significant"] else 0)
    # suppressed figures are not compared
    small = compare_waves(now.indices.assign(status="small_sample"), before.indices)
    assert (small["verdict"] == "not_comparable").all()
