"""Exports of a wave's responses and of result tables (no Flask, no database).

Responses: CSV (UTF-8 with BOM, streamed chunk by chunk), XLSX (write-only, streamed),
SPSS ``.sav`` and Stata ``.dta`` (pyreadstat, from one DataFrame), each with a codebook.
Columns are the stable question ids after the meta columns ``row, unit_code, unit_name,
service_point, service_field, channel, mode, submitted_date, weight``; responses are
anonymous (a row number, never the database id; the submission date without time).

=================  ===================  ====================  =========================
question type      CSV                  XLSX                  SPSS / Stata
=================  ===================  ====================  =========================
scale              1–5 or ``na``        1–5 or ``na``         1–5, 9 = Không có ý kiến
                   (``not_applicable``) (``not_applicable``)  8 = Không áp dụng
single             choice value         choice value          code with value labels
multiple           values, space-joined one 0/1 column each   one 0/1 column each
yesno              ``true``/``false``   TRUE/FALSE            1 = Có, 0 = Không
integer, text      as stored            as stored             as stored
=================  ===================  ====================  =========================

Free text is exported as the citizen wrote it, minus control characters.  A text cell
that a spreadsheet would run as a formula (starting with = + - @) is written as text in
XLSX and prefixed with an apostrophe in CSV (``read_responses_csv`` removes it).
"""

from .convert import export_frame
from .plan import ExportError, ExportPlan, Variable, clean_text, guard_formula, unguard_formula
from .reader import read_responses_csv
from .tables import table_headers, write_table_csv, write_table_xlsx
from .weights import attach_weights, cell_weights
from .writers import BOM, XLSX_MAX_ROWS, iter_csv, write_codebook_csv, write_csv, write_dta, write_sav, write_xlsx

__all__ = [
    "BOM",
    "ExportError",
    "ExportPlan",
    "Variable",
    "XLSX_MAX_ROWS",
    "attach_weights",
    "cell_weights",
    "clean_text",
    "export_frame",
    "guard_formula",
    "iter_csv",
    "read_responses_csv",
    "table_headers",
    "unguard_formula",
    "write_codebook_csv",
    "write_csv",
    "write_dta",
    "write_sav",
    "write_table_csv",
    "write_table_xlsx",
    "write_xlsx",
]
