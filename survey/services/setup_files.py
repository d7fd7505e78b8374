"""Reading and writing the set-up tables (units, fields, points, waves, populations).

A file is CSV (UTF-8, with or without a byte-order mark; comma or semicolon) or XLSX (its
first sheet, read with openpyxl in read-only mode).  Every file is hostile until checked:
size, unpacked size, number of rows, header, encoding and each cell (formulas, error
cells, control characters) are checked here, and every failure becomes a :class:`Problem`
(row, column, code, parameters) whose message is translated when it is shown.  Nothing
here raises on a bad file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, has_app_context

from ..security import is_clean_text
from .setup_messages import problem_message

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
# An XLSX file is a zip: a small file may unpack to gigabytes (a "zip bomb").
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_COLUMNS = 32
XLSX_MAGIC = b"PK\x03\x04"
# Codes end up in addresses (/s/<wave>/<point>): letters, digits and - _ . only.
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "@")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: ``row`` as a spreadsheet shows it (the header is row 1;
    None for the whole file), ``column`` (None for the whole row), a ``code`` and its
    ``params``."""

    row: int | None
    column: str | None
    code: str
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def message(self) -> str:
        """The problem in the current language."""
        return problem_message(self.code, self.params)

    def to_dict(self) -> dict:
        """Row, column, code, parameters and message, for JSON or templates."""
        return {"row": self.row, "column": self.column, "code": self.code,
                "params": self.params, "message": self.message}


@dataclass
class Sheet:
    """The rows of a file as ``(row number, {column: text})`` plus the problems found."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def limits() -> tuple[int, int]:
    """Return (largest file in bytes, most data rows), from the app's configuration."""
    config = current_app.config if has_app_context() else {}
    return (int(config.get("SETUP_MAX_BYTES", DEFAULT_MAX_BYTES)),
            int(config.get("SETUP_MAX_ROWS", DEFAULT_MAX_ROWS)))


def file_format(filename: str, data: bytes) -> str | None:
    """Return ``"xlsx"``, ``"csv"`` or None (neither) from the name and the first bytes."""
    suffix = Path(filename or "").suffix.lower()
    if data.startswith(XLSX_MAGIC) or suffix == ".xlsx":
        return "xlsx"
    if suffix in (".csv", ".txt", ""):
        return "csv"
    return None


def read_table(data: bytes, filename: str, columns: tuple[str, ...],
               optional: tuple[str, ...] = ()) -> Sheet:
    """Read ``data`` (the bytes of ``filename``) into a :class:`Sheet` with ``columns``, of
    which those in ``optional`` may be left out of the file."""
    max_bytes, max_rows = limits()
    sheet = Sheet()
    if len(data) > max_bytes:
        sheet.problems.append(Problem(None, None, "too_large", {"limit": _size(max_bytes)}))
        return sheet
    fmt = file_format(filename, data)
    if fmt is None:
        sheet.problems.append(Problem(None, None, "unsupported_type",
                                      {"name": Path(filename).suffix or filename}))
        return sheet
    raw = _xlsx_rows(data, sheet) if fmt == "xlsx" else _csv_rows(data, sheet)
    if raw is None:
        return sheet
    header = None
    for number, cells in raw:
        if header is None:
            if all(c == "" for c in cells):
                continue
            header = _header(number, cells, columns, optional, sheet)
            if header is None:
                return sheet
            continue
        if all(c == "" for c in cells):
            continue
        if len(sheet.rows) >= max_rows:
            sheet.problems.append(Problem(None, None, "too_many_rows", {"limit": max_rows}))
            sheet.rows.clear()
            return sheet
        if any(c != "" for c in cells[len(header):]):
            sheet.problems.append(Problem(number, None, "extra_cells", {"columns": len(header)}))
        values = {}
        for name, cell in zip(header, cells, strict=False):
            values[name] = _checked_cell(number, name, cell, sheet)
        for name in header[len(cells):]:
            values[name] = ""
        sheet.rows.append((number, values))
    if header is None:
        sheet.problems.append(Problem(None, None, "empty_file"))
    elif not sheet.rows and not sheet.problems:
        sheet.problems.append(Problem(None, None, "no_rows"))
    return sheet


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


def _header(number, cells, columns, optional, sheet: Sheet) -> list[str] | None:
    names = [c.strip().lstrip("\ufeff").lower() if isinstance(c, str) else "?" for c in cells]
    while names and names[-1] == "":
        names.pop()
    known = set(columns)
    expected = ", ".join(columns)
    seen = set()
    for name in names:
        if name in seen:
            sheet.problems.append(Problem(number, name, "duplicate_column"))
        elif name not in known:
            sheet.problems.append(Problem(number, name or "?", "unknown_column", {"expected": expected}))
        seen.add(name)
    for name in columns:
        if name not in seen and name not in optional:
            sheet.problems.append(Problem(number, name, "missing_column", {"expected": expected}))
    return None if sheet.problems else names


def _checked_cell(number: int, column: str, cell, sheet: Sheet) -> str:
    if isinstance(cell, _BadCell):
        sheet.problems.append(Problem(number, column, cell.code))
        return ""
    text = cell.strip()
    if not is_clean_text(text) or "\n" in text or "\r" in text or "\t" in text:
        sheet.problems.append(Problem(number, column, "bad_characters"))
        return ""
    if text.startswith(FORMULA_START) or (text.startswith("-") and not _is_number(text)):
        sheet.problems.append(Problem(number, column, "formula"))
        return ""
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _BadCell:
    """A cell that is not plain data (a formula or an error value in a spreadsheet)."""

    def __init__(self, code: str):
        self.code = code


def _csv_rows(data: bytes, sheet: Sheet):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        sheet.problems.append(Problem(line, None, "not_utf8"))
        return None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, cells[:MAX_COLUMNS + 1]))
            if number > limits()[1] + 2:
                break
    except csv.Error as error:
        sheet.problems.append(Problem(len(rows) + 1, None, "unreadable_csv", {"detail": str(error)}))
        return None
    return rows


def _xlsx_rows(data: bytes, sheet: Sheet):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        sheet.problems.append(Problem(None, None, "unreadable_xlsx"))
        return None
    if unpacked > MAX_UNPACKED_BYTES:
        sheet.problems.append(Problem(None, None, "too_large", {"limit": _size(MAX_UNPACKED_BYTES)}))
        return None
    rows = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            ws = book.worksheets[0]
            for number, cells in enumerate(ws.iter_rows(max_col=MAX_COLUMNS + 1), start=1):
                rows.append((number, [_xlsx_cell(c) for c in cells]))
                if number > limits()[1] + 2:
                    break
        finally:
            book.close()
    except Exception:  # noqa: BLE001  (any failure of a hostile file is "unreadable")
        current_app.logger.info("setup import: unreadable XLSX", exc_info=True)
        sheet.problems.append(Problem(None, None, "unreadable_xlsx"))
        return None
    return rows


def _xlsx_cell(cell):
    value = getattr(cell, "value", None)
    kind = getattr(cell, "data_type", None)
    if kind == "f":
        return _BadCell("formula")
    if kind == "e":
        return _BadCell("error_cell")
    if value is None:
        return ""
    if isinstance(value, bool):
        return _BadCell("strange_cell")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    return _BadCell("strange_cell")


def write_table(path: str | Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Write ``rows`` to ``path`` as CSV (UTF-8 with BOM, for spreadsheets) or XLSX, by suffix."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        ws = book.create_sheet()
        ws.append(list(columns))
        for row in rows:
            cells = []
            for column in columns:
                cell = WriteOnlyCell(ws, value=row.get(column) or None)
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even when it starts with "="
                cells.append(cell)
            ws.append(cells)
        book.save(path)
        return
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])


# ---- cell rules shared by the importers ------------------------------------------------

def check_code(number: int, column: str, value: str, problems: list[Problem], *, required=True) -> bool:
    """Append a problem unless ``value`` is a valid code (empty allowed when not required)."""
    if not value:
        if required:
            problems.append(Problem(number, column, "required"))
        return not required
    if len(value) > 64:
        problems.append(Problem(number, column, "too_long", {"max": 64}))
        return False
    if not CODE_RE.match(value):
        problems.append(Problem(number, column, "bad_code", {"value": value}))
        return False
    return True


def check_text(number: int, column: str, value: str, problems: list[Problem], *,
               max_length: int = 255, required: bool = True) -> bool:
    """Append a problem when ``value`` is missing (if required) or too long."""
    if not value and required:
        problems.append(Problem(number, column, "required"))
        return False
    if len(value) > max_length:
        problems.append(Problem(number, column, "too_long", {"max": max_length}))
        return False
    return True


def parse_date(number: int, column: str, value: str, problems: list[Problem]) -> dt.date | None:
    """Return the date in ``value`` (YYYY-MM-DD or DD/MM/YYYY; empty is None)."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    problems.append(Problem(number, column, "bad_date", {"value": value}))
    return None
