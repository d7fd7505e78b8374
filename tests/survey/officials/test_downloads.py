"""The PDF report and the data exports of a unit, downloaded from the dashboard."""

import io
from urllib.parse import unquote

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from survey.officials.downloads import ascii_fallback, attachment_headers


def filename_star(response) -> str:
    """Return the RFC 5987 file name of an attachment response."""
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


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
    assert len(frame) == 12                                  # only XA-A's responses
    assert filename_star(response).endswith("XA-A - 2026.csv")


def test_province_csv_holds_every_commune(official, province):
    data = official.get("/quan-ly/don-vi/TINH/du-lieu.csv?wave=2025").get_data()
    assert len(pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")) == 24


def test_xlsx_export(official, province):
    response = official.get("/quan-ly/don-vi/XA-B/du-lieu.xlsx?wave=2026")
    assert response.status_code == 200
    assert response.data.startswith(b"PK")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.max_row - 1 == 12


@pytest.mark.parametrize("fmt, reader", [("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)])
def test_spss_and_stata_exports(official, province, tmp_path, fmt, reader):
    response = official.get(f"/quan-ly/don-vi/TINH/du-lieu.{fmt}?wave=2026")
    assert response.status_code == 200
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.data)
    frame, _meta = reader(str(path))
    assert len(frame) == 24


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
