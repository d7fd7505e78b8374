"""Vector charts of the report, written as SVG from the chart data, which the renderer
serves to WeasyPrint as images of the report (``sipas-chart:`` URLs, see render.py).

The two charts have fixed designs, so they are written directly (:mod:`.svg_writer`)
rather than drawn by a general plotting library: a commune's two charts took matplotlib
~65 ms and WeasyPrint ~35 ms more to draw their ~230 SVG nodes, a sixth of the report;
written here they take ~1 ms and WeasyPrint draws 94 elements (bench_bulk_reports.py).
Labels are text in the report's embedded font (Vietnamese diacritics intact, selectable
and searchable), measured with the font's own advance widths (:mod:`.text_metrics`) where
their size decides the layout. The charts work in greyscale: bars are hatched,
previous-wave values are hollow diamonds, quadrants use different marker shapes, and every
value is written next to its mark. Each SVG carries a ``<title>``; the ``<img>`` that
shows it has the same text as ``alt``, which WeasyPrint writes as the /Alt text of the
tagged figure.
"""

from __future__ import annotations

import math

from markupsafe import Markup

from . import text_metrics
from .formatting import MINUS, finite_number, fmt_number
from .svg_writer import Svg

__all__ = ["element_chart", "drivers_chart", "nice_ticks", "warm_up", "CSS_FONT_FAMILY",
           "GREYS"]

# The family names of the report's @font-face rules (see templates/report.css).
CSS_FONT_FAMILY = "'SIPAS Sans', 'SIPAS Symbols'"
GREYS = ("#4d4d4d", "#8c8c8c", "#bfbfbf")
AXIS_COLOUR = "#333333"
FONT_SIZE = 8.5          # tick labels, axis labels, values (pt)
TICK = 3.5               # tick length and the gap between a tick and its label (pt)
PT_PER_CM = 72 / 2.54
# The previous wave's hollow diamond: centre to corner, in pt (a 5.5 pt square on its corner).
PREVIOUS_MARK = 2.75 * math.sqrt(2)


def warm_up() -> None:
    """Load the fonts' metrics ahead of the first report."""
    text_metrics.warm_up()


def _chart_number(value, lang: str, digits: int = 2) -> str:
    """A number as the tables write it, with the hyphen-minus the chart font has."""
    return fmt_number(value, lang, digits).replace(MINUS, "-")


def _wrap(text: str, width: int) -> list[str]:
    """Break a long label into lines of about ``width`` characters at spaces."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines or [""]


def nice_ticks(low: float, high: float, *, most: int = 7) -> tuple[list[float], float]:
    """Ticks at multiples of a "nice" step (1, 2 or 5 times a power of ten) within
    ``[low, high]``: the smallest such step that gives at most ``most`` ticks, as in
    Heckbert's "Nice numbers for graph labels" (Graphics Gems, 1990). Returns the ticks
    and the step. Steps of 2.5 are left out: the labels show whole multiples of the step.
    """
    span = high - low
    if not (math.isfinite(low) and math.isfinite(high)) or span <= 0:
        raise ValueError(f"no ticks for the range {low!r}..{high!r}")
    exponent = math.floor(math.log10(span / most))
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0 ** exponent
            first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
            if last - first + 1 <= most:
                # Rounded to the step's decimals: 0.1 * 3 is 0.30000000000000004.
                places = max(0, -exponent)
                return [round(k * step, places) for k in range(first, last + 1)], step
        exponent += 1


def _digits(step: float, least: int) -> int:
    """Decimals that write every multiple of ``step`` exactly (at least ``least``)."""
    return max(least, -math.floor(math.log10(step) + 1e-9))


# --- the element chart ----------------------------------------------------------------

def element_chart(data: dict, lang: str) -> Markup:
    """Horizontal bars of element indices with 95% CI whiskers and previous-wave markers.

    ``data``: ``labels``, ``values``, ``ci_low``, ``ci_high``, ``previous`` (values or
    None), ``axis``, ``current_label``, ``previous_label``, ``no_data``, ``title``.
    Values are on the 0-100 scale; the axis runs to 114, leaving a column right of the
    100 line for the values written out.
    """
    labels = data["labels"]
    n = len(labels)
    values = [finite_number(v) for v in data["values"]]
    previous = [finite_number(v) for v in (data.get("previous") or [None] * n)]
    ci_low = [finite_number(v) for v in data["ci_low"]]
    ci_high = [finite_number(v) for v in data["ci_high"]]
    has_previous = any(p is not None for p in previous)
    wrapped = [_wrap(label, 34) for label in labels]

    width, height = 16.5 * PT_PER_CM, (1.6 + 1.05 * n) * PT_PER_CM
    line = FONT_SIZE * 1.2
    longest = max((text_metrics.width(part, FONT_SIZE) for lines in wrapped for part in lines),
                  default=0.0)
    # The labels' column, but never more than 45 % of the width: a label too long for that
    # (one word of 80 letters, say) runs off the chart's left edge, the bars stay drawn.
    left = min(longest + 2 * TICK + 4, 0.45 * width)
    top, bottom, right = 22.0, 2 * TICK + FONT_SIZE + 6 + line, 6.0
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = 114.0
    scale = plot_w / x_max

    def x(value: float) -> float:
        return left + max(0.0, min(x_max, value)) * scale

    band = plot_h / max(n, 1)
    svg = Svg(width, height, data["title"], font_family=CSS_FONT_FAMILY)
    hatch = svg.hatch_pattern("bars", GREYS[0])
    cap = 0.12 * band
    for i, (label_lines, value, low, high, before) in enumerate(
            zip(wrapped, values, ci_low, ci_high, previous)):
        centre = top + (i + 0.5) * band
        # The label, its lines centred on the bar, right-aligned against the ticks.
        first = centre - (len(label_lines) - 1) * line / 2
        for k, part in enumerate(label_lines):
            svg.text(left - 2 * TICK, svg.middle(first + k * line, FONT_SIZE), part,
                     size=FONT_SIZE, anchor="end")
        svg.line(left - TICK, centre, left, centre, stroke=AXIS_COLOUR, width=0.6)
        if value is None:
            svg.text(x(1), svg.middle(centre, 8), data.get("no_data", "–"), size=8)
        else:
            svg.rect(left, centre - 0.275 * band, x(value) - left, 0.55 * band, fill=hatch,
                     stroke=GREYS[0], width=0.8)
            if low is not None and high is not None:
                n = svg.n
                svg.path(f"M{n(x(low))},{n(centre)}H{n(x(high))}"
                         f"M{n(x(low))},{n(centre - cap)}V{n(centre + cap)}"
                         f"M{n(x(high))},{n(centre - cap)}V{n(centre + cap)}",
                         stroke="black", width=1.0)
            # Direct labels in a column right of the 100 line, clear of whiskers and marks.
            svg.text(x(103), svg.middle(centre, FONT_SIZE), _chart_number(value, lang),
                     size=FONT_SIZE, bold=True)
        if before is not None:          # over the bar; also where this wave has no value
            svg.diamond(x(before), centre, PREVIOUS_MARK, fill="white", stroke="black")
    svg.line(x(100), top, x(100), top + plot_h, stroke=GREYS[2], width=0.6)
    # Axes: left and bottom spines, the x ticks every 20 up to 100, the axis label.
    base = top + plot_h
    svg.line(left, top, left, base, stroke=AXIS_COLOUR, width=0.6)
    svg.line(left, base, width - right, base, stroke=AXIS_COLOUR, width=0.6)
    for tick in range(0, 101, 20):
        svg.line(x(tick), base, x(tick), base + TICK, stroke=AXIS_COLOUR, width=0.6)
        svg.text(x(tick), base + 2 * TICK + svg.cap(FONT_SIZE), _chart_number(tick, lang, 0),
                 size=FONT_SIZE, anchor="middle")
    svg.text(left + plot_w / 2, height - 4, data["axis"], size=FONT_SIZE, anchor="middle")
    _legend(svg, left + plot_w / 2, 9.0, data, has_previous, hatch)
    return svg.markup()


def _legend(svg: Svg, centre: float, middle: float, data: dict, has_previous: bool,
            hatch: str) -> None:
    """The legend, one row centred above the plot: a hatched swatch for this wave, and a
    diamond for the previous one when there is one."""
    size, swatch, gap = 8.0, 14.0, 12.0
    entries = [("swatch", data["current_label"])]
    if has_previous:
        entries.append(("diamond", data["previous_label"]))
    widths = [swatch + 4 + text_metrics.width(text, size) for _, text in entries]
    x = centre - (sum(widths) + gap * (len(widths) - 1)) / 2
    for (kind, text), w in zip(entries, widths):
        if kind == "swatch":
            svg.rect(x, middle - 3.5, swatch, 7, fill=hatch, stroke=GREYS[0], width=0.8)
        else:
            svg.diamond(x + swatch / 2, middle, PREVIOUS_MARK, fill="white", stroke="black")
        svg.text(x + swatch + 4, svg.middle(middle, size), text, size=size)
        x += w + gap


# --- the drivers chart ----------------------------------------------------------------

# Room on the left for the rotated axis label and tick labels, below for the tick labels
# and the axis label, and on the right and top for a tick label centred on the edge.
_DRIVERS_MARGINS_PT = {"left": 46.0, "bottom": 38.0, "right": 14.0, "top": 6.0}
_MARKER_SIZE = 8.0       # pt, the marker's width
_LABEL_SIZE = 7.5
_LABEL_GAP = 2.0        # pt kept free around a point's label
_QUADRANT_MARKERS = {"priority": ("circle", "black"), "strength": ("square", "white"),
                     "secondary": ("triangle", "white"), "surplus": ("diamond", GREYS[1])}


def drivers_chart(data: dict, lang: str) -> Markup:
    """Importance–performance scatter with mean lines and named quadrants.

    ``data``: ``points`` (list of ``{label, importance, performance, quadrant}``),
    ``x_label``, ``y_label``, ``quadrants`` (quadrant key -> name), ``title``. Each
    point's label goes to the first of four places beside it that overlaps no other
    label, marker or the plot's edge (or the one that overlaps least).
    """
    points = [p for p in data["points"]
              if finite_number(p["importance"]) is not None
              and finite_number(p["performance"]) is not None]
    xs = [float(p["importance"]) for p in points] or [0.0, 1.0]      # no point: empty axes
    ys = [float(p["performance"]) for p in points] or [0.0, 100.0]
    x_mid, y_mid = sum(xs) / len(xs), sum(ys) / len(ys)
    x_span = (max(xs) - min(xs)) or abs(x_mid) or 1.0
    y_span = (max(ys) - min(ys)) or 5.0
    x0, x1 = min(xs) - 0.15 * x_span, max(xs) + 0.6 * x_span
    y0, y1 = min(ys) - 0.3 * y_span, max(ys) + 0.3 * y_span

    width, height = 16.5 * PT_PER_CM, 10.5 * PT_PER_CM
    m = _DRIVERS_MARGINS_PT
    left, top = m["left"], m["top"]
    plot_w, plot_h = width - m["left"] - m["right"], height - m["top"] - m["bottom"]
    base = top + plot_h

    def px(value: float) -> float:
        return left + (value - x0) / (x1 - x0) * plot_w

    def py(value: float) -> float:
        return base - (value - y0) / (y1 - y0) * plot_h

    svg = Svg(width, height, data["title"], font_family=CSS_FONT_FAMILY)
    svg.line(px(x_mid), top, px(x_mid), base, stroke=GREYS[1], width=0.8, dash="3,2")
    svg.line(left, py(y_mid), left + plot_w, py(y_mid), stroke=GREYS[1], width=0.8,
             dash="3,2")
    q = data["quadrants"]
    corner = dict(size=FONT_SIZE, bold=True, fill=GREYS[0])
    pad = 2.0
    svg.text(left + plot_w - pad, base - pad - 1, q["priority"], anchor="end", **corner)
    svg.text(left + plot_w - pad, top + pad + svg.cap(FONT_SIZE), q["strength"], anchor="end",
             **corner)
    svg.text(left + pad, base - pad - 1, q["secondary"], **corner)
    svg.text(left + pad, top + pad + svg.cap(FONT_SIZE), q["surplus"], **corner)

    marks = [(px(float(p["importance"])), py(float(p["performance"]))) for p in points]
    half = _MARKER_SIZE / 2
    taken = [(mx - half, my - half, mx + half, my + half) for mx, my in marks]
    # The quadrant names' corners are taken too.
    for name, at_right, at_top in ((q["priority"], True, False), (q["strength"], True, True),
                                   (q["secondary"], False, False), (q["surplus"], False, True)):
        w = text_metrics.width(name, FONT_SIZE, bold=True) + pad
        bx0 = left + plot_w - w if at_right else left
        by0 = top if at_top else base - FONT_SIZE - pad - 1
        taken.append((bx0, by0, bx0 + w, by0 + FONT_SIZE + pad))
    # The mean lines, thinly: a label may cross one when no place is free.
    taken.append((px(x_mid) - 1, top, px(x_mid) + 1, base))
    taken.append((left, py(y_mid) - 1, left + plot_w, py(y_mid) + 1))
    bounds = (left, top, left + plot_w, base)
    for p, (mx, my) in zip(points, marks):
        shape, face = _QUADRANT_MARKERS.get(p["quadrant"], ("circle", "white"))
        getattr(svg, shape)(mx, my, half if shape != "diamond" else half * 1.2, fill=face,
                            stroke="black")
    for p, (mx, my) in zip(points, marks):
        lines = _wrap(str(p["label"]), 26)
        box, anchor_x, first_baseline = _place_label(lines, mx, my, taken, bounds)
        taken.append(box)
        for k, part in enumerate(lines):
            svg.text(anchor_x, first_baseline + k * _LABEL_SIZE * 1.2, part, size=_LABEL_SIZE)

    # Axes: spines, ticks and their labels, axis labels.
    svg.line(left, top, left, base, stroke=AXIS_COLOUR, width=0.6)
    svg.line(left, base, left + plot_w, base, stroke=AXIS_COLOUR, width=0.6)
    x_ticks, x_step = nice_ticks(x0, x1)
    y_ticks, y_step = nice_ticks(y0, y1)
    x_digits, y_digits = _digits(x_step, 2), _digits(y_step, 0)
    for tick in x_ticks:
        svg.line(px(tick), base, px(tick), base + TICK, stroke=AXIS_COLOUR, width=0.6)
        svg.text(px(tick), base + 2 * TICK + svg.cap(FONT_SIZE),
                 _chart_number(tick, lang, x_digits), size=FONT_SIZE, anchor="middle")
    for tick in y_ticks:
        svg.line(left - TICK, py(tick), left, py(tick), stroke=AXIS_COLOUR, width=0.6)
        svg.text(left - 2 * TICK, svg.middle(py(tick), FONT_SIZE),
                 _chart_number(tick, lang, y_digits), size=FONT_SIZE, anchor="end")
    svg.text(left + plot_w / 2, height - 4, data["x_label"], size=FONT_SIZE, anchor="middle")
    svg.text(10, top + plot_h / 2, data["y_label"], size=FONT_SIZE, anchor="middle",
             rotate=-90)
    return svg.markup()


def _place_label(lines: list[str], mx: float, my: float, taken: list, bounds) -> tuple:
    """Where a point's label goes: the box it covers, its x and its first baseline.

    Tried in turn: above right, below right, above left, below left of the marker (7 pt
    across, 4 pt up or down, as an annotation's offset); the first that overlaps nothing
    in ``taken`` and stays within ``bounds`` wins, else the one overlapping least.
    """
    size, line = _LABEL_SIZE, _LABEL_SIZE * 1.2
    w = max(text_metrics.width(part, size) for part in lines)
    h = (len(lines) - 1) * line + size * 1.25
    best = None
    for dx, up in ((7, True), (7, False), (-7, True), (-7, False)):
        bx0 = mx + dx if dx > 0 else mx + dx - w
        by0 = my - 4 - h if up else my + 4
        box = (bx0, by0, bx0 + w, by0 + h)
        # Kept a little apart from everything else, not just clear of it.
        padded = (bx0 - _LABEL_GAP, by0 - _LABEL_GAP, bx0 + w + _LABEL_GAP, by0 + h + _LABEL_GAP)
        cost = sum(_overlap(padded, other) for other in taken) + _outside(box, bounds)
        if best is None or cost < best[0]:
            best = (cost, box)
        if cost == 0:
            break
    box = best[1]
    return box, box[0], box[1] + size * 0.95


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _outside(box, bounds) -> float:
    """The area of ``box`` outside ``bounds``, weighted so that leaving the plot costs more
    than touching another label."""
    inside = _overlap(box, bounds)
    return 4 * ((box[2] - box[0]) * (box[3] - box[1]) - inside)
