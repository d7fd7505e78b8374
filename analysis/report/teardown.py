"""Take a rendered WeasyPrint document apart once its PDF is written, so that reference
counting frees it instead of the garbage collector.

A commune's report leaves ~54,000 objects behind (styles, boxes, the parsed HTML), and
nearly all of them hang off a few reference cycles inside WeasyPrint: the target
collector's lookups hold closures that reach the layout context (and through it every
computed style), each page box and its footnote area point at each other, each style
caches its anonymous child style, which points back at it, and an anonymous style is its
own ``specified``. Only the garbage collector frees objects kept by cycles, and it walks
every one of them to do so, after each report (``collector.py`` defers that walk to the
end of the render, where it took 12–20 ms).

:func:`tear_down` cuts those links on a document whose PDF has been written: the layout
context (which WeasyPrint does not keep on the document, so :func:`install` has
``Document._build_layout_context`` leave it for this thread when the renderer said it
would :func:`expect` it) loses its lookups and
attributes, and every box of every page loses its footnote area's page, its
``missing_link`` to itself and its style's links to anonymous styles. What is left for the
collector is a few thousand objects (the parsed HTML's element wrappers, the charts' SVG
definitions). It only runs after the PDF is written, on a document nobody uses again, and
anything unexpected in it is ignored: it can cost a collection, never a report.
"""

from __future__ import annotations

import logging
import threading

from .patching import Replacement

__all__ = ["expect", "forget", "install", "installed", "tear_down", "uninstall"]

_local = threading.local()
LOG = logging.getLogger(__name__)


def _build_layout_context(cls, *args, **kwargs):
    context = _REPLACEMENT.original.__func__(cls, *args, **kwargs)
    if getattr(_local, "wanted", False):     # only for a render that will tear it down
        _local.context = context
    return context


def expect() -> None:
    """Keep the layout context of the next document this thread renders, for
    :func:`tear_down` (other WeasyPrint users in the process are left alone)."""
    _local.wanted = True
    _local.context = None


def forget() -> None:
    """Keep no layout context in this thread (after :func:`tear_down`, or a failed render)."""
    _local.wanted = False
    _local.context = None


def tear_down(document) -> None:
    """Cut the reference cycles of ``document`` (a rendered ``weasyprint.Document`` whose
    PDF is written) and of this thread's last layout context."""
    context, _local.context = getattr(_local, "context", None), None
    try:
        if context is not None:
            collector = context.target_collector
            collector.target_lookup_items.clear()
            collector.counter_lookup_items.clear()
            vars(context).clear()
        for page in document.pages:
            for box in page._page_box.descendants(placeholders=True):
                attributes = vars(box)
                if attributes.get("missing_link") is box:
                    attributes["missing_link"] = None
                if "page" in attributes:                     # a footnote area's page
                    attributes["page"] = None
                style = attributes.get("style")
                if style is not None:
                    style_attributes = vars(style)
                    style_attributes.pop("anonymous_style", None)
                    if style_attributes.get("specified") is style:
                        style_attributes["specified"] = None
    except Exception:                                        # noqa: BLE001  (an optimisation)
        LOG.debug("tearing a rendered document down failed", exc_info=True)


_REPLACEMENT = Replacement("_build_layout_context", ("weasyprint.document:Document",),
                           classmethod(_build_layout_context))
install, installed = _REPLACEMENT.install, _REPLACEMENT.installed


def uninstall() -> None:
    """Give WeasyPrint its own method back."""
    _REPLACEMENT.uninstall()
    forget()
