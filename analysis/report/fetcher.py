"""The only way the PDF renderer may load a resource: packaged fonts, by name.

A report carries text typed by citizens and unit names typed by administrators. Even when
escaped, HTML has many ways to name a URL (``<img src>``, CSS ``url()``, SVG ``href``), so
the renderer gets a fetcher that serves the files shipped in this package under the
``sipas-asset:`` scheme and refuses everything else: ``file:`` (reading the server's
files), ``http(s):`` (requests from the server, SSRF), ``data:`` (nothing needs it), and
any other scheme. The charts the renderer drew for the report being rendered are served
under ``sipas-chart:NAME`` (:attr:`AssetFetcher.charts`, set by the renderer).
"""

from __future__ import annotations

import re
from importlib import resources

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["ASSET_SCHEME", "CHART_SCHEME", "AssetFetcher", "RefusedURL", "asset_url", "chart_url"]

ASSET_SCHEME = "sipas-asset"
CHART_SCHEME = "sipas-chart"
_CHART_RE = re.compile(r"^sipas-chart:([a-z]+)$")
# Plain file names in known folders only: no "..", no "/" beyond the folder, no query.
_ASSET_RE = re.compile(r"^sipas-asset:(fonts)/([A-Za-z0-9][A-Za-z0-9_.-]*)$")
_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2", ".css": "text/css"}


def chart_url(name: str) -> str:
    """Return the URL under which the chart ``name`` of the report being rendered is served."""
    return f"{CHART_SCHEME}:{name}"


class RefusedURL(ValueError):
    """A URL the report renderer will not fetch."""


def asset_url(folder: str, name: str) -> str:
    """Return the ``sipas-asset:`` URL of a packaged file."""
    return f"{ASSET_SCHEME}:{folder}/{name}"


class AssetFetcher(URLFetcher):
    """WeasyPrint URL fetcher serving packaged assets only; every other URL is refused.

    WeasyPrint catches the error of a refused URL and logs it, so a refused image simply
    does not appear; :attr:`refused` keeps the URLs for tests and logs.
    """

    def __init__(self):
        # No handler is ever used: fetch() below never calls the urllib machinery.
        super().__init__(allowed_protocols=[ASSET_SCHEME, CHART_SCHEME], allow_redirects=False)
        self.refused: list[str] = []
        self.served: list[str] = []
        # name -> SVG bytes of the charts drawn for the report being rendered (set by
        # render_pdf around one render; nothing else is served under sipas-chart:).
        self.charts: dict[str, bytes] = {}

    def fetch(self, url, headers=None):
        """Return the packaged file or chart named by ``url``; raise :class:`RefusedURL` otherwise."""
        chart = _CHART_RE.match(url or "")
        if chart is not None and chart.group(1) in self.charts:
            self.served.append(url)
            return URLFetcherResponse(url, self.charts[chart.group(1)],
                                      {"Content-Type": "image/svg+xml"})
        match = _ASSET_RE.match(url or "")
        if match is None:
            self.refused.append(url)
            raise RefusedURL(f"the report renderer fetches packaged assets only, not {url[:80]!r}")
        folder, name = match.groups()
        suffix = name[name.rfind("."):].lower() if "." in name else ""
        if suffix not in _TYPES:
            self.refused.append(url)
            raise RefusedURL(f"not a packaged asset type: {name!r}")
        resource = resources.files(__package__).joinpath(folder, name)
        if not resource.is_file():
            self.refused.append(url)
            raise RefusedURL(f"no packaged asset {folder}/{name}")
        self.served.append(url)
        return URLFetcherResponse(url, resource.read_bytes(), {"Content-Type": _TYPES[suffix]})
