"""Geometry of the dashboard's inline SVG charts; the templates draw the shapes.

No chart library: the site works without network, and an SVG in the page prints, zooms
and reads with a screen reader (each shape has a text twin in the tables).  Values are
indices on 0-100.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One horizontal bar with its confidence interval, in SVG user units."""

    label: str
    value: float | None
    y: float
    width: float
    ci_x1: float | None
    ci_x2: float | None
    small_sample: bool


def bars(items, *, width: float = 300.0, row: float = 42.0) -> dict:
    """Lay out ``items`` (dicts with ``label, value, ci_low, ci_high, small_sample``).

    Returns
    -------
    dict
        ``bars`` (list of Bar), ``width``, ``height``, ``ticks`` (x, label) at 0/25/50/75/100.
    """
    scale = width / 100.0
    out = []
    for i, item in enumerate(items):
        value = item.get("value")
        low, high = item.get("ci_low"), item.get("ci_high")
        out.append(Bar(
            label=item["label"], value=value, y=i * row,
            width=0.0 if value is None else max(0.0, min(100.0, value)) * scale,
            ci_x1=None if low is None else max(0.0, low) * scale,
            ci_x2=None if high is None else min(100.0, high) * scale,
            small_sample=bool(item.get("small_sample")),
        ))
    ticks = [(t * scale, str(t)) for t in (0, 25, 50, 75, 100)]
    return {"bars": out, "width": width, "height": max(row, len(out) * row), "ticks": ticks,
            "row": row}


def line(points, *, width: float = 320.0, height: float = 140.0, pad: float = 24.0) -> dict:
    """Lay out a trend line of ``points`` (dicts with ``label, value, current``).

    The y axis spans the data's range rounded out to tens (indices move by a few points;
    a 0-100 axis would flatten every trend).  Points without a value break the line.

    Returns
    -------
    dict
        ``dots`` (x, y, label, value, current), ``segments`` (list of "x,y x,y ..."
        polyline strings), ``gridlines`` (y, label), ``width``, ``height``.
    """
    values = [p["value"] for p in points if p.get("value") is not None]
    if values:
        low = max(0.0, (min(values) // 10) * 10)
        high = min(100.0, -(-max(values) // 10) * 10)
        if high <= low:
            low, high = max(0.0, low - 10), min(100.0, high + 10)
    else:
        low, high = 0.0, 100.0
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    step = inner_w / (len(points) - 1) if len(points) > 1 else 0.0

    def y_of(v):
        return pad + inner_h * (1 - (v - low) / (high - low))

    dots, segments, current = [], [], []
    for i, p in enumerate(points):
        x = pad + (i * step if len(points) > 1 else inner_w / 2)
        v = p.get("value")
        if v is None:
            if current:
                segments.append(current)
            current = []
            dots.append({"x": x, "y": None, "label": p["label"], "value": None,
                         "current": p.get("current", False)})
            continue
        y = y_of(v)
        current.append(f"{x:.1f},{y:.1f}")
        dots.append({"x": x, "y": y, "label": p["label"], "value": v,
                     "current": p.get("current", False)})
    if current:
        segments.append(current)
    grid_values = sorted({low, (low + high) / 2, high})
    return {"dots": dots, "segments": [" ".join(s) for s in segments if len(s) > 1],
            "gridlines": [(y_of(v), f"{v:g}") for v in grid_values],
            "width": width, "height": height, "pad": pad}
