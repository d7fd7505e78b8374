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


def _subset(field_code: str | None, channel: str | None) -> str:
    # A filtered download must not be mistaken for the whole wave's once saved.
    return "".join(f" - {part}" for part in (field_code, channel) if part)


def report_name(unit, wave, lang: str = "vi", *, field_code: str | None = None,
                channel: str | None = None) -> str:
    """Return the PDF's file name, e.g. ``Báo cáo SIPAS - Sở Tư pháp - 2026.pdf``.

    A service field or channel filter is added: ``... - 2026 - TP - online.pdf``.
    """
    title = "Báo cáo SIPAS" if lang == "vi" else "SIPAS report"
    name = unit.name_en if lang == "en" and unit.name_en else unit.name
    return f"{title} - {name} - {wave.code}{_subset(field_code, channel)}.pdf"


def export_name(unit, wave, fmt: str, *, field_code: str | None = None,
                channel: str | None = None) -> str:
    """Return an export's file name, e.g. ``Phiếu khảo sát - MH-STP - 2026.csv``
    (``... - 2026 - TP - online.csv`` with a service field and channel filter)."""
    return f"Phiếu khảo sát - {unit.code} - {wave.code}{_subset(field_code, channel)}.{fmt}"
