"""Numbers in the officials' pages, written as the PDF report writes them.

The helpers of ``analysis.report.formatting`` are bound to the visitor's language and
offered to the blueprint's templates, so that the dashboard and the PDF show the same
"82,99%" for the same estimate.
"""

from analysis.report.formatting import (fmt_change, fmt_int, fmt_interval, fmt_number,
                                        fmt_percent)

from ..i18n import current_lang
from . import bp

DIGITS = 2


@bp.context_processor
def _formatters():
    current = current_lang()
    return {
        "pct": lambda v: fmt_percent(v, current, DIGITS),
        "num": lambda v, digits=DIGITS: fmt_number(v, current, digits),
        "count": lambda v: fmt_int(v, current),
        "interval": lambda lo, hi: fmt_interval(lo, hi, current, DIGITS),
        "change": lambda v: fmt_change(v, current, DIGITS),
        "lang": current,
    }
