"""Compute the common computed values of WeasyPrint's styles by the short way.

WeasyPrint computes an element's style lazily: the first time a property is read,
``ComputedStyle.__missing__`` (``weasyprint/css/__init__.py``) looks for a cascaded
value, a logical property that maps to it, pending ``var()`` values, text decorations,
named pages, math functions and the property's computer function. A commune's report
reads some 30,000 values that way; most are properties the stylesheet does not set on the
element, and those have a plain answer: an inherited property takes its parent's
computed value, any other takes its initial value when that needs no computing.

:func:`missing` gives exactly those two answers itself and hands everything else to
WeasyPrint's method: a root element, a property with a cascaded value, a property with a
logical counterpart (``margin-top`` and ``margin-block-start``, say), ``page``,
``position``, ``float`` and ``display`` (whose specified values WeasyPrint records),
``text-decoration-*`` (propagated, not inherited), a parent value that is a math function,
and an initial value that must be computed. The PDF is the same, byte for byte, and so is
every computed value of every element (tests/analysis/test_report_style_values.py).
``render.py`` installs it on import.
"""

from __future__ import annotations

from weasyprint.css import (INHERITED, INITIAL_NOT_COMPUTED, INITIAL_VALUES,
                            PHYSICAL_FUNCTIONS, check_math)

from .patching import Replacement

__all__ = ["install", "installed", "missing", "uninstall"]

# Properties WeasyPrint computes with more than the parent's or the initial value.
_OWN_WAY = frozenset(PHYSICAL_FUNCTIONS) | {"page", "position", "float", "display"}


def missing(self, key):
    """``ComputedStyle.__missing__``: the computed value of ``key``, stored."""
    parent = self.parent_style
    if parent is None or key in _OWN_WAY or key in self.cascaded or key[:16] == "text_decoration_":
        return _REPLACEMENT.original(self, key)
    if key in INHERITED or key[:2] == "__":                 # "__": custom properties
        value = parent[key]
        if check_math(value):
            return _REPLACEMENT.original(self, key)
    elif key in INITIAL_NOT_COMPUTED:
        return _REPLACEMENT.original(self, key)
    else:
        value = INITIAL_VALUES[key]
    self[key] = value
    return value


_REPLACEMENT = Replacement("__missing__", ("weasyprint.css:ComputedStyle",), missing)
install, installed, uninstall = (_REPLACEMENT.install, _REPLACEMENT.installed,
                                 _REPLACEMENT.uninstall)
