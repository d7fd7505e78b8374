"""Writing responses as CSV, XLSX, SPSS ``.sav`` and Stata ``.dta`` files.

CSV and XLSX take an iterable of frame chunks and write as they go, so a wave of any size
streams through with the memory of one chunk: :func:`iter_csv` is a generator of bytes
that can be the body of a streaming HTTP response.  SPSS and Stata files are written by
pyreadstat from one DataFrame, so the caller has to load the wave and should refuse
waves above a row limit (``survey.services.exports`` does).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator

import pandas as pd

from . import labels as L
from .convert import csv_text, export_frame
from .plan import FORMULA_START, ExportError, ExportPlan, Variable

__all__ = ["BOM", "XLSX_MAX_ROWS", "iter_csv", "write_csv", "write_codebook_csv", "write_xlsx",
           "write_sav", "write_dta"]

BOM = "\ufeff".encode()
# Excel's sheet has 1,048,576 rows; one is the header.
XLSX_MAX_ROWS = 1_048_575
# Limits of the file formats (readstat refuses or truncates beyond them).
SAV_LABEL_BYTES = 256
SAV_VALUE_LABEL_BYTES = 120
DTA_LABEL_CHARS = 80
DTA_NAME_CHARS = 32


def _csv_bytes(df: pd.DataFrame, header: bool) -> bytes:
    buf = io.StringIO()
    # QUOTE_MINIMAL and CRLF as RFC 4180 and Excel expect; dates print as YYYY-MM-DD.
    df.to_csv(buf, index=False, header=header, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8")


def iter_csv(frames: Iterable[pd.DataFrame], plan: ExportPlan) -> Iterator[bytes]:
    """Yield the CSV file (UTF-8 with BOM) piece by piece: the header, then one piece per chunk.

    A chunk is pulled from ``frames`` only when the previous piece has been consumed.
    Text cells a spreadsheet would run as formulas start with an apostrophe (see
    :func:`~analysis.exports.plan.guard_formula`).
    """
    header = pd.DataFrame(columns=[v.name for v in plan.csv_variables])
    yield BOM + _csv_bytes(header, header=True)
    row = 1
    for frame in frames:
        if len(frame) == 0:
            continue
        yield csv_text(frame, plan, first_row=row).encode("utf-8")
        row += len(frame)


def write_csv(frames: Iterable[pd.DataFrame], plan: ExportPlan, out) -> int:
    """Write the CSV file to ``out`` (a path or a binary file); return the bytes written."""
    return _write_pieces(iter_csv(frames, plan), out)


def write_codebook_csv(plan: ExportPlan, out) -> int:
    """Write the codebook (localised headers) as CSV with BOM; return the bytes written."""
    book = plan.codebook()
    book.columns = plan.codebook_headers()
    return _write_pieces([BOM + _csv_bytes(book, header=True)], out)


def _write_pieces(pieces: Iterable[bytes], out) -> int:
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as fh:
            return _write_pieces(pieces, fh)
    total = 0
    for piece in pieces:
        out.write(piece)
        total += len(piece)
    return total


# -- XLSX ----------------------------------------------------------------------------------
def _sheet_cell(ws, value):
    """A write-only cell: text is always stored as text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=None)
        # openpyxl would store "=..." as a formula; text is text, whatever it starts with.
        cell._value, cell.data_type = value, "s"
        if value.startswith(FORMULA_START):
            # Excel keeps it as text even after the cell is edited.
            cell.quotePrefix = True
        return cell
    return value


def _sheet_rows(df: pd.DataFrame, ws) -> Iterator[list]:
    columns = [df[c].astype(object).where(df[c].notna(), None).tolist() for c in df.columns]
    for values in zip(*columns):
        yield [_sheet_cell(ws, v) for v in values]


def write_xlsx(frames: Iterable[pd.DataFrame], plan: ExportPlan, out, *,
               max_rows: int = XLSX_MAX_ROWS) -> int:
    """Write a workbook: a data sheet (one 0/1 column per choice) and the codebook sheet.

    Uses openpyxl's write-only mode, so rows go to disk as chunks arrive.  Returns the
    number of responses; raises :class:`ExportError` above ``max_rows``.
    """
    from openpyxl import Workbook

    sheets = L.SHEETS[plan.lang]
    wb = Workbook(write_only=True)
    data = wb.create_sheet(sheets["data"])
    data.append([v.name for v in plan.wide_variables])
    data.freeze_panes = "A2"
    rows = 0
    try:
        for frame in frames:
            if rows + len(frame) > max_rows:
                raise ExportError(f"XLSX holds at most {max_rows:,} responses per sheet; "
                                  "export this wave as CSV")
            for row in _sheet_rows(export_frame(frame, plan, "sheet", first_row=rows + 1), data):
                data.append(row)
            rows += len(frame)
    except BaseException:
        # Close the sheet's temporary file now rather than when the collector finds it.
        data.close()
        raise
    book = wb.create_sheet(sheets["codebook"])
    _append_table(book, plan.codebook(), plan.codebook_headers())
    wb.save(out)
    return rows


def _append_table(ws, df: pd.DataFrame, headers: list[str]) -> None:
    ws.append([_sheet_cell(ws, h) for h in headers])
    for row in _sheet_rows(df, ws):
        ws.append(row)


# -- SPSS and Stata ------------------------------------------------------------------------
def _fit(text: str, *, max_bytes: int | None = None, max_chars: int | None = None) -> str:
    """Shorten ``text`` to a format's limit at a character boundary, marking the cut with …"""
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    if max_bytes is not None and len(text.encode("utf-8")) > max_bytes:
        cut = text.encode("utf-8")[: max_bytes - 3].decode("utf-8", errors="ignore")
        text = cut.rstrip() + "…"
    return text


def _stata_names(variables: list[Variable]) -> dict[str, str]:
    """Stata names are at most 32 characters: shorten longer ones, keeping them unique.

    pyreadstat names a variable's value-label set after the variable plus a counter, and
    that name has the same limit, so labelled variables leave room for the counter.
    """
    labelled = sum(1 for v in variables if v.values and v.storage == "number")
    limit = {True: DTA_NAME_CHARS - len(str(labelled)), False: DTA_NAME_CHARS}
    fits = lambda v: len(v.name) <= limit[bool(v.values and v.storage == "number")]  # noqa: E731
    taken = {v.name for v in variables if fits(v)}
    names = {}
    for var in variables:
        name = var.name
        if not fits(var):
            room = limit[bool(var.values and var.storage == "number")]
            k = 1
            while True:
                suffix = f"_{k}"
                name = var.name[: room - len(suffix)] + suffix
                if name not in taken:
                    break
                k += 1
            taken.add(name)
        names[var.name] = name
    return names


def _coded(frame: pd.DataFrame, plan: ExportPlan) -> pd.DataFrame:
    out = export_frame(frame, plan, "coded")
    for var in plan.wide_variables:
        if var.storage == "string":
            # pyreadstat needs text columns of text: a column of only blanks stays text.
            out[var.name] = out[var.name].astype(object)
    return out


def write_sav(frame: pd.DataFrame, plan: ExportPlan, out) -> int:
    """Write an SPSS file with variable and value labels; "na" (9) is declared user-missing."""
    import pyreadstat

    variables = plan.wide_variables
    df = _coded(frame, plan)
    labels = {v.name: _fit(v.label, max_bytes=SAV_LABEL_BYTES) for v in variables}
    value_labels = {v.name: {float(c): _fit(lab, max_bytes=SAV_VALUE_LABEL_BYTES)
                             for c, lab in v.value_labels.items()}
                    for v in variables if v.values and v.storage == "number"}
    missing = {v.name: [float(c) for c in v.missing] for v in variables if v.missing}
    pyreadstat.write_sav(df, os.fspath(out), column_labels=labels,
                         variable_value_labels=value_labels, missing_ranges=missing or None)
    return len(df)


def write_dta(frame: pd.DataFrame, plan: ExportPlan, out) -> int:
    """Write a Stata file with variable and value labels (names over 32 characters shortened)."""
    import pyreadstat

    variables = plan.wide_variables
    names = _stata_names(variables)
    df = _coded(frame, plan)
    for var in variables:
        if var.storage == "string":
            # Stata's missing text is "" anyway, and pyreadstat fails on a long text (strL)
            # column holding None.
            df[var.name] = df[var.name].where(df[var.name].notna(), "")
    df = df.rename(columns=names)
    labels = {names[v.name]: _fit(v.label, max_chars=DTA_LABEL_CHARS) for v in variables}
    value_labels = {names[v.name]: {int(c): lab for c, lab in v.value_labels.items()}
                    for v in variables if v.values and v.storage == "number"}
    pyreadstat.write_dta(df, os.fspath(out), column_labels=labels, variable_value_labels=value_labels)
    return len(df)
