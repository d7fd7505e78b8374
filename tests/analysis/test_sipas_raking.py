"""Raking in the SIPAS layer: cells kept as a margin, a missing category, SEs from the
raking residuals -- checked against ``SurveyDesign.rake`` (itself checked against svy)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.sipas import SipasOptions, compute_sipas
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled

SHARES = {"male": 0.48, "female": 0.50, "other": 0.02}


@pytest.fixture(scope="module")
def setup():
    sipas = load_bundled("sipas")
    codes = ["A1", "A2", "A3", "B1", "B2"]
    units = pd.DataFrame({"code": ["A", "B"] + codes, "name": ["A", "B"] + codes,
                          "name_en": None, "kind": ["district"] * 2 + ["commune"] * 5,
                          "parent_code": [None, None, "A", "A", "A", "B", "B"]})
    frame = synthetic_responses(sipas, pd.DataFrame({"unit_code": codes}), 900, seed=3,
                                fields=["land", "civil"])
    rng = np.random.default_rng(5)
    frame.loc[rng.uniform(size=len(frame)) < 0.08, "sex"] = None   # missing demographics
    cells = frame.groupby(["unit_code", "service_field"]).size().rename("n").reset_index()
    cells["dossiers"] = cells["n"] * rng.uniform(5, 40, len(cells)).round()
    pops = cells.drop(columns="n")
    result = compute_sipas(frame, sipas, units, pops, options=SipasOptions(
        rake_margins={"sex": SHARES}, drivers=False))
    return sipas, frame, units, pops, result


def _reference(frame, result):
    cells = result.weighting["cells"][["unit_code", "service_field", "stratum", "weight"]]
    d = frame.merge(cells, how="left", on=["unit_code", "service_field"])
    d["w"], d["h"] = d["weight"], d["stratum"]
    d["N"] = d["w"] * d.groupby("h")["h"].transform("size")
    d["sexm"] = d["sex"].fillna("*missing").astype(str)
    x = pd.to_numeric(d["staff_polite"].where(d["staff_polite"] != "na"), errors="coerce")
    d["sat"] = np.where(x.isna(), np.nan, x.isin([4, 5]).astype(float))
    d["district"] = d["unit_code"].str[:1]
    total, miss = d["w"].sum(), d.loc[d["sexm"] == "*missing", "w"].sum()
    present = [k for k in SHARES if (d["sexm"] == k).any()]
    s = sum(SHARES[k] for k in present)
    sex_targets = {k: SHARES[k] / s * (total - miss) for k in present} | {"*missing": miss}
    cell_targets = d.groupby("h")["w"].sum().to_dict()
    design = SurveyDesign(d, weights="w", strata="h", fpc="N", lonely_psu="adjust")
    return d, design.rake({"h": cell_targets, "sexm": sex_targets}, tol=1e-13,
                       max_iter=20000)


def test_raked_weights_keep_cells_and_meet_margins(setup):
    _, frame, _, pops, result = setup
    d, raked = _reference(frame, result)
    rec = result.weighting["choices"]["raking"]
    assert rec["margins"] == ["unit × service field (dossiers)", "sex"]
    assert rec["details"]["sex"]["missing"] == int(frame["sex"].isna().sum()) > 0
    assert "raking residuals" in " ".join(result.weighting["notes"])
    assert result.meta["design"]["calibration"] == rec["margins"]
    assert result.meta["n_responses"] == len(frame)            # nobody dropped


@pytest.mark.parametrize("level,by", [(1, "unit_code"), (0, "district"), (-1, None)])
def test_raked_se_equals_surveydesign_rake(setup, level, by):
    _, frame, _, _, result = setup
    d, raked = _reference(frame, result)
    got = result.indices.query(f"kind == 'criterion' and id == 'staff_polite' "
                               f"and depth == {level}")
    if by is None:
        ref = raked.proportion("sat", method="beta")
        assert_allclose(got["value"].iloc[0] / 100, ref.value, rtol=1e-9)
        assert_allclose(got["se"].iloc[0] / 100, ref.se, rtol=1e-8)
        return
    ref = raked.proportion("sat", method="beta", by=by)
    got = got.set_index("unit_code").loc[ref.index]
    assert_allclose(got["value"] / 100, ref["value"], rtol=1e-9)
    assert_allclose(got["se"] / 100, ref["se"], rtol=1e-8, atol=1e-15)


def test_raked_se_differs_from_fixed_weight_se(setup):
    sipas, frame, units, pops, result = setup
    d, raked = _reference(frame, result)
    fixed = SurveyDesign(d.assign(w=raked.weights), weights="w", strata="h", fpc="N",
                         lonely_psu="adjust").proportion("sat", by="unit_code")
    got = result.indices.query("kind == 'criterion' and id == 'staff_polite' and depth == 1")
    got = got.set_index("unit_code").loc[fixed.index]
    assert_allclose(got["value"] / 100, fixed["value"], rtol=1e-9)
    assert not np.allclose(got["se"] / 100, fixed["se"], rtol=1e-6)


def test_difference_from_parent_uses_the_residuals(setup):
    # v(unit - parent) from the raking residuals of the difference of the two scores:
    # checked through SurveyDesign by estimating the difference as one linear score.
    _, frame, _, _, result = setup
    d, raked = _reference(frame, result)
    row = result.indices.query("kind == 'criterion' and id == 'staff_polite' "
                               "and unit_code == 'A2'").iloc[0]
    w = raked.weights
    ok = d["sat"].notna().to_numpy()
    y = d["sat"].fillna(0).to_numpy()
    inA2 = (d["unit_code"] == "A2").to_numpy() & ok
    inA = (d["district"] == "A").to_numpy() & ok
    rA2 = (w * y * inA2).sum() / (w * inA2).sum()
    rA = (w * y * inA).sum() / (w * inA).sum()
    z = inA2 * (y - rA2) / (w * inA2).sum() - inA * (y - rA) / (w * inA).sum()
    Z = (w * z)[:, None]
    for step in raked._steps:
        Z = step.residuals(Z)
    from analysis.variance import dense_variance
    var = dense_variance(Z, raked._design)[0]
    assert_allclose(row["diff_parent"] / 100, rA2 - rA, rtol=1e-9)
    assert_allclose(row["se_diff_parent"] / 100, np.sqrt(var), rtol=1e-8)


def test_poststratified_se_equals_the_hand_formula():
    # The hand-worked post-stratified SRS of results/hand_formulas.py through the SIPAS
    # estimator with a calibration step on the post-strata (one weighting cell kept).
    from analysis.calibration import CalibrationStep
    from analysis.sipas.linearized import design_arrays, ratio_combinations

    from .results.hand_formulas import PS_G, PS_MEAN, PS_MEAN_VAR, PS_POP, PS_Y

    g = np.array(PS_G)
    y = np.array(PS_Y, dtype=float)
    w0 = np.full(y.size, 10.0)
    w1 = np.array([PS_POP[k] / np.sum(g == k) for k in g])
    step = CalibrationStep("rake", ((np.zeros(y.size, dtype=np.int64), 1), (g, 2)), w0, w1)
    design = design_arrays(w1, calibration=(step,))
    est = ratio_combinations([y], [np.ones(y.size)], np.eye(1), design,
                             [(np.zeros(y.size, dtype=np.int64), 1)])[0]
    assert_allclose(est.value[0, 0], PS_MEAN, rtol=1e-12)
    assert_allclose(est.se[0, 0] ** 2, PS_MEAN_VAR, rtol=1e-10)
