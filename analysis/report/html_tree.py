"""Read the report's HTML with expat, WeasyPrint's HTML5 parser being the fallback.

``weasyprint.HTML(string=...)`` parses with tinyhtml5, an HTML5 parser written in Python
that reads one character at a time: ~18 ms of a commune's report for its 26 KB of HTML.
The report's template writes well-formed markup (void elements closed with ``/>``, every
element closed, every value escaped by Jinja's autoescape, CSS texts escaped by
``cssstr``), which Python's expat-based XML parser reads in well under a millisecond
into the same ``xml.etree`` tree.

:func:`document` parses with expat and builds the ``weasyprint.HTML`` from that tree, as
``HTML.__init__`` builds it from tinyhtml5's. The two trees are the same, which the tests
check on real reports, because for such markup the HTML5 algorithm only differs in the
whitespace around ``<head>`` and after ``</body>``, and :func:`_as_html5` moves that
whitespace where HTML5 puts it. Anything expat refuses (a character XML does not allow,
such as a control character in a unit's name, or markup that is not well formed) goes to
WeasyPrint's own parser, so every document that rendered before renders the same.
"""

from __future__ import annotations

from functools import lru_cache
from xml.etree import ElementTree

import cssselect2
import weasyprint

__all__ = ["document"]

# What HTML.__init__ sets. A WeasyPrint whose HTML objects hold anything else gets its
# own parser for every document (:func:`compatible`), until this module follows.
ATTRIBUTES = frozenset({"base_url", "url_fetcher", "media_type", "wrapper_element",
                        "etree_element"})


@lru_cache(maxsize=1)
def compatible() -> bool:
    """Whether ``weasyprint.HTML`` objects hold exactly :data:`ATTRIBUTES`."""
    return set(vars(weasyprint.HTML(string="<p></p>"))) == ATTRIBUTES


def _as_html5(root: ElementTree.Element) -> ElementTree.Element | None:
    """The tree an HTML5 parser makes of the same markup, or None if that is not sure:
    whitespace before ``<head>`` is dropped, and whitespace after ``</body>`` goes to the
    end of the body (HTML5 keeps the body open after its end tag)."""
    children = list(root)
    if root.tag != "html" or [child.tag for child in children] != ["head", "body"]:
        return None
    head, body = children
    if (root.text or "").strip() or (body.tail or "").strip() or (head.tail or "").strip():
        return None
    root.text = None
    trailing, body.tail = body.tail, None
    if trailing:
        if len(body):
            body[-1].tail = (body[-1].tail or "") + trailing
        else:
            body.text = (body.text or "") + trailing
    return root


def document(html: str, *, url_fetcher, base_url: str) -> weasyprint.HTML:
    """``weasyprint.HTML(string=html, url_fetcher=..., base_url=...)``, parsed by expat
    when the markup allows it."""
    root = None
    if compatible():
        try:
            root = _as_html5(ElementTree.fromstring(html))
        except ElementTree.ParseError:
            pass
    if root is None or next(root.iter("base"), None) is not None:
        return weasyprint.HTML(string=html, url_fetcher=url_fetcher, base_url=base_url)
    parsed = weasyprint.HTML.__new__(weasyprint.HTML)
    parsed.base_url = base_url
    parsed.url_fetcher = url_fetcher
    parsed.media_type = "print"
    parsed.wrapper_element = cssselect2.ElementWrapper.from_html_root(
        root, content_language=None)
    parsed.etree_element = parsed.wrapper_element.etree_element
    return parsed
