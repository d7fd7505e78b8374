"""The dashboard shows the engine's numbers, follows its filters and never fails on gaps."""

import re

import pandas as pd

import pytest

from analysis.report.formatting import fmt_int, fmt_interval, fmt_number, fmt_percent
from analysis.sipas.compute import compute_sipas
from survey.extensions import db
from survey.models import Wave
from survey.services import reports

from .conftest import PER_COMMUNE


def text_of(page: str, element_id: str) -> str:
    """Return the text inside the element with ``element_id`` (tags removed)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:span|dd|p|td)>', page, re.S)
    assert match, f"no element #{element_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def engine(app, wave_code, *, field=None, channels=None, previous_code=None):
    """Compute the wave with the engine directly, a filter being a domain of the full design
    (the mask is built here independently of the service's)."""
    with app.app_context():
        def run(code, prior=None):
            wave = db.session.scalar(db.select(Wave).where(Wave.code == code))
            inputs = reports.wave_inputs(wave)
            frame, pops = inputs.responses, inputs.populations
            mask = pd.Series(True, index=frame.index)
            if field is not None:
                mask &= frame["service_field"] == field
            if channels is not None:
                mask &= frame["channel"].isin(channels)
            return compute_sipas(frame, inputs.questionnaire, inputs.units, pops,
                                 previous=prior, options=inputs.options, wave=code,
                                 domain=None if mask.all() else mask.to_numpy())
        prior = run(previous_code) if previous_code else None
        return run(wave_code, prior)


def shown(row, lang="vi"):
    """What the dashboard shows for an estimate row: the value, or "chưa đủ mẫu"."""
    if row["status"] == "small_sample":
        return "chưa đủ mẫu" if lang == "vi" else "insufficient sample"
    return fmt_percent(row["value"], lang)


def overall(result, unit_code):
    t = result.indices
    return t[(t["unit_code"] == unit_code) & (t["kind"] == "overall")].iloc[0]


def test_index_lists_the_unit_tree(official, province):
    page = official.get("/quan-ly/").get_data(as_text=True)
    for name in ("Tỉnh Thử Nghiệm", "Xã Đông Hưng", "Phường Bắc Sơn", "Xã Tân Lập"):
        assert name in page
    # Communes are nested under the province.
    assert page.index("Tỉnh Thử Nghiệm") < page.index("Xã Đông Hưng")
    assert "/quan-ly/don-vi/XA-A" in page


def test_dashboard_shows_the_engine_numbers(app, official, province):
    response = official.get("/quan-ly/don-vi/XA-A?wave=2026")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    result = engine(app, "2026", previous_code="2025")
    row = overall(result, "XA-A")
    assert row["status"] in ("ok", "review")
    assert text_of(page, "overall-value") == shown(row) == fmt_percent(row["value"], "vi")
    assert text_of(page, "overall-ci") == fmt_interval(row["ci_low"], row["ci_high"], "vi")
    assert text_of(page, "overall-n") == fmt_int(row["n"], "vi") == str(PER_COMMUNE)
    assert text_of(page, "overall-n-eff") == fmt_number(row["n_eff"], "vi", 0)
    ranks = result.rankings
    rank = ranks[(ranks["unit_code"] == "XA-A") & (ranks["kind"] == "overall")].iloc[0]
    # the rank with its interval of likely ranks
    assert text_of(page, "overall-rank").startswith(f"{int(rank['rank'])}/2")
    assert text_of(page, "overall-rank").endswith(
        f"(có thể từ {int(rank['rank_low'])} đến {int(rank['rank_high'])})")
    # The province has no siblings: no "1/1" rank.
    top = official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    assert text_of(top, "overall-rank") == "–"
    # Every element index of the unit is in the elements table.
    t = result.indices
    for _, e in t[(t["unit_code"] == "XA-A") & (t["kind"] == "element")].iterrows():
        row_html = re.search(rf'data-element="{e["id"]}">(.*?)</tr>', page, re.S).group(1)
        assert shown(e) in row_html


def test_province_dashboard_ranks_its_communes(app, official, province):
    page = official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    result = engine(app, "2026", previous_code="2025")
    for code in ("XA-A", "XA-B"):
        row = re.search(rf'data-unit="{code}">(.*?)</tr>', page, re.S).group(1)
        assert shown(overall(result, code)) in row
    # The commune without responses is listed, unranked and marked as without data.
    assert re.search(r'class="[^"]*no-data[^"]*" data-unit="XA-C"', page)
    # Rank changes against 2025 are shown for ranked communes.
    assert "rank-change" in page


def test_wave_filter_changes_the_numbers(app, official, province):
    pages = {code: official.get(f"/quan-ly/don-vi/XA-A?wave={code}").get_data(as_text=True)
             for code in ("2025", "2026")}
    shown_ = {code: text_of(page, "overall-value") for code, page in pages.items()}
    assert shown_["2025"] != shown_["2026"]
    assert shown_["2025"] == shown(overall(engine(app, "2025"), "XA-A"))
    # Without a wave the latest one is shown.
    latest = official.get("/quan-ly/don-vi/XA-A").get_data(as_text=True)
    assert text_of(latest, "overall-value") == shown_["2026"]


def test_field_filter_changes_the_numbers(app, official, province):
    whole = official.get("/quan-ly/don-vi/XA-A?wave=2026").get_data(as_text=True)
    page = official.get("/quan-ly/don-vi/XA-A?wave=2026&field=DD").get_data(as_text=True)
    expected = overall(engine(app, "2026", field="DD"), "XA-A")
    assert text_of(page, "overall-n") == str(PER_COMMUNE // 2)
    assert text_of(page, "overall-value") == shown(expected)
    assert text_of(page, "overall-n") != text_of(whole, "overall-n")


def test_channel_filter_keeps_only_that_channel(app, official, province):
    page = official.get("/quan-ly/don-vi/XA-A?wave=2026&channel=in_person")
    assert page.status_code == 200
    page = page.get_data(as_text=True)
    expected = engine(app, "2026", channels=["in_person"])
    row = overall(expected, "XA-A")
    assert text_of(page, "overall-n") == fmt_int(row["n"], "vi")
    assert text_of(page, "overall-value") == shown(row)


@pytest.mark.parametrize("query, word", [
    ("wave=1999", "1999"), ("field=NOPE", "NOPE"), ("channel=fax", "fax"),
    ("wave=2026&channel=%3Cscript%3E", "&lt;script&gt;"),
])
def test_bad_filter_is_a_400_that_names_the_value(official, province, query, word):
    response = official.get(f"/quan-ly/don-vi/XA-A?{query}")
    assert response.status_code == 400
    assert word in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)


def test_unit_without_responses_says_no_data(official, province):
    response = official.get("/quan-ly/don-vi/XA-C?wave=2026")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="no-data"' in page
    assert "Chưa có dữ liệu" in page


def test_unit_without_any_wave_says_no_data(official, make_unit):
    make_unit("LE", name="Xã Lẻ Loi")
    response = official.get("/quan-ly/don-vi/LE")
    assert response.status_code == 200
    assert 'id="no-data"' in response.get_data(as_text=True)


def test_wave_without_responses_says_no_data(official, make_wave, make_unit):
    unit = make_unit("MOI", name="Tỉnh Mới", kind="province")
    make_wave("2027", units=[unit])
    response = official.get("/quan-ly/don-vi/MOI?wave=2027")
    assert response.status_code == 200
    assert 'id="no-data"' in response.get_data(as_text=True)


def test_filter_with_no_matching_responses_says_no_data(official, province):
    response = official.get("/quan-ly/don-vi/XA-A?wave=2026&channel=post")
    assert response.status_code == 200
    assert 'id="no-data"' in response.get_data(as_text=True)


def test_unknown_unit_is_404(official, province):
    assert official.get("/quan-ly/don-vi/KHONG-CO").status_code == 404


def test_demo_wave_shows_the_sample_data_banner(official, make_unit, make_wave, create_response):
    unit = make_unit("DEMO", kind="province")
    make_wave("MAU", units=[unit], is_demo=True)
    page = official.get("/quan-ly/don-vi/DEMO?wave=MAU").get_data(as_text=True)
    assert "DỮ LIỆU MẪU" in page
    # One notice, in the officials' wording: not the citizens' banner as well.
    assert page.count("DỮ LIỆU MẪU") == 1 and "demo-banner" not in page


def test_real_wave_has_no_banner(official, province):
    page = official.get("/quan-ly/don-vi/XA-A?wave=2026").get_data(as_text=True)
    assert "DỮ LIỆU MẪU" not in page


def test_results_are_computed_once_per_request(app, official, province, monkeypatch):
    from survey.services import reports

    calls = []
    original = reports.compute_sipas

    def counting(*args, **kwargs):
        calls.append(kwargs.get("wave"))
        return original(*args, **kwargs)

    monkeypatch.setattr(reports, "compute_sipas", counting)
    assert official.get("/quan-ly/don-vi/TINH?wave=2026").status_code == 200
    # 2025 (previous and trend) and 2026 (with rank changes); nothing twice.
    assert sorted(calls) == ["2025", "2026"]


def test_english_dashboard(official, province):
    official.set_cookie("lang", "en")
    page = official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    assert "Test Province" in page
    assert "Overall satisfaction index" in page


def test_data_the_engine_refuses_is_explained_in_vietnamese(official, province, monkeypatch):
    from analysis.sipas import SipasInputError
    from survey.services import reports

    def refuse(*args, **kwargs):
        raise SipasInputError("unit 'XA-A' has responses but no dossiers")

    monkeypatch.setattr(reports, "compute_sipas", refuse)
    page = official.get("/quan-ly/don-vi/TINH?wave=2026")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Không tính được các chỉ số" in text
    assert "no dossiers" not in text                      # the engine's English stays out
    pdf = official.get("/quan-ly/don-vi/TINH/bao-cao.pdf?wave=2026")
    assert pdf.status_code == 422
    assert "Không thể lập báo cáo" in pdf.get_data(as_text=True)
    assert "no dossiers" not in pdf.get_data(as_text=True)

    official.set_cookie("lang", "en")
    english = official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    assert "The indices cannot be computed" in english and "no dossiers" in english


def test_insufficient_sample_note_names_the_standard_in_use(official, make_unit, make_wave,
                                                             make_point, create_response):
    unit = make_unit("NHO", kind="province")
    wave = make_wave("IT", units=[unit])
    point = make_point(unit)
    for _ in range(3):
        create_response(wave, point)
    page = official.get("/quan-ly/don-vi/NHO?wave=IT").get_data(as_text=True)
    note = re.search(r'id="suppressed-note">([^<]*)<', page)
    assert note is not None, "three answers cannot pass the presentation standard"
    assert "cỡ mẫu hiệu dụng" in note.group(1) and " 30 " in note.group(1)
