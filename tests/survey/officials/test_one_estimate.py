"""One estimate everywhere: a filtered dashboard, the filtered PDF and the exported data
give the same figure, and the exports carry what R/Stata/SPSS need to reproduce it.

A province of two communes with three waves (2024-2026) of 45 responses per commune and
two service fields. The references are independent of the engine: a direct weighted
formula on the exported CSV, SurveyDesign with the exported stratum and fpc columns,
the command line ``python -m analysis indices`` on the exported units and populations
files, and scipy's t distribution for the changes.
"""

import datetime as dt
import io
import re

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from scipy import stats

from analysis import SurveyDesign
from analysis.exports import read_responses_csv
from analysis.report.formatting import fmt_percent
from questionnaires import load_bundled
from survey.extensions import db
from survey.models import Population, Unit, Wave
from survey.public.flow import channel_of
from survey.services import dashboard, reports

from .conftest import answer_rows

PER = 45
WAVES = ("2024", "2025", "2026")


@pytest.fixture
def history(app, make_unit, make_point, make_field, make_wave, create_response):
    """Three waves of a province with two communes and two service fields."""
    root = make_unit("TINH3", name="Tỉnh Ba Đợt", kind="province")
    communes = [make_unit("XA-3A", name="Xã Đông", parent=root),
                make_unit("XA-3B", name="Xã Tây", parent=root)]
    points = [make_point(u) for u in communes]
    fields = [make_field("DD3", name="Đất đai"), make_field("TP3", name="Tư pháp")]
    q = load_bundled("sipas")
    waves = []
    for w, code in enumerate(WAVES):
        wave = make_wave(code, units=[root], status="closed" if code != "2026" else "open",
                         name=f"Năm {code}", starts_on=dt.date(int(code), 1, 1))
        waves.append(wave)
        with app.app_context():
            for k, unit in enumerate(communes):
                for j, field in enumerate(fields):
                    db.session.add(Population(wave_id=wave.id, unit_id=unit.id,
                                              service_field_id=field.id,
                                              dossiers=300 + 170 * k + 90 * j + 40 * w))
            db.session.commit()
        answers = iter(answer_rows(q, 2 * PER, seed=100 + w))
        for point in points:
            for i in range(PER):
                a = next(answers)
                # fields unevenly: two thirds in the first one
                create_response(wave, point, answers=a, service_field_id=fields[int(i % 3 == 2)].id,
                                channel=channel_of(a))
    return {"root": root, "communes": communes, "waves": waves}


def _csv(official, code, query):
    data = official.get(f"/quan-ly/don-vi/{code}/du-lieu.csv?{query}").get_data()
    return read_responses_csv(io.BytesIO(data), load_bundled("sipas"))


def _direct_overall(frame: pd.DataFrame, q) -> float:
    """The overall index from the questionnaire's definition and the weight column alone:
    criterion = weighted share of 4-5 among 1-5 answers; element = mean of its criteria
    with data; overall = mean of the elements with data."""
    spec = q.analysis
    w = frame["weight"].to_numpy(float)
    elements = []
    for element in spec.elements:
        crit = []
        for c in element.criteria:
            x = frame[c.question]
            answered = x.isin([1, 2, 3, 4, 5]).to_numpy()
            if (w * answered).sum() > 0:
                crit.append(100 * (w * x.isin(list(spec.satisfied)).to_numpy()).sum()
                            / (w * answered).sum())
        if crit:
            elements.append(np.mean(crit))
    return float(np.mean(elements))


def test_filtered_view_is_one_estimate_everywhere(app, official, history):
    query = "wave=2026&channel=online"
    page = official.get(f"/quan-ly/don-vi/TINH3?{query}").get_data(as_text=True)
    pdf = official.get(f"/quan-ly/don-vi/TINH3/bao-cao.pdf?{query}").get_data()
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    with app.test_request_context():
        unit = db.session.scalar(db.select(Unit).where(Unit.code == "TINH3"))
        waves = sorted(history["waves"], key=lambda w: w.starts_on)
        waves = [db.session.get(Wave, w.id) for w in waves]
        data = dashboard.unit_dashboard(unit, waves, waves[-1], channel="online")
        ctx = reports._report_context(*reports._results(waves[-1], waves[-2], channel="online"),
                                      "TINH3", waves[-1], waves[-2], "vi",
                                      reports._filters_info(None, "online"))
    board, report = data["overall"]["value"], ctx["headline"]["value"]
    exported = _csv(official, "TINH3", query)
    assert set(exported["channel"].map(lambda c: "online" if str(c).startswith("online") else c)) \
        == {"online"}
    direct = _direct_overall(exported, load_bundled("sipas"))
    assert board == pytest.approx(direct, abs=1e-9)
    assert report == pytest.approx(direct, abs=1e-9)
    assert not data["overall"]["suppressed"]
    shown = fmt_percent(board, "vi")
    assert re.search(r'id="overall-value">([^<]*)<', page).group(1) == shown
    assert shown in text
    # The subset re-weighted on its own (the old behaviour) is another number.
    sub = exported.copy()
    sub["weight"] = sub["fpc"] / sub.groupby("stratum")["stratum"].transform("size")
    assert _direct_overall(sub, load_bundled("sipas")) != pytest.approx(direct, abs=1e-6)


def test_export_design_columns_reproduce_the_standard_errors(app, official, history):
    frame = _csv(official, "TINH3", "wave=2026")
    assert {"weight", "stratum", "fpc"} <= set(frame.columns)
    n_h = frame.groupby("stratum")["stratum"].transform("size")
    np.testing.assert_allclose(frame["fpc"], frame["weight"] * n_h, rtol=1e-12)
    x = frame["staff_polite"]
    frame["sat"] = np.where(x.isin([1, 2, 3, 4, 5]), x.isin([4, 5]).astype(float), np.nan)
    frame["online"] = np.where(frame["channel"].astype(str).str.startswith("online"),
                               frame["unit_code"], "other")
    design = SurveyDesign(frame, weights="weight", strata="stratum", fpc="fpc",
                          lonely_psu="adjust")
    ref = design.proportion("sat", method="beta", by="online")
    with app.test_request_context():
        wave = db.session.scalar(db.select(Wave).where(Wave.code == "2026"))
        result = reports.wave_result(wave, channel="online")
    got = (result.indices.query("kind == 'criterion' and id == 'staff_polite'")
           .set_index("unit_code"))
    for code in ("XA-3A", "XA-3B"):
        assert got.loc[code, "value"] / 100 == pytest.approx(ref.loc[code, "value"], rel=1e-10)
        assert got.loc[code, "se"] / 100 == pytest.approx(ref.loc[code, "se"], rel=1e-10)
        assert got.loc[code, "n"] == ref.loc[code, "n"]


def test_command_line_on_the_exported_files_gives_the_dashboard_figures(app, official, history,
                                                                       tmp_path):
    from analysis.cli import main

    for name, query in (("responses", "du-lieu.csv"), ("units", "thiet-ke/don-vi.csv"),
                        ("populations", "thiet-ke/ho-so.csv")):
        response = official.get(f"/quan-ly/don-vi/TINH3/{query}?wave=2025")
        assert response.status_code == 200
        (tmp_path / f"{name}.csv").write_bytes(response.get_data())
    units = pd.read_csv(tmp_path / "units.csv")
    assert set(units["code"]) == {"TINH3", "XA-3A", "XA-3B"}
    assert pd.isna(units.set_index("code").loc["TINH3", "parent_code"])
    assert main(["indices", "--responses", str(tmp_path / "responses.csv"), "--definition", "sipas",
                 "--units", str(tmp_path / "units.csv"),
                 "--populations", str(tmp_path / "populations.csv"),
                 "--out", str(tmp_path / "out"), "--no-drivers", "--quiet"]) == 0
    cli = pd.read_csv(tmp_path / "out" / "indices.csv")
    with app.test_request_context():
        wave = db.session.scalar(db.select(Wave).where(Wave.code == "2025"))
        result = reports.wave_result(wave)
    mine = result.indices.set_index(["unit_code", "kind", "id"])
    for _, row in cli[cli["kind"].isin(["overall", "element"])].iterrows():
        ref = mine.loc[(row["unit_code"], row["kind"], row["id"])]
        assert row["value"] == pytest.approx(ref["value"], abs=1e-9)
        assert row["se"] == pytest.approx(ref["se"], abs=1e-9)


def test_trend_of_three_waves_tests_each_change(app, official, history):
    page = official.get("/quan-ly/don-vi/TINH3?wave=2026").get_data(as_text=True)
    with app.test_request_context():
        unit = db.session.scalar(db.select(Unit).where(Unit.code == "TINH3"))
        waves = [db.session.get(Wave, w.id) for w in history["waves"]]
        data = dashboard.unit_dashboard(unit, waves, waves[-1])
        rows = [reports.wave_result(w).indices.query("unit_code == 'TINH3' and kind == 'overall'")
                .iloc[0] for w in waves]
    points = data["trend"]
    assert [p["label"] for p in points] == list(WAVES)
    assert points[0]["change"] is None
    for before, now, point in zip(rows, rows[1:], points[1:]):
        # hand computation: independent samples, Satterthwaite df, two-sided t test
        v = now["se"] ** 2 + before["se"] ** 2
        dof = v ** 2 / (now["se"] ** 4 / now["df"] + before["se"] ** 4 / before["df"])
        p = 2 * stats.t.sf(abs(now["value"] - before["value"]) / np.sqrt(v), dof)
        assert point["change"]["change"] == pytest.approx(now["value"] - before["value"])
        assert point["change"]["p"] == pytest.approx(p, rel=1e-9)
        want = "no_change" if p >= 0.05 else ("better" if now["value"] > before["value"] else "worse")
        assert point["change"]["verdict"] == want
    assert 'id="trend"' in page and page.count('class="trend-change"') == 3
    # the breakdowns: a row per field and channel with data, and the counts table
    b = data["breakdowns"]
    assert {r["code"] for r in b["by_field"]} == {"DD3", "TP3"}
    assert b["counts"][-1]["code"] is None
    assert b["counts"][-1]["responses"] == 2 * PER
    for r in b["counts"][:-1]:
        assert r["fraction"] == pytest.approx(r["responses"] / r["dossiers"])
    assert 'id="by-field"' in page and 'id="counts"' in page and 'id="by-channel"' in page
    assert '<th scope="row">' in page


def test_report_pdf_has_the_trend_tables_and_methods(official, history):
    pdf = official.get("/quan-ly/don-vi/TINH3/bao-cao.pdf?wave=2026").get_data()
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for words in ("Diễn biến qua các đợt khảo sát", "Năm 2024", "Năm 2025",
                  "Chỉ số chung theo lĩnh vực và hình thức nộp hồ sơ", "Số phiếu so với số hồ sơ",
                  "Tỷ lệ lấy mẫu", "Korn–Graubard", "NCHS", "Holm", "Satterthwaite",
                  "ước lượng miền con", "Khoảng hạng", "Cỡ mẫu hiệu dụng"):
        assert words in text, words
    for english in ("insufficient sample", "Likely ranks", "Effective n", "Service field",
                    "in person", "online", "better", "worse"):
        assert english not in text, english
