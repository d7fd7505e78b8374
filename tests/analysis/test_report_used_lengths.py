"""WeasyPrint's used lengths resolved through a memo (analysis/report/used_lengths.py).

Each case lays out the same document with the memo and with WeasyPrint's own
``resolve_percentages`` and compares what comes out: every box's geometry, or the PDF's
bytes.
"""

import pytest
import weasyprint

from analysis.report import used_lengths
from tests.analysis.standins import assert_same_report_pdf, without
from tests.analysis.test_report_pdf import _context, data  # noqa: F401  (a module fixture)

# What the memo must get right, or leave to WeasyPrint: percentages against containing
# blocks of several widths, page margins in percent (a page box resolves its vertical
# margins against the page's height), calc(), both box-sizing models, min and max sizes,
# auto heights, and collapsed table borders of different widths (their conflict
# resolution sets a cell's border widths before resolve_percentages runs).
DOCUMENT = """<!DOCTYPE html><html lang="vi"><head><style>
@page { size: 120mm 160mm; margin: 5% 8% 6% 4%; @top-center { content: "Đầu trang"; width: 40%; } }
body { font-size: 9pt; margin: 2% 3%; }
.outer { width: 80%; padding: 3% 1em; }
.inner { width: 50%; margin: 0 auto; max-width: 30mm; min-height: 5mm; padding: 10%; }
.calc { width: calc(100% - 12mm); margin-left: calc(2em + 1%); }
.border-box { box-sizing: border-box; width: 60%; padding: 5%; border: 2pt solid #000; }
.padding-box { box-sizing: padding-box; width: 40%; padding: 4%; border: 1pt solid #000; }
table { border-collapse: collapse; width: 90%; table-layout: fixed; }
td { border: 0.4pt solid #999; padding: 1% 2mm; }
td.thick { border-bottom: 3pt solid #000; border-left: 1.5pt solid #333; }
.separate { border-collapse: separate; border-spacing: 2pt; }
.separate td { border: 1pt solid #000; padding: 3%; }
span.ib { display: inline-block; width: 25%; padding: 0 2%; }
</style></head><body>
<div class="outer"><div class="inner">Thủ tục hành chính công</div>
  <p class="calc">Tiếp cận dịch vụ hành chính công, lặp lại để xuống dòng nhiều lần.</p>
  <div class="border-box">Hộp border-box</div><div class="padding-box">Hộp padding-box</div>
  <p><span class="ib">Một</span><span class="ib">Hai</span><span class="ib">Ba</span></p></div>
<table><tr><td>Công chức</td><td class="thick">89,65</td><td>82,62–96,67</td></tr>
  <tr><td class="thick">Chi phí</td><td>91,16</td><td>–</td></tr></table>
<table class="separate"><tr><td>Một</td><td>Hai</td></tr></table>
""" + "<p>Đoạn văn để sang trang thứ hai của tài liệu.</p>" * 40 + "</body></html>"

_GEOMETRY = ("position_x", "position_y", "width", "height", "min_width", "max_width",
             "min_height", "max_height",
             *(f"{part}_{side}" for part in ("margin", "padding")
               for side in ("top", "right", "bottom", "left")),
             *(f"border_{side}_width" for side in ("top", "right", "bottom", "left")))


def _geometry(document) -> list[tuple]:
    rows = []
    for page in document.pages:
        for box in page._page_box.descendants(placeholders=True):
            rows.append((type(box).__name__, getattr(box, "element_tag", None),
                         *(getattr(box, name, None) for name in _GEOMETRY)))
    return rows


@pytest.fixture
def without_memo():
    with without(used_lengths):
        yield


def _layout():
    return weasyprint.HTML(string=DOCUMENT).render()


def test_render_installs_the_memo_in_every_module_that_calls_it():
    from weasyprint.layout import block, inline, page, percent, table

    assert used_lengths.installed()
    for module in (block, inline, page, percent, table):
        assert module.resolve_percentages is used_lengths.resolve_percentages


def test_every_box_gets_the_geometry_weasyprint_gives_it(without_memo):
    reference = _geometry(_layout())
    assert used_lengths.install()
    memoized = _geometry(_layout())
    assert len(reference) > 200                            # two pages of boxes
    assert {row[0] for row in reference} >= {"PageBox", "MarginBox", "TableCellBox",
                                             "InlineBlockBox", "LineBox", "TextBox"}
    assert memoized == reference
    # So the comparison means something: the cells' collapsed borders differ in width.
    cells = {row[-4:] for row in memoized if row[0] == "TableCellBox"}
    assert len(cells) > 2


def test_what_the_memo_cannot_vouch_for_is_left_to_weasyprint():
    used_lengths._memo.clear()
    _layout()
    entries = used_lengths._memo
    lengths = len(used_lengths._LENGTHS)
    assert entries and all(value is None or len(value) == 2 for value in entries.values())
    # A box-sizing other than content-box reads the box itself: never memoized.
    refused = {key[0][used_lengths._BOX_SIZING] for key, value in entries.items()
               if value is None}
    assert refused == {"border-box", "padding-box"}
    # A math function (the .calc paragraph's width and margin) is never a key, and
    # WeasyPrint's own function still resolved it (the geometry test compares it).
    assert all(all(map(used_lengths._plain, key[0][:lengths])) for key in entries)
    calc = [box for page in _layout().pages for box in page._page_box.descendants()
            if box.element is not None and box.element.get("class") == "calc"]
    assert calc and not used_lengths._plain(calc[0].style["width"])


def test_the_report_pdf_is_the_same_byte_for_byte(data):  # noqa: F811
    assert_same_report_pdf(_context(data), used_lengths)


def test_the_memo_is_reused_across_documents_and_bounded(monkeypatch):
    used_lengths._memo.clear()
    _layout()
    first = dict(used_lengths._memo)
    _layout()
    assert used_lengths._memo == first                   # the second layout adds nothing
    monkeypatch.setattr(used_lengths, "MEMO_LIMIT", 10)
    used_lengths._memo.clear()
    reference = _geometry(_layout())
    assert 0 < len(used_lengths._memo) <= 10
    used_lengths._memo.clear()
    assert _geometry(_layout()) == reference             # a memo that starts over is right
