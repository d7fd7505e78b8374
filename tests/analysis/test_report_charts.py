"""The report's charts, written as SVG: geometry read back from the SVG against the data,
text widths against FreeType (Pillow), ticks by their defining properties, and hostile
labels."""

import math
import re
from importlib import resources

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ImageFont

from analysis.report import charts, text_metrics
from analysis.report.charts import drivers_chart, element_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
LABELS = ["Tiếp cận dịch vụ hành chính công", "Thủ tục hành chính",
          "Công chức trực tiếp giải quyết công việc",
          "Kết quả cung ứng dịch vụ hành chính công",
          "Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị"]


def _elements(**overrides) -> dict:
    data = {"labels": LABELS, "values": [89.6, 84.3, 84.4, 91.2, 79.0],
            "ci_low": [82.6, 76.0, 77.3, 84.5, 61.9], "ci_high": [96.7, 92.5, 91.5, 97.8, 96.0],
            "previous": None, "axis": "Chỉ số hài lòng (%)", "current_label": "Kỳ này",
            "previous_label": "Kỳ trước", "no_data": "không có dữ liệu",
            "title": "Biểu đồ thanh ngang: chỉ số hài lòng của 5 yếu tố"}
    data.update(overrides)
    return data


def _drivers(**overrides) -> dict:
    points = [("Công chức trực tiếp giải quyết công việc", 0.677, 84.40, "priority"),
              ("Thủ tục hành chính", 0.353, 84.26, "priority"),
              ("Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị", 0.105, 78.96, "secondary"),
              ("Tiếp cận dịch vụ hành chính công", 0.246, 89.65, "surplus"),
              ("Kết quả cung ứng dịch vụ hành chính công", 0.242, 91.16, "surplus")]
    data = {"points": [{"label": label, "importance": x, "performance": y, "quadrant": q}
                       for label, x, y, q in points],
            "x_label": "Mức độ quan trọng", "y_label": "Kết quả thực hiện (%)",
            "quadrants": {"priority": "Ưu tiên cải thiện", "strength": "Tiếp tục phát huy",
                          "secondary": "Ưu tiên thấp", "surplus": "Duy trì"},
            "title": "Biểu đồ điểm: mức độ quan trọng và kết quả thực hiện của 5 yếu tố"}
    data.update(overrides)
    return data


def _texts(root) -> list[tuple[float, float, str, dict]]:
    return [(float(t.get("x")), float(t.get("y")), t.text or "", t.attrib)
            for t in root.iter(SVG + "text")]


def _bars(root) -> list:
    """The element chart's bars (hatched rects), legend swatch excluded (it is 7 pt high)."""
    return [r for r in root.iter(SVG + "rect")
            if r.get("fill") == "url(#bars)" and float(r.get("height")) > 7]


def _numbers(path_d: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path_d)]


def _spine_left(root) -> float:
    """x of the left spine: the vertical axis line of colour #333333 that is longest."""
    best = None
    for p in root.iter(SVG + "path"):
        if p.get("stroke") == charts.AXIS_COLOUR:
            x1, y1, x2, y2 = _numbers(p.get("d"))
            if x1 == x2 and (best is None or abs(y2 - y1) > best[1]):
                best = (x1, abs(y2 - y1))
    return best[0]


# --- text widths ------------------------------------------------------------------------

@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("text", LABELS + ["Chỉ số hài lòng (%)", "89,65", "AVATAR Ỹ ữ"])
def test_text_widths_match_freetype(text, bold):
    name = "NotoSans-Bold.subset.ttf" if bold else "NotoSans-Regular.subset.ttf"
    with resources.as_file(resources.files("analysis.report").joinpath("fonts", name)) as path:
        font = ImageFont.truetype(str(path), size=1000, layout_engine=ImageFont.Layout.BASIC)
        reference = font.getlength(text)
    assert text_metrics.width(text, 1000, bold=bold) == pytest.approx(reference, rel=2e-3)


def test_decomposed_vietnamese_measures_as_composed():
    composed = "Hài lòng chung"
    decomposed = "Ha\u0300i lo\u0300ng chung"
    assert text_metrics.width(decomposed, 10) == text_metrics.width(composed, 10) > 0


def test_symbols_come_from_the_symbol_font_and_unknown_characters_count_as_a_fallback():
    assert text_metrics.width("\u2191", 10) > 0                     # Noto Sans Math's arrow
    assert text_metrics.width("\u4e2d", 10) == pytest.approx(6.0)   # in neither: 0.6 em


# --- ticks ------------------------------------------------------------------------------

def _is_nice(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (1, 2, 5, 10))


@settings(max_examples=300, deadline=None)
@given(st.floats(-1e6, 1e6), st.floats(1e-6, 1e6), st.integers(3, 9))
def test_nice_ticks_are_the_finest_nice_step_within_the_limit(low, span, most):
    high = low + span
    if high - low <= 0:
        return
    ticks, step = nice_ticks(low, high, most=most)
    assert _is_nice(step)
    assert 1 <= len(ticks) <= most
    # Float rounding: a tick far from zero carries a few units in its last place.
    tolerance = step * 1e-6 + 4 * math.ulp(max(abs(low), abs(high)))
    assert all(low - tolerance <= t <= high + tolerance for t in ticks)
    # Every multiple of the step in the range is a tick, and only those.
    assert math.isclose(ticks[0], math.ceil(low / step - 1e-9) * step, abs_tol=tolerance)
    assert all(math.isclose(b - a, step, rel_tol=1e-6, abs_tol=2 * tolerance)
               for a, b in zip(ticks, ticks[1:]))
    # The next finer nice step would give more than ``most`` ticks.
    mantissa = round(step / 10 ** math.floor(math.log10(step)))
    finer = step / 2.5 if mantissa == 5 else step / 2
    count = math.floor(high / finer + 1e-9) - math.ceil(low / finer - 1e-9) + 1
    assert count > most


def test_nice_ticks_refuse_an_empty_or_infinite_range():
    for low, high in ((1, 1), (2, 1), (0, math.inf), (math.nan, 1)):
        with pytest.raises(ValueError):
            nice_ticks(low, high)


# --- the element chart ------------------------------------------------------------------

def test_bars_whiskers_and_values_follow_the_data():
    data = _elements()
    root = fromstring(str(element_chart(data, "vi")))
    bars = _bars(root)
    assert len(bars) == 5
    left = _spine_left(root)
    scale = [float(b.get("width")) / v for b, v in zip(bars, data["values"])]
    assert all(float(b.get("x")) == pytest.approx(left, abs=0.01) for b in bars)
    assert max(scale) - min(scale) < 0.01 * min(scale)           # widths proportional
    s = sum(scale) / len(scale)
    # Bars top to bottom in the data's order, evenly spaced.
    ys = [float(b.get("y")) for b in bars]
    assert ys == sorted(ys)
    assert max(abs((b - a) - (ys[1] - ys[0])) for a, b in zip(ys, ys[1:])) < 0.02
    # Each whisker spans its interval: the horizontal stroke from low to high.
    whiskers = [p for p in root.iter(SVG + "path")
                if p.get("stroke") == "black" and p.get("d").count("M") == 3]
    assert len(whiskers) == 5
    for path, low, high in zip(whiskers, data["ci_low"], data["ci_high"]):
        x1, _, x2 = _numbers(path.get("d"))[:3]
        assert x1 == pytest.approx(left + low * s, abs=0.05)
        assert x2 == pytest.approx(left + high * s, abs=0.05)
    # The values are written out as the tables write them, in one column right of 100.
    values = [(x, t) for x, _, t, a in _texts(root) if a.get("font-weight") == "bold"]
    assert [t for _, t in values] == ["89,60", "84,30", "84,40", "91,20", "79,00"]
    assert len({x for x, _ in values}) == 1 and values[0][0] > left + 100 * s


def test_labels_sit_left_of_the_axis_and_fit_in_the_chart():
    data = _elements()
    root = fromstring(str(element_chart(data, "vi")))
    left = _spine_left(root)
    labels = [(x, t) for x, _, t, a in _texts(root) if a.get("text-anchor") == "end"]
    # Long labels are wrapped; every line is right-aligned before the ticks.
    assert " ".join(t for _, t in labels).split() == " ".join(LABELS).split()
    for x, text in labels:
        assert x < left
        assert x - text_metrics.width(text, charts.FONT_SIZE) >= 0
    assert "Tiếp cận dịch vụ hành chính công" in [t for _, t in labels]


def test_previous_wave_markers_and_legend_appear_only_with_a_previous_wave():
    without = fromstring(str(element_chart(_elements(), "vi")))
    previous = [80.0, None, 90.0, 85.0, None]
    with_prev = fromstring(str(element_chart(_elements(previous=previous), "vi")))

    def diamonds(root):
        return [p for p in root.iter(SVG + "path")
                if p.get("fill") == "white" and p.get("d").count("L") == 3]

    texts = [t for *_, t, _ in _texts(with_prev)]
    assert "Kỳ trước" in texts and "Kỳ trước" not in [t for *_, t, _ in _texts(without)]
    assert len(diamonds(without)) == 0
    # Three values, then the legend's marker; each value's at its x.
    drawn = diamonds(with_prev)
    assert len(drawn) == 4
    bars = _bars(with_prev)
    left = _spine_left(with_prev)
    s = float(bars[0].get("width")) / 89.6
    centres = sorted(_numbers(p.get("d"))[0] for p in drawn[:-1])
    expected = sorted(left + v * s for v in previous if v is not None)
    assert centres == pytest.approx(expected, abs=0.05)


def test_a_missing_value_is_said_not_drawn():
    data = _elements(values=[89.6, None, 84.4, 91.2, 79.0],
                     ci_low=[82.6, None, 77.3, 84.5, 61.9], ci_high=[96.7, None, 91.5, 97.8, 96.0])
    root = fromstring(str(element_chart(data, "vi")))
    assert len(_bars(root)) == 4
    assert "không có dữ liệu" in [t for *_, t, _ in _texts(root)]
    # The previous wave's value is still shown where this wave has none.
    again = fromstring(str(element_chart(dict(data, previous=[None, 70.0, None, None, None]),
                                         "vi")))
    marks = [p for p in again.iter(SVG + "path")
             if p.get("fill") == "white" and p.get("d").count("L") == 3]
    assert len(marks) == 2                              # the value's and the legend's


def test_the_same_data_gives_the_same_bytes_and_other_values_other_bytes():
    first = str(element_chart(_elements(), "vi"))
    assert str(element_chart(_elements(), "vi")) == first
    assert str(element_chart(_elements(values=[50.0] * 5), "vi")) != first


def test_english_numbers_and_accessible_title():
    svg = str(element_chart(_elements(title='Bars "quoted" & <b>'), "en"))
    root = fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == 'Bars "quoted" & <b>'
    assert root.find(SVG + "title").text == 'Bars "quoted" & <b>'
    assert "89.60" in [t for *_, t, _ in _texts(root)]
    assert "SIPAS Sans" in root.get("font-family")


def test_hostile_labels_stay_text():
    hostile = ['</text><script>alert(1)</script>', 'A & B "C" \'D\'', "tab\tand\x00nul\x1b",
               "\ud800 lone surrogate", "Thủ tục"]
    root = fromstring(str(element_chart(_elements(labels=hostile, axis="<x>"), "vi")))
    assert root.find(f".//{SVG}script") is None
    texts = " ".join(t for *_, t, _ in _texts(root))
    assert "</text><script>alert(1)</script>" in texts
    assert 'A & B "C" \'D\'' in texts and "andnul" in texts and "<x>" in texts


# --- the drivers chart ------------------------------------------------------------------

def _marks(root) -> list[tuple[float, float, str]]:
    """(x, y, shape) of the scatter's markers."""
    out = []
    for c in root.iter(SVG + "circle"):
        out.append((float(c.get("cx")), float(c.get("cy")), "circle"))
    for r in root.iter(SVG + "rect"):
        if r.get("stroke") == "black" and r.get("fill") == "white":
            out.append((float(r.get("x")) + 4, float(r.get("y")) + 4, "square"))
    for p in root.iter(SVG + "path"):
        if p.get("d", "").endswith("Z") and p.get("stroke") == "black":
            xs_ys = _numbers(p.get("d"))
            xs, ys = xs_ys[0::2], xs_ys[1::2]
            shape = "triangle" if len(xs) == 3 else "diamond"
            out.append((xs[0], (min(ys) + max(ys)) / 2 if shape == "diamond" else ys[0] + 4,
                        shape))
    return out


def test_points_are_placed_linearly_with_their_quadrant_marker():
    data = _drivers()
    root = fromstring(str(drivers_chart(data, "vi")))
    marks = _marks(root)
    assert len(marks) == 5
    by_shape = {shape: [(x, y) for x, y, s in marks if s == shape]
                for shape in ("circle", "triangle", "diamond")}
    assert len(by_shape["circle"]) == 2 and len(by_shape["triangle"]) == 1
    assert len(by_shape["diamond"]) == 2
    # x grows with importance and y (down the page) falls as performance rises, linearly:
    # the triangle sits where the two circles' scales put it.
    (xa, ya), (xb, yb) = sorted(by_shape["circle"])
    slope_x, slope_y = (xb - xa) / (0.677 - 0.353), (yb - ya) / (84.40 - 84.26)
    assert slope_x > 0 and slope_y < 0
    triangle = by_shape["triangle"][0]
    assert triangle[0] == pytest.approx(xa + (0.105 - 0.353) * slope_x, abs=0.05)
    assert triangle[1] == pytest.approx(ya + (78.96 - 84.26) * slope_y, abs=0.5)


def test_tick_labels_read_as_the_values_at_their_place():
    root = fromstring(str(drivers_chart(_drivers(), "vi")))
    left = _spine_left(root)
    y_ticks = [(y, float(t.replace(",", "."))) for x, y, t, a in _texts(root)
               if a.get("text-anchor") == "end" and x < left and re.fullmatch(r"[\d,]+", t)]
    assert len(y_ticks) >= 3
    # Equal steps in value are equal steps on the page: no label rounded off its place.
    (y0, v0), (y1, v1) = y_ticks[0], y_ticks[-1]
    for y, v in y_ticks:
        assert y == pytest.approx(y0 + (v - v0) * (y1 - y0) / (v1 - v0), abs=0.1)
    x_ticks = [t for x, y, t, a in _texts(root) if a.get("text-anchor") == "middle"
               and re.fullmatch(r"-?[\d,]+", t)]
    assert all(re.fullmatch(r"-?\d+,\d\d", t) for t in x_ticks) and len(x_ticks) >= 3


def test_point_labels_overlap_neither_each_other_nor_markers():
    data = _drivers()
    root = fromstring(str(drivers_chart(data, "vi")))
    size = 7.5
    boxes = []
    for x, y, text, attrs in _texts(root):
        if attrs.get("font-size") == "7.5":
            # One line's box: from the ascender to the next line's (1.2 em apart).
            boxes.append((x, y - size * 0.95, x + text_metrics.width(text, size),
                          y + size * 0.25))
    assert len(boxes) >= 5
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if min(a[2], b[2]) > max(a[0], b[0]) + 0.01
                and min(a[3], b[3]) > max(a[1], b[1]) + 0.01]
    assert overlaps == []
    for mx, my, _ in _marks(root):
        for b in boxes:
            assert not (b[0] < mx < b[2] and b[1] < my < b[3])


def test_one_point_or_equal_points_still_draw():
    one = _drivers(points=[{"label": "Một", "importance": 0.3, "performance": 80.0,
                            "quadrant": "priority"}])
    assert "<circle" in str(drivers_chart(one, "vi"))
    same = _drivers(points=[{"label": f"P{i}", "importance": 0.0, "performance": 50.0,
                             "quadrant": "strength"} for i in range(3)])
    assert str(drivers_chart(same, "en")).count("<rect") == 3


def test_values_that_are_not_finite_numbers_are_left_out_not_drawn_wild():
    nan, inf = float("nan"), float("inf")
    data = _elements(values=[89.6, nan, 84.4, inf, 79.0], ci_low=[nan, 76.0, 77.3, 84.5, None],
                     ci_high=[96.7, 92.5, inf, 97.8, 96.0], previous=[nan, 80.0, None, None, None])
    root = fromstring(str(element_chart(data, "vi")))
    assert len(_bars(root)) == 3
    texts = [t for *_, t, _ in _texts(root)]
    assert texts.count("không có dữ liệu") == 2
    whiskers = [p for p in root.iter(SVG + "path")
                if p.get("stroke") == "black" and p.get("d").count("M") == 3]
    assert len(whiskers) == 0                # every row lacks one end or its value
    points = _drivers()["points"]
    points[0] = dict(points[0], importance=nan)
    drawn = fromstring(str(drivers_chart(_drivers(points=points), "vi")))
    assert len(_marks(drawn)) == 4
    empty = fromstring(str(drivers_chart(_drivers(points=[dict(points[0])]), "vi")))
    assert _marks(empty) == [] and "Mức độ quan trọng" in [t for *_, t, _ in _texts(empty)]


def test_an_overlong_label_leaves_the_bars_room():
    data = _elements(labels=["X" * 200] + LABELS[1:])
    root = fromstring(str(element_chart(data, "vi")))
    bars = _bars(root)
    assert len(bars) == 5 and all(float(b.get("width")) > 50 for b in bars)
    assert _spine_left(root) <= 0.45 * float(root.get("viewBox").split()[2]) + 0.01
