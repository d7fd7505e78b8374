"""Whether a WeasyPrint box is in normal flow, in one look at its style.

``Box.is_in_normal_flow`` (``weasyprint/formatting_structure/boxes.py``) asks five other
methods in turn (floated? absolutely positioned? running? footnote? note?), each of which
reads ``float`` or ``position`` from the style again; layout asks it ~10,000 times for a
commune's report. :func:`is_in_normal_flow` reads ``float`` once and, if the box does
not float, ``position`` once, and gives the same answer: out of flow if it floats left,
right, inline-start or inline-end or is a footnote, is positioned absolutely or fixed, or
is a running element or a note. ``render.py`` installs it on import.
"""

from __future__ import annotations

from .patching import Replacement

__all__ = ["install", "installed", "is_in_normal_flow", "uninstall"]

_OUT_OF_FLOW_FLOATS = ("left", "right", "inline-start", "inline-end", "footnote")


def is_in_normal_flow(self) -> bool:
    """``Box.is_in_normal_flow``."""
    style = self.style
    if style["float"] in _OUT_OF_FLOW_FLOATS:
        return False
    position = style["position"]              # a keyword, or ("running()", name) and such
    return not (position in ("absolute", "fixed") or position[0] in ("running()", "note()"))


_REPLACEMENT = Replacement("is_in_normal_flow",
                           ("weasyprint.formatting_structure.boxes:Box",), is_in_normal_flow)
install, installed, uninstall = (_REPLACEMENT.install, _REPLACEMENT.installed,
                                 _REPLACEMENT.uninstall)
