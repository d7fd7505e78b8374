"""The SIPAS PDF report of one unit: plain data from a result, then a tagged PDF.

``build_report(result, unit_code, questionnaire=..., units=..., lang="vi", compare=None)``
returns the template's plain-data context; ``render_pdf(context)`` returns PDF bytes.
"""

from .context import ReportError, build_report
from .fetcher import AssetFetcher, RefusedURL
from .render import render_html, render_pdf

__all__ = ["AssetFetcher", "RefusedURL", "ReportError", "build_report", "render_html",
           "render_pdf"]
