"""PAR Index survey points: the per-edition table that turns indices into points.

The provincial PAR Index (Chỉ số cải cách hành chính) gives part of its points to the
sociological survey. How an index becomes points is set by each edition of the
methodology, so it is data in the definition (``analysis.par_points``), never code:

```yaml
par_points:
  edition: "2022"                      # the edition the table follows
  source: {vi: ..., en: ...}           # the decision that sets it
  components:
    - id: satisfaction
      label: {vi: ..., en: ...}
      index: overall                   # "overall" or an element id of this definition
      max_points: 2.0
      bands:                           # optional; without it points = max × index / 100
        - {min: 80, points: 2.0}       # index >= 80 -> 2.0 points
        - {min: 50, points: 1.0}
        - {min: 0, points: 0}
```

Bands are listed from the highest threshold down to 0, and their points never rise as
the threshold falls, so every index from 0 to 100 gets exactly one, monotone, value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .messages import N_, plain

if TYPE_CHECKING:  # the loader's checker imports the model, which imports this module
    from .validation import At, Checker

PAR_KEYS = {"edition", "source", "components"}
COMPONENT_KEYS = {"id", "label", "index", "max_points", "bands"}
BAND_KEYS = {"min", "points"}


@dataclass(frozen=True)
class PointsBand:
    """Indices at or above ``min`` (0-100) score ``points``."""

    min: float
    points: float


@dataclass(frozen=True)
class PointsComponent:
    """One line of the table: an index of this definition and its points."""

    id: str
    label: dict
    index: str
    max_points: float
    bands: tuple[PointsBand, ...] = ()

    def points(self, value: float) -> float:
        """The points of an index ``value`` on 0-100 (NaN stays NaN)."""
        if value is None or not math.isfinite(value):
            return math.nan
        if not self.bands:
            return self.max_points * min(max(value, 0.0), 100.0) / 100.0
        for band in self.bands:
            if value >= band.min:
                return band.points
        return self.bands[-1].points


@dataclass(frozen=True)
class ParPoints:
    """The points table of one PAR Index edition."""

    edition: str
    source: dict
    components: tuple[PointsComponent, ...]

    @property
    def max_total(self) -> float:
        """The most points the survey components can give together."""
        return sum(c.max_points for c in self.components)

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON form."""
        return {"edition": self.edition, "source": dict(self.source), "components": [
            {"id": c.id, "label": dict(c.label), "index": c.index, "max_points": c.max_points,
             **({"bands": [{"min": b.min, "points": b.points} for b in c.bands]}
                if c.bands else {})} for c in self.components]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ParPoints:
        """Build from the canonical JSON form."""
        return cls(edition=d["edition"], source=dict(d["source"]), components=tuple(
            PointsComponent(id=c["id"], label=dict(c["label"]), index=c["index"],
                            max_points=c["max_points"],
                            bands=tuple(PointsBand(b["min"], b["points"])
                                        for b in c.get("bands") or ()))
            for c in d["components"]))


def _number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def is_positive_number(value: object) -> bool:
    """True for a finite number above zero (bools excluded)."""
    return _number(value) and value > 0


def check_par_points(c: Checker, at: At, value: object, element_ids: list) -> dict | None:
    """Check ``analysis.par_points``; return its canonical form (None when broken)."""
    if not c.mapping(at, value, PAR_KEYS, PAR_KEYS, plain("par_points")):
        return None
    ok = True
    edition = value.get("edition")
    if not isinstance(edition, str) or not edition.strip():
        c.report(at.key("edition"), N_("edition must be a non-empty text, e.g. '2022'"))
        ok = False
    source = c.text(at.key("source"), value.get("source"))
    components = value.get("components")
    if not isinstance(components, list) or not components:
        c.report(at.key("components"), N_("components must be a non-empty list"))
        return None
    out, seen = [], set()
    for k, raw in enumerate(components):
        item = at.key("components").item(k, raw)
        comp = _component(c, item, raw, element_ids, seen)
        ok &= comp is not None
        out.append(comp)
    if not ok or source is None:
        return None
    return {"edition": edition.strip(), "source": source, "components": out}


def _component(c: Checker, at: At, raw: object, element_ids: list, seen: set) -> dict | None:
    if not c.mapping(at, raw, COMPONENT_KEYS, {"id", "label", "index", "max_points"},
                     N_("a points component")):
        return None
    ok = True
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid:
        c.report(at.key("id"), N_("id must be a non-empty text"))
        ok = False
    elif cid in seen or cid == "total":
        c.report(at.key("id"), N_("component id '%(id)s' is used twice or is reserved "
                                  "('total')", id=cid))
        ok = False
    seen.add(cid)
    label = c.text(at.key("label"), raw.get("label"))
    index = raw.get("index")
    if index != "overall" and index not in element_ids:
        c.report(at.key("index"), N_("index must be 'overall' or an element id of the analysis "
                                     "(%(ids)s), not %(value)s",
                                     ids=", ".join(map(str, element_ids)), value=repr(index)))
        ok = False
    top = raw.get("max_points")
    if not is_positive_number(top):
        c.report(at.key("max_points"), N_("max_points must be a positive number, not %(value)s",
                                          value=repr(top)))
        return None
    bands = _bands(c, at.key("bands"), raw.get("bands"), top) if "bands" in raw else []
    if bands is None or not ok or label is None:
        return None
    out = {"id": cid, "label": label, "index": index, "max_points": top}
    if bands:
        out["bands"] = bands
    return out


def _bands(c: Checker, at: At, raw: object, top: float) -> list | None:
    if not isinstance(raw, list) or not raw:
        c.report(at, N_("bands must be a non-empty list of {min, points}"))
        return None
    bands = []
    for k, band in enumerate(raw):
        item = at.item(k, band)
        if not c.mapping(item, band, BAND_KEYS, BAND_KEYS, N_("a band")):
            return None
        low, pts = band["min"], band["points"]
        if not _number(low) or not 0 <= low <= 100:
            c.report(item.key("min"), N_("min must be an index between 0 and 100, not %(value)s",
                                                   value=repr(low)))
            return None
        if not _number(pts) or not 0 <= pts <= top:
            c.report(item.key("points"), N_("points must be between 0 and max_points (%(top)s), "
                                         "not %(value)s", top=top, value=repr(pts)))
            return None
        if bands and low >= bands[-1]["min"]:
            c.report(item.key("min"), N_("bands must be listed from the highest min down, each "
                                      "min below the one before (%(previous)s)", previous=bands[-1]["min"]))
            return None
        if bands and pts > bands[-1]["points"]:
            c.report(item.key("points"), N_("points must not rise as min falls (a lower index "
                                         "cannot earn more points)"))
            return None
        bands.append({"min": low, "points": pts})
    if bands[-1]["min"] != 0:
        c.report(at.item(len(raw) - 1, raw[-1]).key("min"),
                 N_("the last band must start at min 0, so that every index gets points"))
        return None
    return bands


__all__ = ["ParPoints", "PointsBand", "PointsComponent", "check_par_points"]
