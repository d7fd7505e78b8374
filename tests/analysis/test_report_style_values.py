"""Computed values by the short way (analysis/report/style_values.py), against
WeasyPrint's own ``ComputedStyle.__missing__``: every value of every element, and the PDF."""

import pytest
import weasyprint
from weasyprint.css import INITIAL_VALUES, ComputedStyle

from analysis.report import style_values
from tests.analysis.standins import assert_same_report_pdf, without
from tests.analysis.test_report_pdf import _context, data  # noqa: F401  (a module fixture)

# What WeasyPrint computes its own way, beside the plain inherited and initial values:
# logical properties, var(), inherit/initial keywords, text decorations (propagated),
# named pages, math functions in inherited properties, floats and positions, em and %.
DOCUMENT = """<!DOCTYPE html><html lang="vi"><head><style>
@page wide { size: A4 landscape; }
:root { --gap: 3mm; --accent: #226; font-size: 10pt; }
body { margin-block-start: 5mm; padding-inline-start: var(--gap); line-height: 1.4; }
section.wide { page: wide; }
p { text-indent: calc(1em + 2%); letter-spacing: 0.02em; color: var(--accent); }
a { text-decoration: underline; }
span.inherit { margin-left: inherit; font-weight: initial; }
.float { float: right; width: 20%; position: relative; top: 1mm; }
.abs { position: absolute; right: 0; }
em { font-size: 1.2em; text-decoration-color: red; }
ul { list-style: square inside; }
table { border-collapse: collapse; } td { border-block-end: 1pt solid; }
</style></head><body>
<section class="wide"><h1>Tiêu đề</h1><p>Đoạn <a href="#x">liên kết <em>nhấn</em></a>
<span class="inherit">kế thừa</span></p><div class="float">nổi</div><div class="abs">tuyệt đối</div>
<ul><li>Một</li><li>Hai</li></ul><table><tr><td>Ô</td><td id="x">Ô hai</td></tr></table></section>
<p dir="rtl" lang="ar">نص عربي</p>
</body></html>"""


def _all_values(html: str) -> list[tuple]:
    """Every property's computed value, for every element box's style, read in one order."""
    document = weasyprint.HTML(string=html).render()
    rows = []
    for page in document.pages:
        for box in page._page_box.descendants(placeholders=True):
            style = getattr(box, "style", None)
            if type(style) is ComputedStyle:
                rows.append((box.element_tag,
                             tuple(repr(style[key]) for key in sorted(INITIAL_VALUES))))
    return rows


@pytest.fixture
def without_replacement():
    with without(style_values):
        yield


def test_every_computed_value_is_weasyprints(without_replacement):
    reference = _all_values(DOCUMENT)
    assert style_values.install()
    ours = _all_values(DOCUMENT)
    assert len(reference) > 15 and len(INITIAL_VALUES) > 200
    assert ours == reference


def test_the_short_way_is_taken_for_most_values_and_not_for_the_rest(monkeypatch):
    calls = {"ours": 0, "weasyprint": 0}
    original = style_values._REPLACEMENT.original

    def counting(self, key):
        calls["weasyprint"] += 1
        return original(self, key)

    monkeypatch.setattr(style_values._REPLACEMENT, "original", counting)
    real_missing = style_values.missing

    def counted_missing(self, key):
        calls["ours"] += 1
        return real_missing(self, key)

    monkeypatch.setattr(ComputedStyle, "__missing__", counted_missing)
    _all_values(DOCUMENT)
    assert calls["ours"] > 4_000
    assert 0 < calls["weasyprint"] < calls["ours"] / 3


def test_the_report_pdf_is_the_same_byte_for_byte(data):  # noqa: F811
    assert_same_report_pdf(_context(data), style_values)
