"""Pango layouts set up from kept contexts and font descriptions
(analysis/report/text_layouts.py), against WeasyPrint's own ``Layout.setup``."""

import pytest
import weasyprint
from weasyprint.text.fonts import FontConfiguration

from analysis.report import text_layouts
from tests.analysis.standins import assert_same_report_pdf, without
from tests.analysis.test_report_pdf import _context, data  # noqa: F401  (a module fixture)
from tests.concurrency import run_in_threads

# Texts in several languages and directions, fonts of several weights, sizes, variants
# and features, and what goes to WeasyPrint's own method (a text-decoration line, a
# font-language-override).
DOCUMENT = """<!DOCTYPE html><html lang="vi"><head><style>
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; }
h1 { font-weight: 700; font-size: 16pt; }
.caps { font-variant-caps: small-caps; letter-spacing: 0.05em; }
.num { font-variant-numeric: tabular-nums; font-feature-settings: "kern" 0; }
.serif { font-family: "DejaVu Serif", serif; font-style: italic; font-stretch: condensed; }
a { text-decoration: underline; } .override { font-language-override: "TRK"; }
</style></head><body>
<h1>Chỉ số hài lòng về sự phục vụ hành chính</h1>
<p>Tiếp cận dịch vụ hành chính công <span class="caps">Thủ tục</span>
<span class="num">89,65 – 91,16</span> <span class="serif">Công chức</span>
<a href="#x">liên kết</a> <span class="override">fi ﬁ</span></p>
<p lang="en">Satisfaction with public administrative services</p>
<p lang="ar" dir="rtl">رضا المواطنين عن الخدمات</p>
<p id="x" lang="">Không có ngôn ngữ</p>
</body></html>"""


def _pdf(html=DOCUMENT, font_config=None) -> bytes:
    return weasyprint.HTML(string=html).write_pdf(font_config=font_config)


@pytest.fixture
def without_replacement():
    with without(text_layouts):
        yield


def test_the_same_pdf_for_every_kind_of_text(without_replacement):
    reference = _pdf()
    assert text_layouts.install()
    assert _pdf() == reference
    assert _pdf() == reference                        # again, from what was kept


def test_the_report_pdf_is_the_same_byte_for_byte(data):  # noqa: F811
    assert_same_report_pdf(_context(data), text_layouts)


def test_contexts_are_kept_per_font_configuration_direction_and_language():
    text_layouts._contexts.clear()
    first, second = FontConfiguration(), FontConfiguration()
    _pdf(font_config=first)
    kept = {(key[1], key[2]) for key in text_layouts._contexts}
    assert {("ltr", "vi"), ("ltr", "en"), ("rtl", "ar")} <= kept
    mine = [value for value in text_layouts._contexts.values() if value[0] is first]
    assert mine and len(mine) == len(text_layouts._contexts)
    _pdf(font_config=second)
    assert {id(value[0]) for value in text_layouts._contexts.values()} == {id(first), id(second)}


def test_what_is_kept_is_bounded(monkeypatch):
    monkeypatch.setattr(text_layouts, "KEPT_LIMIT", 2)
    text_layouts._contexts.clear()
    text_layouts._descriptions.clear()
    reference = _pdf()
    assert len(text_layouts._contexts) <= 2 and len(text_layouts._descriptions) <= 2
    assert _pdf() == reference


def test_threads_each_with_their_fonts_render_what_one_thread_renders():
    reference = _pdf(font_config=FontConfiguration())
    results, errors = run_in_threads(
        lambda: [_pdf(font_config=FontConfiguration()) for _ in range(3)], 3)
    assert errors == []
    assert len(results) == 3
    assert all(pdf == reference for pdfs in results for pdf in pdfs)
