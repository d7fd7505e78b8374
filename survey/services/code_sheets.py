"""Printing invitation codes: an A4 sheet of slips (PDF, PDF/UA-1) or CSV for the one-stop
software, which prints the code and its QR image on its own receipt slips.

The sheet is rendered like the reports: WeasyPrint with the reports' ``AssetFetcher`` (only
packaged fonts; ``file:``, ``http(s):`` and ``data:`` URLs refused) and plain data in the
template.  Each QR code is inline SVG with a title, which WeasyPrint tags as a figure with
that /Alt text.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass

import segno
import weasyprint
from analysis.report.fetcher import AssetFetcher
from flask import render_template
from flask_babel import force_locale, gettext as _
from markupsafe import Markup, escape
from weasyprint.text.fonts import FontConfiguration

from ..models import ServiceField, ServicePoint, Wave
from .invitations import normalize_code

CSV_COLUMNS = ("diem_tiep_nhan", "linh_vuc", "dot_khao_sat", "ma", "duong_dan")
SLIPS_PER_PAGE = 8


@dataclass(frozen=True)
class Slip:
    """What one slip shows (plain data for the template)."""

    code: str
    url: str
    qr_svg: Markup


def code_url(base_url: str, code: str) -> str:
    """Return the address a code opens: ``<base>/ma/<CODE>``."""
    return f"{base_url.rstrip('/')}/ma/{normalize_code(code)}"


def qr_svg(url: str, label: str) -> Markup:
    """Return the QR code of ``url`` as inline SVG with ``label`` as its accessible title."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=3, border=2, xmldecl=False,
                                    svgns=True, title=label, svgclass="qr", lineclass=None)
    svg = out.getvalue().decode()
    svg = re.sub(r"<svg ", '<svg role="img" aria-label="' + str(escape(label)) + '" ', svg, count=1)
    return Markup(svg)


def _names(point: ServicePoint, field: ServiceField | None, wave: Wave, lang: str) -> dict:
    def name(row):
        if row is None:
            return _("any field")
        return (row.name_en or row.name) if lang == "en" else row.name
    return {"point": f"{name(point)} ({point.code})",
            "field": name(field) if field is None else f"{name(field)} ({field.code})",
            "wave": f"{name(wave)} ({wave.code})"}


def sheet_pdf(codes: list[str], *, point: ServicePoint, field: ServiceField | None, wave: Wave,
              base_url: str, lang: str = "vi") -> bytes:
    """Return an A4 PDF (PDF/UA-1) with one slip per code: point, field, wave, code, URL, QR."""
    with force_locale(lang):
        names = _names(point, field, wave, lang)
        slips = []
        for code in codes:
            url = code_url(base_url, code)
            slips.append(Slip(code=code, url=url,
                              qr_svg=qr_svg(url, _("QR code that opens the survey with code %(code)s",
                                                  code=code))))
        pages = [slips[i:i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
        html = render_template("codes/sheet.html", lang=lang, names=names, pages=pages,
                               count=len(codes))
    fetcher = AssetFetcher()
    font_config = FontConfiguration()
    css = weasyprint.CSS(string=render_template("codes/sheet.css"), url_fetcher=fetcher,
                         font_config=font_config, base_url="sipas-asset:templates/")
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url="sipas-asset:templates/")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return document.write_pdf(stylesheets=[css], font_config=font_config, pdf_variant="pdf/ua-1")


def sheet_csv(codes: list[str], *, point: ServicePoint, field: ServiceField | None, wave: Wave,
              base_url: str) -> str:
    """Return the codes as CSV (UTF-8, header row ``CSV_COLUMNS``): codes, not names, so
    the one-stop software can match them with its own lists."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for code in codes:
        writer.writerow([point.code, field.code if field else "", wave.code, code,
                         code_url(base_url, code)])
    return out.getvalue()
