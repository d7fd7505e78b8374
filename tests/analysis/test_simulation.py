"""The standing simulation check: unit-level intervals and flags on identical communes.

21 communes of identical true quality (``analysis.simulation.identical_units_study``),
25 seeded waves of 3,000 responses (525 unit-waves per measure): every index (overall and
each element) and headline indicator must cover its true value in at least 90 % of the
unit-waves with a nominal 95 % interval, and flag at most 7 % of them as "above/below
the province" (every flag is false). With 525 unit-waves the binomial SE of a 95 %
coverage is about 1 point, so the thresholds leave room for chance but not for the
failures measured before the fix (feedback element: coverage 0.77, false flags 0.18).
"""

import pytest

from analysis.simulation import HEADLINE, identical_units_study
from questionnaires import load_bundled


@pytest.fixture(scope="module")
def study():
    return identical_units_study(load_bundled("sipas"), n_units=21, responses=3000,
                                 waves=25, seed=1).set_index(["kind", "id"])


@pytest.mark.parametrize("measure", HEADLINE, ids=lambda m: f"{m[0]}-{m[1]}")
def test_coverage_and_false_flags_on_identical_units(study, measure):
    row = study.loc[measure]
    assert row["unit_waves"] >= 500
    assert row["coverage"] >= 0.90, row.to_dict()
    assert row["flag_rate"] <= 0.07, row.to_dict()


@pytest.mark.parametrize("measure", [m for m in HEADLINE if m[0] != "indicator"],
                         ids=lambda m: f"{m[0]}-{m[1]}")
def test_false_flags_among_presented_indices(study, measure):
    # suppressed figures are not tested: the flags must be rare among those shown too
    # (3+ trips is not held to this: see docs/statistics.md, section 10)
    assert study.loc[measure, "flag_rate_presented"] <= 0.07


def test_the_study_exercises_the_hard_cases(study):
    # shares at exactly 0 % are common for the rare indicators, so the check has teeth
    assert study.loc[("indicator", "extra_payment"), "zero_or_full"] > 0.3
    assert study.loc[("indicator", "harassment"), "zero_or_full"] > 0.1
