"""The report charts as matplotlib drew them until 2026-12-04 (analysis/report/charts.py
before the charts were written as SVG directly), kept only for bench_bulk_reports.py's
pipeline "before issue 13", which draws its charts through this module with constrained
layout. Not used by the platform.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib import resources
from xml.sax.saxutils import escape

import matplotlib
from defusedxml.ElementTree import fromstring as parse_xml
from matplotlib import ticker
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from markupsafe import Markup

from analysis.report import charts as report_charts
from analysis.report.formatting import MINUS, fmt_number

__all__ = ["element_chart", "drivers_chart", "warm_up", "CSS_FONT_FAMILY"]

# The family names of the report's @font-face rules (see templates/report.css).
CSS_FONT_FAMILY = "'SIPAS Sans', 'SIPAS Symbols'"
_MPL_FAMILY = "Noto Sans"
_FONT_FILES = ("NotoSans-Regular.subset.ttf", "NotoSans-Bold.subset.ttf")
GREYS = ("#4d4d4d", "#8c8c8c", "#bfbfbf")
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "sipas-report",   # stable ids: the same data gives the same bytes
    "font.family": _MPL_FAMILY,
    "font.size": 8.5,
    # The embedded font subset has no U+2212; negative ticks use the hyphen-minus.
    "axes.unicode_minus": False,
    "axes.edgecolor": "#333333",
    "axes.linewidth": 0.6,
    "hatch.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
}


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    """Let matplotlib measure text with the packaged font, so labels fit as rendered."""
    from matplotlib import font_manager

    for name in _FONT_FILES:
        with resources.as_file(resources.files("analysis.report").joinpath("fonts", name)) as path:
            font_manager.fontManager.addfont(str(path))


def _chart_number(value, lang: str, digits: int = 2) -> str:
    """A number as the tables write it, with the hyphen-minus the chart font has."""
    return fmt_number(value, lang, digits).replace(MINUS, "-")


_SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", _SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
# matplotlib's one style rule, "*{stroke-linejoin: round; stroke-linecap: butt}", as
# attributes of the root, which every element inherits unless its own style says otherwise.
_ROOT_STROKE = {"stroke-linejoin": "round", "stroke-linecap": "butt"}


def _lean(svg: str) -> str:
    """The same drawing in fewer elements: without matplotlib's metadata and style sheet
    (its one rule moves to the root's attributes) and with every group that only names
    its content (``<g id="...">``, about half of the elements) replaced by that content.

    WeasyPrint draws an SVG element by element, each one cascaded and set up as a
    graphics state; these elements draw nothing.
    """
    root = parse_xml(svg)
    for parent in root.iter():
        kept = []
        for child in parent:
            if child.tag == f"{{{_SVG_NS}}}metadata":
                continue
            if child.tag == f"{{{_SVG_NS}}}defs" and all(
                    c.tag == f"{{{_SVG_NS}}}style" for c in child):
                continue
            kept.extend(_unwrapped(child))
        parent[:] = kept
    root.attrib.update(_ROOT_STROKE)
    return ET.tostring(root, encoding="unicode")


def _unwrapped(element: ET.Element) -> list[ET.Element]:
    """``element``, or the elements inside it when it is a group with no attribute but its
    id (nobody refers to a group of matplotlib's by its id)."""
    if element.tag != f"{{{_SVG_NS}}}g" or set(element.attrib) - {"id"}:
        return [element]
    return [leaf for child in element for leaf in _unwrapped(child)]


def _svg(fig: Figure, title: str) -> Markup:
    """Serialise ``fig`` as an inline ``<svg>`` element with an accessible title."""
    buf = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buf)
    svg = _lean(buf.getvalue())
    svg = svg.replace(f"'{_MPL_FAMILY}'", CSS_FONT_FAMILY).replace(
        f"font-family:{_MPL_FAMILY}", f"font-family:{CSS_FONT_FAMILY}")
    # Labels arrive here already XML-escaped by matplotlib; the title is escaped here.
    svg = re.sub(r"<svg ", '<svg role="img" aria-label="' + escape(title, {'"': "&quot;"})
                 + '" ', svg, count=1)
    head_end = svg.index(">") + 1
    svg = svg[:head_end] + f"<title>{escape(title)}</title>" + svg[head_end:]
    return Markup(svg)


def _figure(width_cm: float, height_cm: float) -> Figure:
    return Figure(figsize=(width_cm / 2.54, height_cm / 2.54), layout="constrained")


# Where constrained layout put the axes of an element chart, keyed by everything that
# decides it (size, tick and axis labels, legend); the values are kept out of the layout.
# Every unit of a wave has the same labels, so a bulk run lays the chart out once, not
# once per report (the layout was over half of a chart's time); the bytes are the same.
_AXES_BOUNDS: dict[tuple, tuple[float, float, float, float]] = {}
_AXES_BOUNDS_SIZE = 64


def _axes(key: tuple, width_cm: float, height_cm: float):
    """A figure and its axes: at the remembered place for ``key``, or laid out afterwards
    by constrained layout (then call :func:`_remember`)."""
    bounds = _AXES_BOUNDS.get(key)
    if bounds is None:
        fig = _figure(width_cm, height_cm)
        return fig, fig.add_subplot(), False
    fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54))
    return fig, fig.add_axes(bounds), True


def _remember(key: tuple, ax) -> None:
    if len(_AXES_BOUNDS) >= _AXES_BOUNDS_SIZE:
        _AXES_BOUNDS.clear()
    _AXES_BOUNDS[key] = tuple(ax.get_position().bounds)


def warm_up() -> None:
    """Register the chart fonts and import the drawing code ahead of the first report."""
    _register_fonts()
    with matplotlib.rc_context(_RC):
        fig = _figure(4, 3)
        fig.add_subplot().text(0, 0, "Đ")
        FigureCanvasSVG(fig).print_svg(io.StringIO())


def element_chart(data: dict, lang: str) -> Markup:
    """Horizontal bars of element indices with 95% CI whiskers and previous-wave markers.

    ``data``: ``labels``, ``values``, ``ci_low``, ``ci_high``, ``previous`` (values or
    None), ``axis``, ``current_label``, ``previous_label``, ``title`` (plain lists/str).
    """
    _register_fonts()
    labels, values = data["labels"], data["values"]
    n = len(labels)
    prev = data.get("previous") or [None] * n
    has_prev = any(p is not None for p in prev)
    wrapped = [_wrap(t, 34) for t in labels]
    key = (tuple(wrapped), data["axis"], data["current_label"],
           data["previous_label"] if has_prev else None)
    with matplotlib.rc_context(_RC):
        fig, ax, placed = _axes(key, 16.5, 1.6 + 1.05 * n)
        ys = list(range(n))[::-1]
        vals = [v if v is not None else 0.0 for v in values]
        ax.barh(ys, vals, height=0.55, color="white", edgecolor=GREYS[0], hatch="////",
                linewidth=0.8, label=data["current_label"])
        for y, v, lo, hi in zip(ys, values, data["ci_low"], data["ci_high"]):
            if v is None:
                ax.text(1, y, data.get("no_data", "–"), va="center", fontsize=8).set_in_layout(False)
                continue
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [y, y], color="black", linewidth=1.0)
                ax.plot([lo, lo], [y - 0.12, y + 0.12], color="black", linewidth=1.0)
                ax.plot([hi, hi], [y - 0.12, y + 0.12], color="black", linewidth=1.0)
            # Direct labels in a column right of the 100 line, clear of whiskers and markers.
            ax.text(103, y, _chart_number(v, lang), va="center", fontsize=8.5,
                    fontweight="bold").set_in_layout(False)
        if has_prev:
            py = [y for y, p in zip(ys, prev) if p is not None]
            pv = [p for p in prev if p is not None]
            ax.plot(pv, py, linestyle="none", marker="D", markersize=5.5, markerfacecolor="white",
                    markeredgecolor="black", markeredgewidth=1.0, label=data["previous_label"])
        ax.set_yticks(ys, wrapped)
        ax.set_xlim(0, 114)
        ax.axvline(100, color=GREYS[2], linewidth=0.6)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel(data["axis"])
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False,
                  fontsize=8)
        svg = _svg(fig, data["title"])
        if not placed:
            _remember(key, ax)
        return svg


# The scatter's axes at a fixed place rather than by constrained layout (half of the
# chart's drawing time, and a different layout per unit, since the ticks follow the data):
# room on the left for the rotated axis label and tick labels of up to three digits (the
# performance axis runs within 0-100, written without decimals), below for the tick
# labels and axis label, and on the right and top for a tick label centred on the edge.
_DRIVERS_MARGINS_PT = {"left": 44.0, "bottom": 38.0, "right": 12.0, "top": 6.0}


def _fixed_bounds(width_cm: float, height_cm: float, *, left: float, bottom: float,
                  right: float, top: float) -> tuple[float, float, float, float]:
    """Axes bounds (figure fractions) leaving the given margins, in points."""
    width_pt, height_pt = width_cm / 2.54 * 72, height_cm / 2.54 * 72
    return (left / width_pt, bottom / height_pt, 1 - (left + right) / width_pt,
            1 - (bottom + top) / height_pt)


_QUADRANT_MARKERS = {"priority": ("o", "black"), "strength": ("s", "white"),
                     "secondary": ("^", "white"), "surplus": ("D", GREYS[1])}


def drivers_chart(data: dict, lang: str, *, constrained: bool = False) -> Markup:
    """Importance–performance scatter with mean lines and named quadrants.

    ``data``: ``points`` (list of ``{label, importance, performance, quadrant}``),
    ``x_label``, ``y_label``, ``quadrants`` (quadrant key -> name), ``title``. The axes sit
    within fixed margins; ``constrained=True`` has matplotlib's constrained layout place
    them instead (slower; the bench's pipeline before issue 13 draws it so).
    """
    _register_fonts()
    points = data["points"]
    xs = [p["importance"] for p in points]
    ys = [p["performance"] for p in points]
    x_mid, y_mid = sum(xs) / len(xs), sum(ys) / len(ys)
    with matplotlib.rc_context(_RC):
        if constrained:
            fig = _figure(16.5, 10.5)
            ax = fig.add_subplot()
        else:
            fig = Figure(figsize=(16.5 / 2.54, 10.5 / 2.54))
            ax = fig.add_axes(_fixed_bounds(16.5, 10.5, **_DRIVERS_MARGINS_PT))
        for p in points:
            marker, face = _QUADRANT_MARKERS.get(p["quadrant"], ("o", "white"))
            ax.plot([p["importance"]], [p["performance"]], linestyle="none", marker=marker,
                    markersize=8, markerfacecolor=face, markeredgecolor="black",
                    markeredgewidth=1.0)
            ax.annotate(_wrap(p["label"], 26), (p["importance"], p["performance"]),
                        xytext=(7, 4), textcoords="offset points", fontsize=7.5)
        ax.axvline(x_mid, color=GREYS[1], linestyle="--", linewidth=0.8)
        ax.axhline(y_mid, color=GREYS[1], linestyle="--", linewidth=0.8)
        x_span = (max(xs) - min(xs)) or abs(x_mid) or 1.0
        y_span = (max(ys) - min(ys)) or 5.0
        x0, x1 = min(xs) - 0.15 * x_span, max(xs) + 0.6 * x_span
        y0, y1 = min(ys) - 0.3 * y_span, max(ys) + 0.3 * y_span
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        q = data["quadrants"]
        corner = dict(fontsize=8.5, fontweight="bold", color=GREYS[0])
        ax.text(x1, y0, q["priority"], ha="right", va="bottom", **corner)
        ax.text(x1, y1, q["strength"], ha="right", va="top", **corner)
        ax.text(x0, y0, q["secondary"], ha="left", va="bottom", **corner)
        ax.text(x0, y1, q["surplus"], ha="left", va="top", **corner)
        ax.set_xlabel(data["x_label"])
        ax.set_ylabel(data["y_label"])
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(
            lambda v, _: _chart_number(v, lang, 2)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(
            lambda v, _: _chart_number(v, lang, 0)))
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig, data["title"])


def _wrap(text: str, width: int) -> str:
    """Break a long label into lines of about ``width`` characters at spaces (the report's
    own wrapping, as matplotlib's multi-line text)."""
    return "\n".join(report_charts._wrap(text, width))
