"""A small SVG writer for the report's charts: shapes and text in points, escaped.

Every text and attribute value is escaped for XML, and characters XML 1.0 cannot carry
(control characters from a questionnaire's labels, say) are dropped, so no label can
break the document or add markup to it. Numbers are written with two decimals at most,
so the same data gives the same bytes.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from .text_metrics import CAP_HEIGHT

__all__ = ["Svg"]

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text) -> str:
    return _NOT_XML.sub("", str(text))


class Svg:
    """An SVG document being written: ``width`` × ``height`` points, with an accessible
    title, text in ``font_family``, and the strokes' joins and caps of the old charts."""

    def __init__(self, width: float, height: float, title: str, *, font_family: str):
        self.width, self.height = width, height
        self.title = _clean(title)
        self.font_family = font_family
        self._defs: list[str] = []
        self._body: list[str] = []

    # numbers and positions

    @staticmethod
    def n(value: float) -> str:
        """``value`` with at most two decimals and no trailing zeros."""
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text

    @staticmethod
    def cap(size: float) -> float:
        """The capital height of text at ``size`` points."""
        return CAP_HEIGHT * size

    def middle(self, y: float, size: float) -> float:
        """The baseline that centres a line of text at ``size`` points on ``y``."""
        return y + self.cap(size) / 2

    # shapes

    def _stroke(self, stroke: str, width: float, dash: str | None = None) -> str:
        out = f' stroke="{stroke}" stroke-width="{self.n(width)}"'
        return out + (f' stroke-dasharray="{dash}"' if dash else "")

    def line(self, x1, y1, x2, y2, *, stroke: str, width: float, dash: str | None = None):
        n = self.n
        self._body.append(f'<path d="M{n(x1)},{n(y1)}L{n(x2)},{n(y2)}" fill="none"'
                          f'{self._stroke(stroke, width, dash)}/>')

    def path(self, d: str, *, stroke: str, width: float, fill: str = "none"):
        self._body.append(f'<path d="{d}" fill="{fill}"{self._stroke(stroke, width)}/>')

    def rect(self, x, y, w, h, *, fill: str, stroke: str, width: float):
        n = self.n
        self._body.append(f'<rect x="{n(x)}" y="{n(y)}" width="{n(max(w, 0))}" '
                          f'height="{n(max(h, 0))}" fill="{fill}"'
                          f'{self._stroke(stroke, width)}/>')

    def circle(self, cx, cy, r, *, fill: str, stroke: str, width: float = 1.0):
        n = self.n
        self._body.append(f'<circle cx="{n(cx)}" cy="{n(cy)}" r="{n(r)}" fill="{fill}"'
                          f'{self._stroke(stroke, width)}/>')

    def square(self, cx, cy, r, *, fill: str, stroke: str, width: float = 1.0):
        self.rect(cx - r, cy - r, 2 * r, 2 * r, fill=fill, stroke=stroke, width=width)

    def _polygon(self, points, fill: str, stroke: str, width: float):
        d = "M" + "L".join(f"{self.n(x)},{self.n(y)}" for x, y in points) + "Z"
        self.path(d, stroke=stroke, width=width, fill=fill)

    def triangle(self, cx, cy, r, *, fill: str, stroke: str, width: float = 1.0):
        """An upward triangle in a circle of radius ``r``."""
        self._polygon([(cx, cy - r), (cx + 0.866 * r, cy + r / 2), (cx - 0.866 * r, cy + r / 2)],
                      fill, stroke, width)

    def diamond(self, cx, cy, r, *, fill: str, stroke: str, width: float = 1.0):
        """A square on its corner, ``r`` from the centre to each corner."""
        self._polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)],
                      fill, stroke, width)

    def hatch_pattern(self, name: str, colour: str, spacing: float = 4.5) -> str:
        """Define white with diagonal hatching ("////") as ``name``; returns the fill."""
        s = self.n(spacing)
        self._defs.append(
            f'<pattern id="{name}" patternUnits="userSpaceOnUse" width="{s}" height="{s}">'
            f'<rect width="{s}" height="{s}" fill="white"/>'
            f'<path d="M0,{s}L{s},0M-1,1L1,-1M{self.n(spacing - 1)},{self.n(spacing + 1)}'
            f'L{self.n(spacing + 1)},{self.n(spacing - 1)}" stroke="{colour}" '
            f'stroke-width="0.6"/></pattern>')
        return f"url(#{name})"

    def text(self, x, y, text: str, *, size: float, anchor: str = "start", bold: bool = False,
             fill: str | None = None, rotate: float | None = None):
        """One line of text, its baseline at ``y``; ``anchor`` is start, middle or end."""
        n = self.n
        attrs = f' font-size="{n(size)}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if bold:
            attrs += ' font-weight="bold"'
        if fill:
            attrs += f' fill="{fill}"'
        if rotate:
            attrs += f' transform="rotate({n(rotate)} {n(x)} {n(y)})"'
        self._body.append(f'<text x="{n(x)}" y="{n(y)}"{attrs}>{escape(_clean(text))}</text>')

    # the document

    def markup(self) -> Markup:
        n = self.n
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{n(self.width)}pt" '
                f'height="{n(self.height)}pt" viewBox="0 0 {n(self.width)} {n(self.height)}" '
                f'role="img" aria-label={quoteattr(self.title)} '
                f'font-family={quoteattr(self.font_family)} '
                f'stroke-linejoin="round" stroke-linecap="butt">'
                f'<title>{escape(self.title)}</title>')
        defs = f"<defs>{''.join(self._defs)}</defs>" if self._defs else ""
        return Markup(head + defs + "".join(self._body) + "</svg>")
