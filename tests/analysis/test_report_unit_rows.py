"""unit_rows: one unit's rows of a wave table through an index made once per table,
checked against the plain boolean selection it replaces."""

import gc

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.report import unit_rows as module
from analysis.report.unit_rows import unit_rows


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["X1", "X2", "10", 10, "M"]), st.floats(0, 100)),
                max_size=40),
       st.sampled_from(["X1", "X2", "10", "M", "absent"]))
def test_the_same_rows_as_comparing_the_whole_column(rows, code):
    table = pd.DataFrame(rows, columns=["unit_code", "value"]) if rows else \
        pd.DataFrame({"unit_code": pd.Series([], dtype=object), "value": []})
    expected = table[table["unit_code"].astype(str) == code]
    got = unit_rows(table, code)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(unit_rows(table, code), expected)     # from the index


def test_the_index_is_made_once_per_table(monkeypatch):
    table = pd.DataFrame({"unit_code": ["A", "B", "A"], "id": [1, 2, 3]})
    made = []
    real = pd.DataFrame.groupby

    def counting(self, *args, **kwargs):
        made.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "groupby", counting)
    assert list(unit_rows(table, "A")["id"]) == [1, 3]
    assert list(unit_rows(table, "B")["id"]) == [2]
    assert len(made) == 1


def test_a_changed_or_new_table_is_indexed_anew():
    table = pd.DataFrame({"unit_code": ["A", "B"], "id": [1, 2]})
    assert list(unit_rows(table, "A")["id"]) == [1]
    table.loc[2] = ["A", 3]                                # a row appended in place
    assert list(unit_rows(table, "A")["id"]) == [1, 3]
    key = id(table)
    del table
    gc.collect()
    assert (key, "unit_rows") not in module._kept          # forgotten with its table
    other = pd.DataFrame({"unit_code": ["C"], "id": [9]})
    assert list(unit_rows(other, "C")["id"]) == [9]


@pytest.mark.parametrize("table", [None, pd.DataFrame({"code": ["A"]})])
def test_no_table_or_no_unit_column_gives_none(table):
    assert unit_rows(table, "A") is None


def test_an_absent_unit_gives_an_empty_frame_with_the_columns():
    table = pd.DataFrame({"unit_code": ["A"], "value": [np.float64(1.5)]})
    empty = unit_rows(table, "Z")
    assert list(empty.columns) == ["unit_code", "value"] and len(empty) == 0


def test_anything_derived_from_a_table_is_made_once_and_forgotten_with_it():
    table = pd.DataFrame({"unit_code": ["A", "B"], "id": [1, 2]})
    made = []

    def build(t):
        made.append(len(t))
        return {"rows": len(t)}

    first = module.derived(table, "count", build)
    assert module.derived(table, "count", build) is first and made == [2]
    assert module.derived(table, "other", build) is not first and made == [2, 2]
    table.loc[2] = ["C", 3]
    assert module.derived(table, "count", build) == {"rows": 3} and made == [2, 2, 3]
    key = id(table)
    del table
    gc.collect()
    assert not [k for k in module._kept if k[0] == key]


def _plain(value):
    """A value as the report cleans it: every kind of missing is None."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value


def _records(records):
    return [{k: (type(v).__name__ if _plain(v) is not None else None, _plain(v))
             for k, v in rec.items()} for rec in records]


def test_unit_records_are_what_to_dict_gives_for_every_kind_of_column():
    table = pd.DataFrame({
        "unit_code": pd.array(["A", "B", "A", None, "A"], dtype="string[pyarrow]"),
        "kind": pd.Categorical(["overall", "element", None, "overall", "criterion"]),
        "id": ["overall", "E1", "C1", "x", 7],
        "value": [81.5, np.nan, 70.25, 1.0, 0.0],
        "n": pd.array([40, None, 12, 3, 0], dtype="Int64"),
        "count": np.array([1, 2, 3, 4, 5], dtype=np.int64),
        "flag": [True, False, True, False, True],
        "label": pd.array(["một", None, "ba", "bốn", "năm"], dtype="string"),
        "when": pd.to_datetime(["2026-01-01", None, "2026-03-01", "2026-04-01", "2026-05-01"]),
    })
    for code in ("A", "B", "Z"):
        expected = unit_rows(table, code).to_dict("records")
        ours = module.unit_records(table, code)
        assert _records(ours) == _records(expected), code
    assert [r["id"] for r in module.unit_records(table, "A")] == ["overall", "C1", 7]
    assert module.unit_records(None, "A") == [] and module.unit_records(table.iloc[:0], "A") == []
    assert module.unit_records(table.drop(columns="unit_code"), "A") == []
