"""File names of downloads: readable Vietnamese where browsers allow, ASCII elsewhere."""

import re
import unicodedata
from urllib.parse import quote

# NFKD does not split these letters into a base and a mark.
_ASCII_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


def ascii_fallback(name: str) -> str:
    """Return ``name`` without diacritics, reduced to safe ASCII characters."""
    plain = unicodedata.normalize("NFKD", name.translate(_ASCII_LETTERS))
    plain = plain.encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._]+", "-", plain).strip("-")
    return plain or "download"


def _safe(name: str) -> str:
    # Path separators and control characters never belong in a file name.
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", name)
    return re.sub(r"\s+", " ", name).strip() or "download"


def attachment_headers(filename: str) -> dict:
    """Return a Content-Disposition for ``filename`` with an RFC 5987 ``filename*``."""
    filename = _safe(filename)
    value = (f'attachment; filename="{ascii_fallback(filename)}"; '
             f"filename*=UTF-8''{quote(filename, safe='')}")
    return {"Content-Disposition": value, "X-Content-Type-Options": "nosniff"}


def report_name(unit, wave, lang: str = "vi") -> str:
    """Return the PDF's file name, e.g. ``Báo cáo SIPAS - Sở Tư pháp - 2026.pdf``."""
    title = "Báo cáo SIPAS" if lang == "vi" else "SIPAS report"
    name = unit.name_en if lang == "en" and unit.name_en else unit.name
    return f"{title} - {name} - {wave.code}.pdf"


def export_name(unit, wave, fmt: str) -> str:
    """Return an export's file name, e.g. ``Phieu-khao-sat - MH-STP - 2026.csv``."""
    return f"Phiếu khảo sát - {unit.code} - {wave.code}.{fmt}"
