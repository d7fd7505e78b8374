"""The report's building blocks: texts in both languages, number formats, the URL fetcher."""

import re

import pytest
import weasyprint

from analysis.report import AssetFetcher, RefusedURL
from analysis.report.formatting import fmt_change, fmt_int, fmt_interval, fmt_number, fmt_percent
from analysis.report.render import cssstr
from analysis.report.texts import LANGUAGES, TEXTS, messages, placeholders


def test_every_text_exists_in_both_languages_with_the_same_placeholders():
    for key, variants in TEXTS.items():
        assert set(variants) == set(LANGUAGES), key
        assert all(v.strip() for v in variants.values()), key
        assert placeholders(variants["vi"]) == placeholders(variants["en"]), key


def test_vietnamese_texts_are_vietnamese():
    # A Vietnamese text identical to its English one would be an untranslated leftover.
    same = [k for k, v in TEXTS.items() if v["vi"] == v["en"]]
    assert same == []
    assert messages("vi")["report_title"].startswith("Báo cáo kết quả đo lường sự hài lòng")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="fr"):
        messages("fr")


@pytest.mark.parametrize("lang, expected", [
    ("vi", ["82,99%", "1.234.567", "81,20–84,60", "+1,25", "\u22120,40", "0,15%"]),
    ("en", ["82.99%", "1,234,567", "81.20–84.60", "+1.25", "\u22120.40", "0.15%"]),
])
def test_numbers_follow_the_language(lang, expected):
    got = [fmt_percent(82.99, lang), fmt_int(1234567, lang), fmt_interval(81.2, 84.6, lang),
           fmt_change(1.25, lang), fmt_change(-0.4, lang), fmt_percent(0.1500001, lang)]
    assert got == expected


def test_missing_numbers_are_a_dash_and_zero_has_no_sign():
    assert fmt_number(None, "vi") == "–"
    assert fmt_number(float("nan"), "en") == "–"
    assert fmt_change(-0.001, "vi") == "0,00"
    assert fmt_number(1234.5, "vi", 1) == "1.234,5"


def test_cssstr_leaves_nothing_that_can_end_a_css_string_or_a_style_element():
    hostile = 'Xã "A"; } @page { x: url(file:///etc/passwd) } </style><script>alert(1)</script>'
    out = str(cssstr(hostile))
    assert re.fullmatch(r"[A-Za-z0-9 \\]*", out)
    assert "Xã" not in out and "\\e3 " in out


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "FILE:///etc/passwd", "http://127.0.0.1/secret", "https://example.org/x.ttf",
    "data:text/plain,hello", "ftp://example.org/x", "sipas-asset:fonts/../../../etc/passwd",
    "sipas-asset:fonts/%2e%2e/render.py", "sipas-asset:templates/report.html",
    "sipas-asset:fonts/OFL.txt", "sipas-asset:fonts/missing.ttf", "//example.org/x.ttf", "",
    "sipas-chart:elements", "sipas-chart:../../etc/passwd", "sipas-chart:",
])
def test_fetcher_refuses_everything_but_packaged_fonts(url):
    fetcher = AssetFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_the_packaged_font():
    fetcher = AssetFetcher()
    response = fetcher.fetch("sipas-asset:fonts/NotoSans-Regular.subset.ttf")
    data = response.read()
    assert data[:4] == b"\x00\x01\x00\x00"          # a TrueType file
    assert response.content_type == "font/ttf"


def test_fetcher_serves_only_the_charts_it_was_given():
    fetcher = AssetFetcher()
    fetcher.charts = {"elements": b"<svg xmlns='http://www.w3.org/2000/svg'/>"}
    response = fetcher.fetch("sipas-chart:elements")
    assert response.read() == fetcher.charts["elements"]
    assert response.content_type == "image/svg+xml"
    for url in ("sipas-chart:drivers", "sipas-chart:elements/x", "sipas-chart:Elements"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_an_injected_file_image_is_not_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    fetcher = AssetFetcher()
    html = (f'<html lang="vi"><title>x</title><body><p>Xin chào</p>'
            f'<img src="{secret.as_uri()}" alt="x"><img src="http://127.0.0.1:9/x.png" alt="y">'
            f'<div style="background: url(file:///etc/passwd)">z</div></body></html>')
    pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert secret.as_uri() in fetcher.refused
    assert "http://127.0.0.1:9/x.png" in fetcher.refused
    assert fetcher.served == []
