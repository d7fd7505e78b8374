"""Export files built from responses frames: columns, codebook, labels, round trips, streaming."""

import datetime as dt
import io
import tracemalloc
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from analysis.exports import (BOM, ExportError, ExportPlan, cell_weights, clean_text, export_frame,
                              guard_formula, iter_csv, read_responses_csv, unguard_formula,
                              write_codebook_csv, write_dta, write_sav, write_table_csv,
                              write_table_xlsx, write_xlsx)
from analysis.sipas.inputs import build_tree, check_populations
from analysis.sipas.weighting import design_weights
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled


@pytest.fixture(scope="module")
def sipas():
    return load_bundled("sipas")


@pytest.fixture
def frame(sipas):
    """400 synthetic responses with the meta columns the database reader adds."""
    f = synthetic_responses(sipas, pd.DataFrame({"unit_code": ["X01", "X02"]}), 400, seed=3,
                            fields=["tu_phap", "dat_dai"])
    f.insert(4, "unit_name", np.where(f["unit_code"] == "X01", "Xã Ê Đê", "Phường Hòa Bình"))
    f.insert(5, "mode", "web")
    f.insert(6, "submitted_date", dt.date(2025, 7, 1))
    f["weight"] = np.where(f["unit_code"] == "X01", 12.5, 40.0)
    f.loc[0, "comments"] = "=1+2"
    f.loc[1, "comments"] = "-2+3 cán bộ\x07 tận tình\r\nxin cảm ơn"
    f.loc[2, "comments"] = "'@lời"
    f.loc[3, "access_info"] = "na"
    return f


def chunks(f, size):
    return [f.iloc[i:i + size] for i in range(0, len(f), size)]


def test_columns_are_meta_then_question_ids(sipas):
    plan = ExportPlan(sipas)
    names = [v.name for v in plan.csv_variables]
    assert names[:11] == ["row", "unit_code", "unit_name", "service_point", "service_field", "channel",
                          "mode", "submitted_date", "weight", "stratum", "fpc"]
    assert names[11:] == [qid for qid in sipas.questions if qid != "channel"]
    wide = [v.name for v in plan.wide_variables]
    assert "improve_first" not in wide
    assert [n for n in wide if n.startswith("improve_first__")] == [
        f"improve_first__{c.value}" for c in sipas.questions["improve_first"].choices]


def test_codebook_lists_every_column_code_and_label(sipas):
    plan = ExportPlan(sipas)
    book = plan.codebook()
    variables = set(book["variable"])
    assert {v.name for v in plan.csv_variables} | {v.name for v in plan.wide_variables} <= variables
    for qid, question in sipas.questions.items():
        rows = book[(book["variable"] == qid) & (book["value"] != "")]
        if question.type in ("single", "multiple"):
            assert rows["value"].tolist() == [str(c.value) for c in question.choices]
            assert rows["value_label"].tolist() == [sipas.text(c.label, "vi") for c in question.choices]
        if question.type == "scale":
            assert rows["value_label"].tolist()[:5] == ["Rất không hài lòng", "Không hài lòng", "Bình thường",
                                                        "Hài lòng", "Rất hài lòng"]
            assert (rows["value"].tolist()[-1] == "na") == bool(question.na)
        label = book.loc[(book["variable"] == qid) & (book["label"] != ""), "label"].iloc[0]
        assert label == sipas.text(question.label, "vi")
    assert plan.codebook_headers()[:3] == ["Biến", "Nhãn biến", "Kiểu"]
    sex = book[(book["variable"] == "sex") & (book["value"] == "female")]
    assert sex["code"].tolist() == [2] and sex["value_label"].tolist() == ["Nữ"]


def test_english_labels_on_request(sipas):
    plan = ExportPlan(sipas, "en")
    book = plan.codebook()
    assert plan.codebook_headers()[:3] == ["Variable", "Variable label", "Type"]
    assert book.loc[book["variable"] == "unit_name", "label"].iloc[0] == "Unit name"
    assert "Very satisfied" in set(book["value_label"])
    with pytest.raises(ValueError, match="fr"):
        ExportPlan(sipas, "fr")


def test_csv_has_bom_and_round_trips(sipas, frame):
    data = b"".join(iter_csv(chunks(frame, 150), ExportPlan(sipas)))
    assert data.startswith(BOM)
    text = data[len(BOM):].decode("utf-8")
    assert "Xã Ê Đê" in text and "'=1+2" in text and "''@lời" in text
    back = read_responses_csv(io.BytesIO(data), sipas)
    assert back["row"].tolist() == list(range(1, 401))
    expected = frame.astype(object).where(frame.notna(), None)
    expected.loc[1, "comments"] = "-2+3 cán bộ tận tình\nxin cảm ơn"
    for col in frame.columns:
        assert back[col].tolist() == expected[col].tolist(), col


def test_csv_multiple_choice_is_space_joined_and_scale_keeps_na(sipas, frame):
    out = export_frame(frame, ExportPlan(sipas), "csv")
    row = frame["improve_first"].first_valid_index()
    assert out.loc[row, "improve_first"] == " ".join(frame.loc[row, "improve_first"])
    assert out.loc[3, "access_info"] == "na"
    assert set(out["late"].dropna()) <= {"true", "false"}


def test_control_characters_removed_and_formula_guard_reversible():
    assert clean_text("a\x00b\x1b\x7fc\x85\td\r\ne\rf") == "abc\td\ne\nf"
    for text in ["=1+2", "+84 90", "-5", "@x", "\tx", "'=x", "''", "'", "ok", "", "Ý kiến"]:
        assert unguard_formula(guard_formula(text)) == text
        assert not guard_formula(text).startswith(("=", "+", "-", "@", "\t"))


def test_xlsx_writes_dummies_codebook_and_no_formulas(sipas, frame, tmp_path):
    path = tmp_path / "w.xlsx"
    assert write_xlsx(chunks(frame, 120), ExportPlan(sipas), path) == 400
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Dữ liệu", "Từ điển biến"]
    ws = wb["Dữ liệu"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 400
    col = {name: i for i, name in enumerate(header)}
    comments = [r[col["comments"]] for r in rows[:2]]
    assert comments == ["=1+2", "-2+3 cán bộ tận tình\nxin cảm ơn"]
    assert ws.cell(2, col["comments"] + 1).data_type == "s"
    assert rows[3][col["access_info"]] == "na"
    for r, answer in zip(rows, frame["improve_first"]):
        chosen = [c.value for c in sipas.questions["improve_first"].choices
                  if r[col[f"improve_first__{c.value}"]] == 1]
        if answer is None:
            assert all(r[col[f"improve_first__{c.value}"]] is None for c in sipas.questions["improve_first"].choices)
        else:
            assert chosen == answer
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    book = list(wb["Từ điển biến"].iter_rows(values_only=True))
    assert book[0][:3] == ("Biến", "Nhãn biến", "Kiểu")


def test_xlsx_refuses_more_rows_than_a_sheet_holds(sipas, frame, tmp_path):
    with pytest.raises(ExportError, match="CSV"):
        write_xlsx(chunks(frame, 100), ExportPlan(sipas), tmp_path / "x.xlsx", max_rows=250)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_sav_dta_round_trip_codes_and_labels(sipas, frame, tmp_path, fmt):
    path = tmp_path / f"w.{fmt}"
    writer, reader = (write_sav, pyreadstat.read_sav) if fmt == "sav" else (write_dta, pyreadstat.read_dta)
    writer(frame, ExportPlan(sipas), path)
    df, meta = reader(str(path), **({"user_missing": True} if fmt == "sav" else {}))
    assert len(df) == 400
    labels, values = meta.column_names_to_labels, meta.variable_value_labels
    assert labels["overall_satisfaction"].startswith("Mức độ hài lòng chung")
    assert values["overall_satisfaction"] == {1: "Rất không hài lòng", 2: "Không hài lòng", 3: "Bình thường",
                                              4: "Hài lòng", 5: "Rất hài lòng"}
    assert values["access_info"][9] == "Không có ý kiến"
    assert df["access_info"].iloc[3] == 9
    sex = sipas.questions["sex"]
    codes = {c.value: k for k, c in enumerate(sex.choices, start=1)}
    assert df["sex"].tolist() == [codes.get(v, np.nan) if v is not None else pytest.approx(np.nan, nan_ok=True)
                                  for v in frame["sex"]]
    assert values["sex"] == {k: sipas.text(c.label, "vi") for c, k in zip(sex.choices, codes.values())}
    assert df["trips"].dropna().tolist() == frame["trips"].dropna().tolist()
    late = frame["late"].map({True: 1.0, False: 0.0})
    assert df["late"].fillna(-1).tolist() == late.fillna(-1).tolist()
    assert df["comments"].iloc[1] == "-2+3 cán bộ tận tình\nxin cảm ơn"
    assert df["unit_name"].iloc[0] in ("Xã Ê Đê", "Phường Hòa Bình")
    assert df["submitted_date"].iloc[0] == dt.date(2025, 7, 1)
    assert df["weight"].tolist() == frame["weight"].tolist()


def test_dta_shortens_long_names_and_labels(sipas, frame, tmp_path):
    write_dta(frame, ExportPlan(sipas), tmp_path / "w.dta")
    df, meta = pyreadstat.read_dta(str(tmp_path / "w.dta"))
    assert max(len(c) for c in df.columns) <= 32
    assert len(set(df.columns)) == len(df.columns)
    assert all(len(label) <= 80 for label in meta.column_labels)
    long = [lab for lab in meta.column_labels if lab.endswith("…")]
    assert long, "the SIPAS labels longer than 80 characters are cut with an ellipsis"


def test_long_comments_survive_sav_and_dta(sipas, frame, tmp_path):
    long = "Đề nghị rút ngắn thời gian giải quyết hồ sơ. " * 100       # > 2,045 bytes: a Stata strL
    frame.loc[5, "comments"] = long.strip()
    write_dta(frame, ExportPlan(sipas), tmp_path / "w.dta")
    write_sav(frame, ExportPlan(sipas), tmp_path / "w.sav")
    for df in (pyreadstat.read_dta(str(tmp_path / "w.dta"))[0], pyreadstat.read_sav(str(tmp_path / "w.sav"))[0]):
        assert df["comments"].iloc[5] == long.strip()
        assert df["comments"].iloc[6] == (frame["comments"].iloc[6] or "")


def test_cell_weights_without_populations_are_missing():
    counts = pd.DataFrame({"unit_code": ["A", "B"], "service_field": ["f", None], "n": [3, 2]})
    pops = pd.DataFrame({"unit_code": [], "service_field": [], "dossiers": []})
    cells = cell_weights(counts, pops)
    assert sorted(zip(cells["unit_code"], cells["service_field"])) == [("A", "f"), ("B", "")]
    assert cells["weight"].isna().all()


def test_empty_frames_give_a_header_only_csv(sipas):
    data = b"".join(iter_csv([], ExportPlan(sipas)))
    assert data.startswith(BOM + b"row,unit_code,unit_name,")
    assert data.count(b"\r\n") == 1


def test_csv_pulls_chunks_lazily(sipas, frame):
    pulled = []

    def source():
        for k, part in enumerate(chunks(frame, 100)):
            pulled.append(k)
            yield part

    pieces = iter_csv(source(), ExportPlan(sipas))
    next(pieces)
    assert pulled == []
    next(pieces)
    assert pulled == [0]
    next(pieces)
    assert pulled == [0, 1]


def _csv_peak(plan, base, chunks_count):
    """(bytes of CSV, peak traced memory) of streaming ``chunks_count`` copies of ``base``."""
    def source():
        for _ in range(chunks_count):
            yield base.copy()

    tracemalloc.start()
    try:
        total = sum(len(piece) for piece in iter_csv(source(), plan))
        return total, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_csv_streaming_memory_stays_flat(sipas):
    """50,000 rows in chunks of 500: the peak is a small part of the file and does not grow."""
    base = synthetic_responses(sipas, pd.DataFrame({"unit_code": ["A", "B", "C"]}), 500, seed=9,
                               fields=["f"])
    plan = ExportPlan(sipas)
    total, peak = _csv_peak(plan, base, 100)
    small_total, small_peak = _csv_peak(plan, base, 20)
    assert total > 8_000_000 and total > 4.9 * small_total
    assert peak < total / 5, (peak, total)
    assert peak < 1.25 * small_peak, (peak, small_peak)


def test_unknown_stored_values_are_errors_not_blanks(sipas, frame):
    bad = frame.copy()
    bad.loc[0, "sex"] = "robot"
    with pytest.raises(ExportError, match="robot"):
        export_frame(bad, ExportPlan(sipas), "coded")


def test_codebook_csv_has_bom_and_vietnamese_headers(sipas):
    buf = io.BytesIO()
    write_codebook_csv(ExportPlan(sipas), buf)
    book = pd.read_csv(io.BytesIO(buf.getvalue()), encoding="utf-8-sig", dtype=str)
    assert buf.getvalue().startswith(BOM)
    assert list(book.columns) == ["Biến", "Nhãn biến", "Kiểu", "Phần", "Câu hỏi", "Giá trị (CSV, XLSX)",
                                  "Mã (SPSS, Stata)", "Nhãn giá trị", "Ghi chú"]


def test_result_tables_as_csv_and_xlsx(tmp_path):
    table = pd.DataFrame({"unit_code": ["*", "X01"], "id": ["overall", "overall"], "value": [83.9, 80.1],
                          "n": [400, 180], "note": ["=cmd", "ok"]})
    buf = io.BytesIO()
    write_table_csv(table, buf)
    back = pd.read_csv(io.BytesIO(buf.getvalue()), encoding="utf-8-sig")
    assert list(back.columns) == ["Mã đơn vị", "Mã chỉ số", "Giá trị (%)", "Số phiếu", "note"]
    assert back["Giá trị (%)"].tolist() == [83.9, 80.1]
    write_table_xlsx({"Chỉ số": table}, tmp_path / "t.xlsx", lang="en")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["Chỉ số"]
    assert [c.value for c in ws[1]] == ["Unit code", "Index id", "Value (%)", "Responses", "note"]
    assert ws.cell(2, 5).value == "=cmd" and ws.cell(2, 5).data_type == "s"


def test_cell_weights_match_design_weights_on_the_rows():
    rng = np.random.default_rng(1)
    units = [f"U{k}" for k in range(12)]
    rows = pd.DataFrame({"unit_code": rng.choice(units, 3000),
                         "service_field": rng.choice(["a", "b", "c", None], 3000)})
    pops = pd.DataFrame([(u, f, int(rng.integers(0, 400))) for u in units[:-1] for f in ("a", "b")],
                        columns=["unit_code", "service_field", "dossiers"])
    tree = build_tree(pd.DataFrame({"code": units, "parent_code": [None] * len(units)}))
    expected, keep = design_weights(rows, tree.index(rows["unit_code"]), check_populations(pops, tree), tree,
                                    missing_population="drop")
    counts = rows.fillna({"service_field": ""}).value_counts().rename("n").reset_index()
    for batch_rows in (10, 1_000_000):
        cells = cell_weights(counts, pops, batch_rows=batch_rows)
        key = dict(zip(zip(cells["unit_code"], cells["service_field"]), cells["weight"]))
        got = np.array([key[(u, f if isinstance(f, str) else "")] for u, f in zip(rows["unit_code"], rows["service_field"])])
        np.testing.assert_allclose(got[keep], expected.weights)
        assert np.isnan(got[~keep]).all() and (~keep).any()   # U11 has no dossiers
        # stratum and fpc: the same partition as the engine's strata, N_h = w * n_h
        look = cells.set_index(["unit_code", "service_field"])
        fields = rows["service_field"].fillna("")
        stratum = look["stratum"].reindex(pd.MultiIndex.from_arrays([rows["unit_code"], fields]))
        fpc = look["fpc"].reindex(pd.MultiIndex.from_arrays([rows["unit_code"], fields]))
        kept = pd.Series(stratum.to_numpy()[keep])
        assert kept.groupby(expected.stratum).nunique().eq(1).all()
        assert pd.Series(expected.stratum).groupby(kept.to_numpy()).nunique().eq(1).all()
        n_h = kept.map(kept.value_counts()).to_numpy()
        np.testing.assert_allclose(fpc.to_numpy(float)[keep], got[keep] * n_h, rtol=1e-12)
        np.testing.assert_allclose(fpc.to_numpy(float)[keep],
                                   expected.population[expected.stratum], rtol=1e-12)
        assert stratum.to_numpy()[keep][0].startswith(rows["unit_code"][keep].iloc[0] + "|")


def test_fast_csv_lines_equal_the_csv_module(sipas, frame):
    import csv

    from analysis.exports.convert import csv_rows, csv_text

    frame.loc[7, "comments"] = 'Cán bộ nói "chờ đấy", rồi đi,\nkhông hẹn'
    frame.loc[8, "unit_name"] = "Xã A, huyện B"
    plan = ExportPlan(sipas)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(csv_rows(frame, plan, first_row=11))
    assert csv_text(frame, plan, first_row=11) == buf.getvalue()
