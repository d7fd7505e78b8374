"""Draw each SVG text chunk of the charts whole, not one code point at a time.

WeasyPrint lays out and draws SVG ``<text>`` one code point at a time, so that ``x``,
``y``, ``dx``, ``dy`` and ``rotate`` lists can place every glyph (``weasyprint/svg/
text.py``). The maintainers call that wrong for the common case (Kozea/WeasyPrint#2249,
open: combining marks and ligatures are torn apart, kerning is lost) and suggest drawing
the whole text when nothing positions single glyphs; the pull requests doing so were set
aside for a rewrite of WeasyPrint's text handling. It is also slow: a commune's report has
about 50 chart labels of 540 code points, each set by Pango on its own and placed on its
own; drawing the labels whole saves ~7 % of the report's instructions (callgrind).

:func:`install` puts :func:`draw_node` in the place of ``SVG.draw_node``, so that a ``<text>`` or ``<tspan>`` whose text
nothing positions glyph by glyph (at most one ``x`` and one ``y``; no ``dx``, ``dy``,
``rotate``, ``textLength`` or ``letter-spacing``; not right-to-left) reaches WeasyPrint's
own drawing as a :class:`Chunk`: the same string, which yields itself as its only
"character". WeasyPrint then sets it once, with Pango's shaping and kerning, at the
position of its first glyph, and moves its text cursor by the whole width, exactly as it
does after the last glyph of the split text. Any other text node is drawn as before. The
wrapper is process-wide (``render.py`` installs it on import): every SVG WeasyPrint draws
in the process gets it.
"""

from __future__ import annotations

from .patching import Replacement

__all__ = ["Chunk", "draw_node", "install", "installed", "is_whole_chunk", "uninstall"]

_TEXT_TAGS = ("text", "tspan")
_GLYPH_ATTRIBUTES = ("dx", "dy", "rotate", "textLength")


class Chunk(str):
    """A text chunk drawn as one unit: iterating it yields the whole string once."""

    __slots__ = ()

    def __iter__(self):
        yield str(self)


def is_whole_chunk(node) -> bool:
    """Whether nothing in ``node`` (a WeasyPrint SVG node) positions single glyphs."""
    if node.tag not in _TEXT_TAGS or not node.text:
        return False
    attributes = node.attrib
    if any(name in attributes for name in _GLYPH_ATTRIBUTES):
        return False
    if any(len(attributes.get(name, "").replace(",", " ").split()) > 1 for name in ("x", "y")):
        return False
    # WeasyPrint cascades inherited attributes such as letter-spacing into attrib.
    if node.get("letter-spacing") not in (None, "0", "normal"):
        return False
    return node.get("direction", "ltr") != "rtl"


def draw_node(self, node, *args, **kwargs):
    """``SVG.draw_node``, with a text node nothing positions glyph by glyph made a
    :class:`Chunk` first."""
    tree_node = getattr(node, "_etree_node", None)             # as WeasyPrint 70 keeps it
    if (tree_node is not None and is_whole_chunk(node)
            and not isinstance(tree_node.text, Chunk)):
        tree_node.text = Chunk(tree_node.text)
    return _REPLACEMENT.original(self, node, *args, **kwargs)


_REPLACEMENT = Replacement("draw_node", ("weasyprint.svg:SVG",), draw_node)
# install() is False if this WeasyPrint has no SVG.draw_node (its text is then drawn its
# own way).
install, installed, uninstall = (_REPLACEMENT.install, _REPLACEMENT.installed,
                                 _REPLACEMENT.uninstall)
