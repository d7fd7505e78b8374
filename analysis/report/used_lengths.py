"""Resolve each box's used margins, paddings, sizes and borders once per distinct input.

Before WeasyPrint lays out a box it calls ``resolve_percentages(box, containing_block)``
(``weasyprint/layout/percent.py``): some twenty properties read from the box's computed
style, each turned into a used length against the containing block's width or height,
then set on the box. A commune's report makes that call ~2,700 times, for ~700 text
boxes, ~600 line boxes, ~460 table cells and the rest, about 50 Python calls each, yet
the distinct inputs number a few hundred: the boxes of one table column, the line boxes
of one paragraph style, the cells of one row share their values and containing width.

:func:`resolve_percentages` is the same function with a memo. Its result depends only on
the style values it reads, the containing block's width and height and whether the box
is a page; those form the key, and the used values are copied onto the box from the memo.
Whatever the memo cannot vouch for goes to WeasyPrint's own function: a math function
(``calc()``) among the values, whose result may depend on other properties such as the
font size, a ``box-sizing`` other than ``content-box``, whose adjustment reads the box's
own borders, and unhashable values. In the collapsing border model a cell's border widths
were set by WeasyPrint's border conflict resolution before this call, and are kept, as
WeasyPrint keeps them. The output is the same, byte for byte (tests/analysis/
test_report_used_lengths.py). :func:`install` puts it in the place of the original in
every WeasyPrint module that imported it, once per process (``render.py`` installs it on
import).
"""

from __future__ import annotations

from operator import itemgetter

from weasyprint.formatting_structure.boxes import Box, PageBox

from .patching import Replacement

__all__ = ["MEMO_LIMIT", "install", "installed", "resolve_percentages", "uninstall"]

# Distinct (values, containing block) keys kept; a report has a few hundred. When full,
# the memo starts again, so a long-lived worker holds at most this many small entries.
MEMO_LIMIT = 20_000

_LENGTHS = ("margin_left", "margin_right", "margin_top", "margin_bottom",
            "padding_left", "padding_right", "padding_top", "padding_bottom",
            "width", "min_width", "max_width", "height", "min_height", "max_height")
_BORDERS = ("border_top_width", "border_right_width", "border_bottom_width",
            "border_left_width")
_read = itemgetter(*_LENGTHS, *_BORDERS, "box_sizing", "border_collapse")
_BOX_SIZING = len(_LENGTHS) + len(_BORDERS)
_COLLAPSE = _BOX_SIZING + 1

_memo: dict = {}


def _plain(value) -> bool:
    """Whether ``value`` resolves without reading other properties: a keyword, nothing,
    or a dimension (WeasyPrint's ``Dimension`` has a unit; a math function has none)."""
    return value is None or value == "auto" or getattr(value, "unit", None) is not None


def _used(box, containing_block, values) -> tuple[dict, dict] | None:
    """The used lengths and border widths WeasyPrint's own function gives a fresh box of
    the same class and style, or None where ``box-sizing`` makes them depend on the box."""
    if values[_BOX_SIZING] != "content-box":
        return None
    fresh = object.__new__(type(box))
    fresh.style = box.style
    _REPLACEMENT.original(fresh, containing_block)
    used = fresh.__dict__
    return ({name: used[name] for name in _LENGTHS}, {name: used[name] for name in _BORDERS})


def resolve_percentages(box, containing_block):
    """WeasyPrint's ``resolve_percentages``, with the used values memoized."""
    if isinstance(containing_block, Box):
        width, height = containing_block.width, containing_block.height
    else:
        width, height = containing_block
    values = _read(box.style)
    key = (values, width, height, isinstance(box, PageBox))
    try:
        used = _memo.get(key, False)
    except TypeError:                           # an unhashable value: no memo for it
        return _REPLACEMENT.original(box, containing_block)
    if used is False:
        if not all(map(_plain, values[:len(_LENGTHS)])):
            # A math function: its result may read other properties, and it is hashed
            # by identity, so a key holding one would never be met again.
            return _REPLACEMENT.original(box, containing_block)
        used = _used(box, containing_block, values)
        if len(_memo) >= MEMO_LIMIT:
            _memo.clear()
        _memo[key] = used
    if used is None:
        return _REPLACEMENT.original(box, containing_block)
    lengths, borders = used
    attributes = box.__dict__
    attributes.update(lengths)
    if values[_COLLAPSE] == "collapse":
        # Widths already set by the collapsed borders' resolution stay, as in WeasyPrint.
        for name in _BORDERS:
            if name not in attributes:
                attributes[name] = borders[name]
    else:
        attributes.update(borders)
    return None


# Defined in weasyprint.layout.percent; the other modules call it by a name of their own.
_REPLACEMENT = Replacement("resolve_percentages", tuple(
    f"weasyprint.layout.{name}" for name in ("percent", "absolute", "block", "column", "float",
                                              "grid", "inline", "page", "table")),
    resolve_percentages)
install, installed = _REPLACEMENT.install, _REPLACEMENT.installed


def uninstall() -> None:
    """Give WeasyPrint its own function back, and empty the memo."""
    _REPLACEMENT.uninstall()
    _memo.clear()
