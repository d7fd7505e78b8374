"""The official instrument in the engine: result criteria are not asked of those still waiting."""

import pandas as pd

from analysis.sipas import compute_sipas
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled


def test_result_criteria_count_only_those_who_received_the_result():
    q = load_bundled("sipas")
    units = pd.DataFrame({"code": ["P", "A", "B"], "name": ["P", "A", "B"],
                          "kind": ["province", "commune", "commune"],
                          "parent_code": [None, "P", "P"]})
    frame = synthetic_responses(q, pd.DataFrame({"unit_code": ["A", "B"]}), 1200, seed=3,
                                fields=["TP"])
    waiting = frame["result_received"] == False  # noqa: E712
    assert 0.03 < waiting.mean() < 0.2
    results = ["result_lawful", "result_complete", "result_accurate", "result_overall"]
    assert frame.loc[waiting, results + ["late", "apology"]].isna().all().all()
    pops = pd.DataFrame({"unit_code": ["A", "B"], "service_field": "TP", "dossiers": 5000})
    res = compute_sipas(frame, q, units, pops, wave="t")
    scope = res.indices[res.indices["depth"] == -1].set_index(["kind", "id"])
    for qid in results[:3]:
        answered = pd.to_numeric(frame[qid], errors="coerce").notna()
        assert int(scope.loc[("criterion", qid), "n"]) == int(answered.sum())
        assert not (answered & waiting).any()
    # Those still waiting still count in every other element.
    assert int(scope.loc[("criterion", "staff_rules"), "n"]) > int(
        scope.loc[("criterion", "result_lawful"), "n"])
