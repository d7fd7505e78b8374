"""Render a report context (plain data from :func:`build_report`) to a tagged PDF.

Jinja2 with autoescape on for the HTML, WeasyPrint for the PDF in its PDF/UA-1 variant
(tagged structure, document language and title, /Alt texts for the charts), with
:class:`AssetFetcher` as the only way to load anything.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from importlib import resources

import jinja2
import weasyprint
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration

from . import (charts, compression, font_keys, html_tree, normal_flow, style_values, svg_text,
               teardown, text_layouts, used_lengths)
from .collector import fewer_collections
from .fetcher import AssetFetcher, chart_url

__all__ = ["draw_charts", "render_html", "render_pdf", "cssstr", "warm_up"]

PDF_VARIANT = "pdf/ua-1"
_BASE_URL = "sipas-asset:templates/"
# Per thread (Pango's font map is not shared across threads): the font configuration with
# the report's @font-face fonts loaded and the stylesheet parsed against it, made once
# and reused by every report this thread renders (a bulk worker renders hundreds).
_local = threading.local()
svg_text.install()
compression.install()
used_lengths.install()
style_values.install()
text_layouts.install()
font_keys.install()
normal_flow.install()
teardown.install()


def cssstr(value) -> Markup:
    """Escape ``value`` for a double-quoted CSS string: every character but ASCII letters,
    digits and spaces becomes a ``\\hex`` escape, so no text can close the string, the rule
    or the ``<style>`` element."""
    out = []
    for ch in str(value):
        if ch.isascii() and (ch.isalnum() or ch == " "):
            out.append(ch)
        else:
            # The space ends the escape (CSS eats one whitespace after hex digits).
            out.append(f"\\{ord(ch):x} ")
    # Only [A-Za-z0-9 \\] remain: nothing HTML would read as markup.
    return Markup("".join(out))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(__package__, "templates"),
        # Always on, not by file extension: every value in a report is data.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["cssstr"] = cssstr
    return env


@lru_cache(maxsize=1)
def _stylesheet_text() -> str:
    return resources.files(__package__).joinpath("templates", "report.css").read_text("utf-8")


def draw_charts(context: dict) -> dict[str, Markup]:
    """The report's charts as SVG documents (written from the context's chart data)."""
    drawn = {}
    if not context.get("empty"):
        drawn["elements"] = charts.element_chart(context["element_chart"], context["lang"])
        if context.get("drivers"):
            drawn["drivers"] = charts.drivers_chart(context["drivers"], context["lang"])
    return drawn


_CHART_TITLES = {"elements": "element_chart", "drivers": "drivers"}


def render_html(context: dict, *, charts_markup: dict | None = None) -> str:
    """Render the report's HTML; each chart is an ``<img src="sipas-chart:NAME">`` with the
    chart's description as its ``alt`` (the PDF's /Alt), served by :func:`render_pdf`.

    ``charts_markup`` (name -> SVG, as :func:`draw_charts` returns) is drawn when not given.
    """
    if charts_markup is None:
        charts_markup = draw_charts(context)
    figures = {name: Markup('<img src="{}" alt="{}"/>').format(
        chart_url(name), context[_CHART_TITLES[name]]["title"]) for name in charts_markup}
    return _environment().get_template("report.html").render(**context, charts=figures)


def _styles(fetcher: AssetFetcher | None) -> tuple[AssetFetcher, FontConfiguration, weasyprint.CSS]:
    """The fetcher, font configuration and parsed stylesheet for one report.

    With no ``fetcher`` they are this thread's, made on first use; a given ``fetcher`` (to
    inspect what is served) gets its own, so it sees the fonts being fetched.
    """
    if fetcher is None:
        cached = getattr(_local, "styles", None)
        if cached is not None:
            cached[0].refused.clear()           # a long-lived worker keeps no history
            cached[0].served.clear()
            return cached
    own = fetcher or AssetFetcher()
    font_config = FontConfiguration()
    css = weasyprint.CSS(string=_stylesheet_text(), url_fetcher=own, font_config=font_config,
                         base_url=_BASE_URL)
    if fetcher is None:
        _local.styles = (own, font_config, css)
    return own, font_config, css


def render_pdf(context: dict, *, fetcher: AssetFetcher | None = None) -> bytes:
    """Render ``context`` to PDF bytes (PDF/UA-1, fonts embedded and subset).

    ``fetcher`` may be passed to inspect what was served or refused; otherwise this
    thread's :class:`AssetFetcher`, fonts and parsed stylesheet are reused. The garbage
    collector runs less often meanwhile (:func:`fewer_collections`).
    """
    with fewer_collections():
        return _render_pdf(context, fetcher)


def _render_pdf(context: dict, fetcher: AssetFetcher | None) -> bytes:
    drawn = draw_charts(context)
    html = render_html(context, charts_markup=drawn)
    fetcher, font_config, css = _styles(fetcher)
    document = html_tree.document(html, url_fetcher=fetcher, base_url=_BASE_URL)
    # WeasyPrint logs refused URLs and layout notes as warnings; a report is still valid.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # The charts as images rather than inline SVG: WeasyPrint's HTML parser and cascade
    # then skip their hundreds of elements (an XML parser reads them), still as vectors.
    fetcher.charts = {name: str(svg).encode("utf-8") for name, svg in drawn.items()}
    teardown.expect()
    try:
        rendered = document.render(stylesheets=[css], font_config=font_config,
                                   pdf_variant=PDF_VARIANT, uncompressed_pdf=False)
        pdf = rendered.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=False,
                                 finisher=header_scopes)
        # Freed by reference counting now rather than walked by the collector later.
        teardown.tear_down(rendered)
        return pdf
    finally:
        teardown.forget()
        fetcher.charts = {}


def warm_up() -> None:
    """Load what every report needs (fonts, stylesheet, chart fonts) in this thread, so a
    worker's first report is as fast as the next ones."""
    _styles(None)
    charts.warm_up()


_SCOPES = {"row": "/Row", "col": "/Column", "rowgroup": "/Row", "colgroup": "/Column"}


def header_scopes(document, pdf) -> None:
    """Give every table header cell (/TH) the /Scope of its HTML ``scope`` attribute.

    WeasyPrint links data cells to their headers with /Headers and /IDs, which PDF/UA-1
    accepts, but writes no /Scope on header cells (Kozea/WeasyPrint#2508); checkers and
    some screen readers look for it. WeasyPrint's documented ``finisher`` hook runs after
    the structure tree is built and before the file is written, so the scope is added to
    the cell's own /A attribute dictionary there. A header cell without ``scope`` is a
    column header, as WeasyPrint itself treats it.
    """
    stack = [page._page_box for page in document.pages]
    while stack:
        box = stack.pop()
        if getattr(box, "element_tag", None) == "th":
            mark = getattr(box, "mark", None)
            if mark is not None and "A" in mark:
                scope = (box.element.get("scope") or "col").strip().lower()
                mark["A"]["Scope"] = _SCOPES.get(scope, "/Column")
        stack.extend(getattr(box, "children", ()))
