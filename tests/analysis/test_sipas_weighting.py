"""Cell weights N_h / n_h with collapsing, raking and trimming."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.sipas.inputs import SipasInputError, build_tree, check_populations, check_responses
from analysis.sipas.weighting import POOLED, WHOLE_UNIT, design_weights, rake, trim


def _setup(missing_population="error"):
    units = pd.DataFrame({"code": ["R", "A", "B", "C", "D"],
                          "parent_code": [None, "R", "R", "R", "R"]})
    resp = pd.DataFrame({
        "unit_code": ["A", "A", "A", "B", "B", "C", "C", "C"],
        "service_field": ["f1", "f1", "f2", "f1", "f1", "f1", "f1", None],
    })
    pops = pd.DataFrame({
        "unit_code": ["A", "A", "B", "B", "C", "D"],
        "service_field": ["f1", "f3", "f1", "f2", "f1", "f1"],
        "dossiers": [10, 5, 10, 4, 30, 8],
    })
    tree = build_tree(units)
    resp, idx = check_responses(resp, tree)
    return resp, idx, check_populations(pops, tree), tree


def test_cells_pooled_and_units_merged():
    resp, idx, pops, tree = _setup()
    w, keep = design_weights(resp, idx, pops, tree)
    assert keep.all()
    # A: f1 keeps its cell (10/2); f2 (responses only) and f3 (dossiers only) are pooled
    # into one cell (5/1). B: the pool (f2, dossiers only) has no responses, so the whole
    # unit is one cell (14/2). C: the response without a field is pooled with nothing
    # else... the pool has no dossiers, so the whole unit is one cell (30/3).
    assert_allclose(w.weights, [5, 5, 5, 7, 7, 10, 10, 10])
    cells = w.record.cells.set_index(["unit_code", "service_field"])
    assert cells.loc[("A", "f2"), "cell"] == POOLED and cells.loc[("A", "f3"), "cell"] == POOLED
    assert cells.loc[("B", "f1"), "cell"] == WHOLE_UNIT
    assert w.record.choices["units_merged_whole"] == 3      # B, C and D (dossiers only)
    # every dossier of a unit with responses is represented
    assert_allclose(w.weights.sum(), 10 + 5 + 10 + 4 + 30)
    assert any("no responses" in n for n in w.record.notes)      # unit D
    assert_allclose(np.sort(w.population), [5, 10, 14, 30])


def test_strata_are_the_cells():
    resp, idx, pops, tree = _setup()
    w, _ = design_weights(resp, idx, pops, tree)
    assert len(np.unique(w.stratum)) == 4
    assert w.stratum[0] == w.stratum[1] != w.stratum[2]


def test_min_cell_n_pools_small_cells():
    resp, idx, pops, tree = _setup()
    w, _ = design_weights(resp, idx, pops, tree, min_cell_n=3)
    # A's f1 (2 responses) is now loose too: A is one pool of 15 dossiers, 3 responses
    assert_allclose(w.weights[:3], [5, 5, 5])
    assert w.record.choices["min_cell_n"] == 3


def test_missing_population_error_and_drop():
    resp, idx, pops, tree = _setup()
    pops = pops[pops["unit_code"] != "C"]
    with pytest.raises(SipasInputError, match="no dossiers.*'C'"):
        design_weights(resp, idx, pops, tree)
    w, keep = design_weights(resp, idx, pops, tree, missing_population="drop")
    assert keep.sum() == 5 and len(w.weights) == 5
    assert any("dropped 3 responses" in n for n in w.record.notes)


def test_rake_to_shares_and_totals():
    rng = np.random.default_rng(0)
    w0 = rng.uniform(1, 3, 200)
    cell = rng.integers(0, 4, 200)
    sex = rng.choice(["m", "f"], 200)
    age = rng.choice(["y", "o"], 200)
    w, step, rec = rake(w0, cell, {"sex": sex, "age": age},
                        {"sex": {"m": 50, "f": 50}, "age": {"y": 0.3, "o": 0.7}})
    assert_allclose(w.sum(), w0.sum(), rtol=1e-12)
    # the weighting cells keep their dossiers
    assert_allclose(np.bincount(cell, weights=w), np.bincount(cell, weights=w0), rtol=1e-9)
    assert_allclose(w[sex == "m"].sum() / w.sum(), 0.5, atol=1e-8)
    assert_allclose(w[age == "y"].sum() / w.sum(), 0.3, atol=1e-8)
    assert rec["variables"] == ["sex", "age"]
    assert rec["margins"] == ["unit × service field (dossiers)", "sex", "age"]
    assert step.kind == "rake" and len(step.margins) == 3
    with pytest.raises(SipasInputError, match="without a margin"):
        rake(w0, cell, {"sex": sex}, {"sex": {"m": 0.5, "x": 0.5}})


def test_rake_missing_demographics_form_their_own_category():
    rng = np.random.default_rng(1)
    w0 = rng.uniform(1, 3, 300)
    cell = rng.integers(0, 3, 300)
    sex = rng.choice(np.array(["m", "f", None], dtype=object), 300, p=[0.45, 0.45, 0.1])
    w, step, rec = rake(w0, cell, {"sex": sex}, {"sex": {"m": 0.6, "f": 0.4, "x": 0.2}})
    missing = pd.isna(sex)
    assert len(w) == 300                         # nobody dropped
    # the missing category keeps its design-weighted total; the shares (x has nobody:
    # left out and named) apply to the rest
    assert_allclose(w[missing].sum(), w0[missing].sum(), rtol=1e-9)
    known = w.sum() - w[missing].sum()
    assert_allclose(w[sex == "m"].sum() / known, 0.6, atol=1e-8)
    assert_allclose(np.bincount(cell, weights=w), np.bincount(cell, weights=w0), rtol=1e-9)
    assert rec["details"]["sex"]["missing"] == int(missing.sum())
    assert rec["details"]["sex"]["dropped_categories"] == ["x"]
    with pytest.raises(SipasInputError, match="computed"):
        rake(w0, cell, {"sex": sex}, {"sex": {"m": 0.5, "*missing": 0.5}})
    with pytest.raises(SipasInputError, match="not a column"):
        rake(w0, cell, {}, {"sex": {"m": 0.5}})


def test_rake_skips_a_margin_with_one_category():
    w0 = np.ones(10)
    w, step, rec = rake(w0, np.zeros(10, dtype=int), {"sex": np.array(["m"] * 10, object)},
                        {"sex": {"m": 0.5, "f": 0.5}})
    assert step is None and rec["skipped"] == ["sex"] and rec["margins"] == []
    assert_allclose(w, w0)


def test_trim_caps_and_keeps_total():
    w0 = np.array([1.0] * 20 + [30.0])
    w, rec = trim(w0, 3.0)
    assert_allclose(w.sum(), w0.sum(), rtol=1e-12)
    assert w.max() <= rec["cap"] * (1 + 1e-9)
    assert rec["trimmed"] == 1
    with pytest.raises(SipasInputError):
        trim(w0, 0.5)


def test_populations_checked():
    units = pd.DataFrame({"code": ["A"], "parent_code": [None]})
    tree = build_tree(units)
    with pytest.raises(SipasInputError, match="not numbers: 'ten'"):
        check_populations(pd.DataFrame({"unit_code": ["A"], "service_field": ["f"],
                                        "dossiers": ["ten"]}), tree)
    with pytest.raises(SipasInputError, match="repeat cells"):
        check_populations(pd.DataFrame({"unit_code": ["A", "A"], "service_field": ["f", "f"],
                                        "dossiers": [1, 2]}), tree)
    with pytest.raises(SipasInputError, match="unknown parent codes: 'Q'"):
        build_tree(pd.DataFrame({"code": ["A"], "parent_code": ["Q"]}))
    with pytest.raises(SipasInputError, match="cycle"):
        build_tree(pd.DataFrame({"code": ["A", "B"], "parent_code": ["B", "A"]}))
