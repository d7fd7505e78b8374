"""The PDF report and the data exports of a unit, downloaded from the dashboard."""

import io
import re
from urllib.parse import unquote

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from analysis.report.formatting import fmt_int, fmt_percent
from survey.extensions import db

from .conftest import PER_COMMUNE
from survey.models import Response, ServiceField, Unit, Wave
from survey.officials.downloads import ascii_fallback, attachment_headers
from survey.services import reports


def filename_star(response) -> str:
    """Return the RFC 5987 file name of an attachment response."""
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def overall_of(app, wave_code, unit_code, **filters):
    """The engine's overall index row of a unit in a wave under the filters."""
    with app.app_context():
        wave = db.session.scalar(db.select(Wave).where(Wave.code == wave_code))
        table = reports.wave_result(wave, **filters).indices
        return table[(table["unit_code"] == unit_code) & (table["kind"] == "overall")].iloc[0]


def stored_rows(app, wave_code, unit_codes, *, field=None, channel=None):
    """How many stored responses of the units match the filters (counted without the export)."""
    with app.app_context():
        query = (db.select(Response).join(Wave).join(Unit, Unit.id == Response.unit_id)
                 .where(Wave.code == wave_code, Unit.code.in_(unit_codes)))
        rows = db.session.scalars(query).all()
        fields = {f.id: f.code for f in db.session.scalars(db.select(ServiceField))}
        return sum(1 for r in rows if (field is None or fields.get(r.service_field_id) == field)
                   and (channel is None or r.channel == channel))


def test_pdf_report_of_a_unit(official, province):
    response = official.get("/quan-ly/don-vi/XA-A/bao-cao.pdf?wave=2026")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "Xã Đông Hưng" in pdf_text(response.data)
    assert filename_star(response) == "Báo cáo SIPAS - Xã Đông Hưng - 2026.pdf"
    assert 'filename="Bao-cao-SIPAS-Xa-Dong-Hung-2026.pdf"' in response.headers["Content-Disposition"]


def test_pdf_report_of_a_unit_without_responses(official, province):
    response = official.get("/quan-ly/don-vi/XA-C/bao-cao.pdf?wave=2026")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert "Xã Tân Lập" in pdf_text(response.data)


def test_pdf_report_with_bad_wave_is_400(official, province):
    assert official.get("/quan-ly/don-vi/XA-A/bao-cao.pdf?wave=1999").status_code == 400


def test_csv_export_streams_the_subtree(official, province):
    response = official.get("/quan-ly/don-vi/XA-A/du-lieu.csv?wave=2026")
    assert response.status_code == 200
    assert response.is_streamed
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")                 # BOM: Excel reads UTF-8
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(frame) == PER_COMMUNE                                  # only XA-A's responses
    assert filename_star(response).endswith("XA-A - 2026.csv")


def test_province_csv_holds_every_commune(official, province):
    data = official.get("/quan-ly/don-vi/TINH/du-lieu.csv?wave=2025").get_data()
    assert len(pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")) == 2 * PER_COMMUNE


def test_xlsx_export(official, province):
    response = official.get("/quan-ly/don-vi/XA-B/du-lieu.xlsx?wave=2026")
    assert response.status_code == 200
    assert response.data.startswith(b"PK")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.max_row - 1 == PER_COMMUNE


@pytest.mark.parametrize("fmt, reader", [("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)])
def test_spss_and_stata_exports(official, province, tmp_path, fmt, reader):
    response = official.get(f"/quan-ly/don-vi/TINH/du-lieu.{fmt}?wave=2026")
    assert response.status_code == 200
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.data)
    frame, _meta = reader(str(path))
    assert len(frame) == 2 * PER_COMMUNE


def test_unknown_export_format_is_404(official, province):
    assert official.get("/quan-ly/don-vi/TINH/du-lieu.exe?wave=2026").status_code == 404


def test_dashboard_links_to_every_download(official, province):
    page = official.get("/quan-ly/don-vi/TINH?wave=2025").get_data(as_text=True)
    assert "/quan-ly/don-vi/TINH/bao-cao.pdf?wave=2025" in page
    for fmt in ("csv", "xlsx", "sav", "dta"):
        assert f"/quan-ly/don-vi/TINH/du-lieu.{fmt}?wave=2025" in page


def test_attachment_names():
    assert ascii_fallback("Báo cáo - Sở Tư pháp - Đà Nẵng.pdf") == "Bao-cao-So-Tu-phap-Da-Nang.pdf"
    header = attachment_headers('a/b\\c"d.pdf')["Content-Disposition"]
    assert "/" not in header.split("filename*=")[1].replace("%2F", "")
    assert '"d' not in header


def test_filtered_pdf_report_shows_the_subset_and_names_it(app, official, province):
    whole = official.get("/quan-ly/don-vi/TINH/bao-cao.pdf?wave=2026")
    response = official.get("/quan-ly/don-vi/TINH/bao-cao.pdf?wave=2026&field=TP&channel=in_person")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = flat(pdf_text(response.data))
    row = overall_of(app, "2026", "TINH", field="TP", channel="in_person")
    full = overall_of(app, "2026", "TINH")
    assert int(row["n"]) == stored_rows(app, "2026", ["XA-A", "XA-B"], field="TP", channel="in_person")
    assert int(row["n"]) < int(full["n"])
    assert fmt_percent(row["value"], "vi") in text
    assert f"Số phiếu hợp lệ {fmt_int(row['n'], 'vi')}" in text
    # The comparison wave is filtered the same way.
    before = overall_of(app, "2025", "TINH", field="TP", channel="in_person")
    shown = ("chưa đủ mẫu" if before["status"] == "small_sample"
             else fmt_percent(before["value"], "vi"))
    assert re.search(rf"Kỳ trước \(Năm 2025\) {re.escape(shown)}", text)
    # The subset is named on the cover and in the methods section; the whole wave's is not.
    assert "Phạm vi phiếu Lĩnh vực: Tư pháp (TP); hình thức nộp hồ sơ: trực tiếp" in text
    assert "Báo cáo này chỉ tính các phiếu thuộc phạm vi sau" in text
    assert "Phạm vi phiếu" not in flat(pdf_text(whole.data))
    assert filename_star(response) == "Báo cáo SIPAS - Tỉnh Thử Nghiệm - 2026 - TP - in_person.pdf"


def test_filtered_english_pdf_names_the_filter_in_english(app, official, province):
    with app.app_context():
        db.session.get(ServiceField, province.fields[1].id).name_en = "Justice"
        db.session.commit()
    official.set_cookie("lang", "en")
    response = official.get("/quan-ly/don-vi/XA-A/bao-cao.pdf?wave=2026&field=TP&channel=in_person")
    assert response.status_code == 200
    text = flat(pdf_text(response.data))
    assert "Responses included Service field: Justice (TP); channel: in person" in text
    assert filename_star(response) == "SIPAS report - Xã Đông Hưng - 2026 - TP - in_person.pdf"


@pytest.mark.parametrize("query, word", [("field=NOPE", "NOPE"), ("channel=fax", "fax")])
@pytest.mark.parametrize("path", ["bao-cao.pdf", "du-lieu.csv", "du-lieu.sav"])
def test_downloads_refuse_a_bad_filter(official, province, path, query, word):
    response = official.get(f"/quan-ly/don-vi/XA-A/{path}?wave=2026&{query}")
    assert response.status_code == 400
    assert word in response.get_data(as_text=True)


def test_filtered_csv_holds_only_the_matching_rows(app, official, province):
    response = official.get("/quan-ly/don-vi/TINH/du-lieu.csv?wave=2026&field=DD&channel=in_person")
    assert response.status_code == 200 and response.is_streamed
    frame = pd.read_csv(io.BytesIO(response.get_data()), encoding="utf-8-sig")
    expected = stored_rows(app, "2026", ["XA-A", "XA-B"], field="DD", channel="in_person")
    assert 0 < len(frame) == expected < 2 * PER_COMMUNE
    assert set(frame["service_field"]) == {"DD"}
    assert filename_star(response).endswith("TINH - 2026 - DD - in_person.csv")
    # The rows and their weights are those of the unfiltered file.
    whole = pd.read_csv(io.BytesIO(official.get("/quan-ly/don-vi/TINH/du-lieu.csv?wave=2026")
                                   .get_data()), encoding="utf-8-sig")
    assert len(whole) == 2 * PER_COMMUNE
    by_field = pd.read_csv(io.BytesIO(official.get("/quan-ly/don-vi/TINH/du-lieu.csv?wave=2026&field=DD")
                                      .get_data()), encoding="utf-8-sig")
    assert len(by_field) == PER_COMMUNE and set(by_field["service_field"]) == {"DD"}
    assert sorted(by_field["weight"]) == sorted(whole.loc[whole["service_field"] == "DD", "weight"])


@pytest.mark.parametrize("fmt, reader", [("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)])
def test_filtered_binary_exports(app, official, province, tmp_path, fmt, reader):
    response = official.get(f"/quan-ly/don-vi/TINH/du-lieu.{fmt}?wave=2026&field=TP")
    assert response.status_code == 200
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.data)
    frame, _meta = reader(str(path))
    assert len(frame) == PER_COMMUNE


def test_filtered_xlsx_export(app, official, province):
    response = official.get("/quan-ly/don-vi/XA-B/du-lieu.xlsx?wave=2026&channel=in_person")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.max_row - 1 == stored_rows(app, "2026", ["XA-B"], channel="in_person")


def test_dashboard_download_links_carry_the_filters(official, province):
    page = official.get("/quan-ly/don-vi/TINH?wave=2025&field=TP&channel=online").get_data(as_text=True)
    assert "/quan-ly/don-vi/TINH/bao-cao.pdf?wave=2025&amp;field=TP&amp;channel=online" in page
    for fmt in ("csv", "xlsx", "sav", "dta"):
        assert f"/quan-ly/don-vi/TINH/du-lieu.{fmt}?wave=2025&amp;field=TP&amp;channel=online" in page
    assert 'id="downloads-filtered"' in page
    assert "apply to this page only" not in page and "chỉ áp dụng cho trang này" not in page
    assert 'id="downloads-filtered"' not in official.get("/quan-ly/don-vi/TINH?wave=2025").get_data(as_text=True)
