"""SVG text chunks drawn whole (analysis/report/svg_text.py), read back from the PDF.

Each case renders the same SVG twice, with the wrapper and with WeasyPrint's own
``SVG.draw_node`` (``svg_text.uninstall()``), and compares what pdftotext and the
content streams show.
"""

import base64
import io
import re
import subprocess
import unicodedata
from contextlib import nullcontext

import pytest
import weasyprint
from pypdf import PdfReader
from weasyprint import svg as weasy_svg

from analysis.report import svg_text
from tests.analysis.standins import without

WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')


def _render(body: str, *, whole: bool) -> bytes:
    assert svg_text.install()
    with nullcontext() if whole else without(svg_text):
        # Served as an image, as the report's charts are (render.py).
        svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="140" '
               f'font-family="DejaVu Sans" font-size="12">{body}</svg>')
        src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        return weasyprint.HTML(string=f'<html lang="vi"><body style="margin:0"><img src="{src}">'
                                      '</body></html>').write_pdf()


def _words(pdf: bytes, tmp_path) -> list[tuple[float, float, str]]:
    # pdftotext is poppler-utils', which scripts/setup.sh installs.
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [(float(a), float(b), w) for a, b, w in WORD.findall(out)]


def _placements(pdf: bytes) -> int:
    """How many times the page and its form XObjects place text (``Tm`` operators)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    count, seen = 0, set()
    stack = [page.get_contents(), page.get("/Resources")]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        item = item.get_object() if hasattr(item, "get_object") else item
        if id(item) in seen:
            continue
        seen.add(id(item))
        if hasattr(item, "get_data"):
            count += len(re.findall(rb"\sTm\s", item.get_data()))
            stack.append(item.get("/Resources"))
        elif hasattr(item, "get"):
            for sub in (item.get("/XObject") or {}).values():
                stack.append(sub)
    return count


def test_a_plain_label_is_one_text_object_in_the_place_weasyprint_gives_it(tmp_path):
    body = ('<text x="10" y="20">Tiếp cận dịch vụ hành chính công</text>'
            '<text x="390" y="50" text-anchor="end">Chỉ số hài lòng (%)</text>'
            '<text x="200" y="80" style="text-anchor: middle">AVATAR 82,35</text>')
    whole = _render(body, whole=True)
    glyphs = _render(body, whole=False)
    # WeasyPrint alone places every code point but spaces; drawn whole, each label once.
    assert _placements(whole) == 3
    assert _placements(glyphs) == sum(len(t.replace(" ", "")) for t in (
        "Tiếp cận dịch vụ hành chính công", "Chỉ số hài lòng (%)", "AVATAR 82,35"))
    a, b = _words(whole, tmp_path), _words(glyphs, tmp_path)
    assert [w for *_, w in a] == [w for *_, w in b] == (
        "Tiếp cận dịch vụ hành chính công".split() + "Chỉ số hài lòng (%)".split()
        + ["AVATAR", "82,35"])
    # The anchors hold: the first label starts, the second ends, the third is centred
    # where it was (to 0.05 pt; only kerning inside the words differs).
    assert a[0][0] == pytest.approx(b[0][0], abs=0.05)
    assert a[11][1] == pytest.approx(b[11][1], abs=0.05)
    assert (a[12][0] + a[13][1]) / 2 == pytest.approx((b[12][0] + b[13][1]) / 2, abs=0.05)
    # Set as one run, "AVATAR" is kerned (A-V, V-A, T-A); code point by code point it is not.
    assert a[12][1] - a[12][0] < b[12][1] - b[12][0] - 1


def test_combining_marks_stay_on_their_letters(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Hài lòng chung")
    assert decomposed != "Hài lòng chung"
    body = f'<text x="10" y="20">{decomposed}</text>'
    whole = [w for *_, w in _words(_render(body, whole=True), tmp_path)]
    glyphs = [w for *_, w in _words(_render(body, whole=False), tmp_path)]
    assert [unicodedata.normalize("NFC", w) for w in whole] == ["Hài", "lòng", "chung"]
    assert len(glyphs) > 3                     # WeasyPrint alone tears the marks off


@pytest.mark.parametrize("body, drawn", [
    ('<text x="10 30 50" y="20">abc</text>', 3),
    ('<text x="10" y="20" dx="0 2 2">abc</text>', 3),
    ('<text x="10" y="20" rotate="0 10 20">abc</text>', 3),
    ('<text x="10" y="20" textLength="80">abc</text>', 3),
    ('<g letter-spacing="2"><text x="10" y="20">abc</text></g>', 3),
    ('<text x="10" y="20" direction="rtl">abc</text>', 3),
    ('<text x="10" y="20">ab<tspan dy="3">cd</tspan></text>', 3),     # "ab" whole, cd apart
])
def test_text_that_places_glyphs_one_by_one_is_left_to_weasyprint(body, drawn, tmp_path):
    whole = _render(body, whole=True)
    glyphs = _render(body, whole=False)
    assert _placements(whole) == drawn
    assert _words(whole, tmp_path) == _words(glyphs, tmp_path)


def test_install_wraps_once():
    assert svg_text.install() and svg_text.install()
    assert weasy_svg.SVG.draw_node is svg_text.draw_node
    assert svg_text._REPLACEMENT.original is not svg_text.draw_node


def test_a_chunk_is_the_same_string_iterated_once():
    chunk = svg_text.Chunk("Đánh giá")
    assert chunk == "Đánh giá" and len(chunk) == 8 and chunk.encode() == "Đánh giá".encode()
    assert list(chunk) == ["Đánh giá"]
