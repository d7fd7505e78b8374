"""The SIPAS PDF report of one unit: plain data from a result, then a tagged PDF.

``build_report(result, unit_code, questionnaire=..., units=..., lang="vi", compare=None)``
returns the template's plain-data context; ``render_pdf(context)`` returns PDF bytes;
``render_many(contexts, workers=None)`` renders many in worker processes.
"""

from .bulk import BulkRenderError, render_many
from .context import ReportError, build_report
from .fetcher import AssetFetcher, RefusedURL
from .render import render_html, render_pdf, warm_up

__all__ = ["AssetFetcher", "BulkRenderError", "RefusedURL", "ReportError", "build_report",
           "render_html", "render_many", "render_pdf", "warm_up"]
