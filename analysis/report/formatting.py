"""Numbers and dates as a reader of each language writes them.

Vietnamese writes a decimal comma and groups thousands with a dot (82,99%; 1.234 phiếu);
English the other way round. Done by hand rather than with Babel because ``analysis/``
should not need the web app's i18n stack for two separators.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = ["fmt_number", "fmt_int", "fmt_percent", "fmt_interval", "fmt_change", "fmt_date",
           "is_missing"]

_SEPARATORS = {"vi": (",", "."), "en": (".", ",")}   # decimal, thousands
DASH = "–"            # en dash: ranges and "no value"
MINUS = "\u2212"      # a real minus sign, clearer than a hyphen in tables


def finite_number(value) -> float | None:
    """``value`` as a float, or None when it is missing or not a finite number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def plain_record(record: dict) -> dict:
    """A table row's values, each missing one (None, NaN, pandas' NA) as None; text is
    never missing."""
    return {k: (None if not isinstance(v, str) and is_missing(v) else v)
            for k, v in record.items()}


def is_missing(value) -> bool:
    """True for None, NaN and pandas' NA."""
    if value is None:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return True


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def fmt_number(value, lang: str, digits: int = 2, *, sign: bool = False) -> str:
    """Format ``value`` with ``digits`` decimals in the style of ``lang``; "–" when missing."""
    if is_missing(value):
        return DASH
    dec, thousands = _SEPARATORS[lang]
    value = float(value)
    text = f"{abs(value):.{digits}f}"
    whole, _, frac = text.partition(".")
    body = _group(whole, thousands) + (dec + frac if frac else "")
    # Zero after rounding carries no sign: "+0,00" would claim a direction.
    if float(text) == 0:
        return body
    if value < 0:
        return MINUS + body
    return ("+" + body) if sign else body


def fmt_int(value, lang: str) -> str:
    """Format a count with thousands separators."""
    if is_missing(value):
        return DASH
    return fmt_number(round(float(value)), lang, 0)


def fmt_percent(value, lang: str, digits: int = 2) -> str:
    """Format a value on the 0–100 scale as a percentage: ``82,99%``."""
    if is_missing(value):
        return DASH
    return fmt_number(value, lang, digits) + "%"


def fmt_interval(low, high, lang: str, digits: int = 2) -> str:
    """Format a confidence interval: ``81,20–84,60``."""
    if is_missing(low) or is_missing(high):
        return DASH
    return f"{fmt_number(low, lang, digits)}{DASH}{fmt_number(high, lang, digits)}"


def fmt_change(value, lang: str, digits: int = 2) -> str:
    """Format a change with its sign: ``+1,25`` or ``−0,40``."""
    return fmt_number(value, lang, digits, sign=True)


def fmt_date(value, lang: str) -> str:
    """Format a date: ``31/12/2026`` (vi) or ``31 Dec 2026`` (en)."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if lang == "vi":
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    return f"{value.day} {value.strftime('%b')} {value.year}"
