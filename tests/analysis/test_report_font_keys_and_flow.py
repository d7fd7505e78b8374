"""Font cache keys kept (analysis/report/font_keys.py) and the normal-flow test in one
look (analysis/report/normal_flow.py), against WeasyPrint's own functions."""

import pytest
import weasyprint
from weasyprint.formatting_structure.boxes import BlockBox, Box

from analysis.report import font_keys, normal_flow
from tests.analysis.standins import assert_same_report_pdf
from tests.analysis.test_report_pdf import _context, data  # noqa: F401  (a module fixture)
from tests.analysis.test_report_text_layouts import DOCUMENT as TEXTS

# Boxes in and out of normal flow: floats, absolute and fixed positions, a running
# element, a footnote.
FLOWS = """<!DOCTYPE html><html lang="vi"><head><style>
@page { @top-center { content: element(head); } @footnote { border-top: 1pt solid; } }
.head { position: running(head); } .left { float: left; width: 20mm; }
.right { float: right; width: 20mm; } .start { float: inline-start; width: 10mm; }
.abs { position: absolute; top: 0; } .fixed { position: fixed; bottom: 0; }
.rel { position: relative; left: 1mm; } .note { float: footnote; }
</style></head><body><div class="head">Đầu trang</div>
<p class="left">trái</p><p class="right">phải</p><p class="start">đầu</p>
<p class="abs">tuyệt đối</p><p class="fixed">cố định</p><p class="rel">tương đối</p>
<p>Đoạn có chú thích<span class="note">Chú thích</span> cuối trang.</p></body></html>"""


def _styles(html):
    document = weasyprint.HTML(string=html).render()
    return [box.style for page in document.pages
            for box in page._page_box.descendants(placeholders=True) if hasattr(box, "style")]


def test_font_keys_are_the_strings_weasyprint_makes():
    original = font_keys._REPLACEMENT.original
    styles = _styles(TEXTS)
    assert len(styles) > 30
    for include_size in (False, True):
        keys = [font_keys.cache_key(style, include_size) for style in styles]
        assert keys == [original(style, include_size) for style in styles]
        assert len(set(keys)) > 3                          # several fonts, so it means something
    # Kept by value: the same values give the very same string object.
    assert font_keys.cache_key(styles[0]) is font_keys.cache_key(styles[0])


def test_a_font_value_that_cannot_be_a_key_goes_to_weasyprint():
    style = dict(_styles(TEXTS)[-1])
    style["font_feature_settings"] = [("kern", 0)]           # a list: unhashable
    assert font_keys.cache_key(style) == font_keys._REPLACEMENT.original(style)


def test_font_keys_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(font_keys, "KEPT_LIMIT", 2)
    font_keys._kept.clear()
    for style in _styles(TEXTS):
        font_keys.cache_key(style, True)
    assert 0 < len(font_keys._kept) <= 2


@pytest.mark.parametrize("float_", ["none", "left", "right", "inline-start", "inline-end",
                                    "footnote"])
def test_normal_flow_gives_weasyprints_answer_for_every_float_and_position(float_):
    original = normal_flow._REPLACEMENT.original
    for position in ["static", "relative", "sticky", "absolute", "fixed",
                     ("running()", "head"), ("note()", "x")]:
        box = Box.__new__(BlockBox)
        box.style = {"float": float_, "position": position}
        assert normal_flow.is_in_normal_flow(box) is original(box), (float_, position)


def test_normal_flow_on_every_box_of_a_document():
    original = normal_flow._REPLACEMENT.original
    document = weasyprint.HTML(string=FLOWS).render()
    boxes = [box for page in document.pages for box in page._page_box.descendants()]
    answers = [normal_flow.is_in_normal_flow(box) for box in boxes]
    assert answers == [original(box) for box in boxes]
    assert answers.count(False) >= 3 and answers.count(True) > 10


def test_the_report_pdf_is_the_same_byte_for_byte(data):  # noqa: F811
    assert_same_report_pdf(_context(data), font_keys, normal_flow)
