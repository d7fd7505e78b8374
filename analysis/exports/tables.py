"""Result tables (e.g. ``SipasResult.indices``) as CSV and XLSX, with localised headers."""

from __future__ import annotations

import pandas as pd

from . import labels as L
from .writers import BOM, _append_table, _csv_bytes, _write_pieces

__all__ = ["table_headers", "write_table_csv", "write_table_xlsx"]


def table_headers(df: pd.DataFrame, lang: str = "vi", headers: dict | None = None) -> list[str]:
    """Headers of ``df``'s columns in ``lang``; columns without a known header keep their name."""
    known = {**L.TABLE_HEADERS[L.check_lang(lang)], **(headers or {})}
    return [known.get(str(c), str(c)) for c in df.columns]


def write_table_csv(df: pd.DataFrame, out, *, lang: str = "vi", headers: dict | None = None) -> int:
    """Write a result table as CSV (UTF-8 with BOM); return the bytes written."""
    table = df.copy(deep=False)
    table.columns = table_headers(df, lang, headers)
    return _write_pieces([BOM + _csv_bytes(table, header=True)], out)


def write_table_xlsx(tables: pd.DataFrame | dict[str, pd.DataFrame], out, *, lang: str = "vi",
                     headers: dict | None = None) -> None:
    """Write one table, or a ``{sheet name: table}`` dict, as an XLSX workbook."""
    from openpyxl import Workbook

    if isinstance(tables, pd.DataFrame):
        tables = {L.SHEETS[L.check_lang(lang)]["table"]: tables}
    wb = Workbook(write_only=True)
    for name, df in tables.items():
        # Excel refuses sheet names over 31 characters or with []:*?/\ in them.
        clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(name))[:31]
        ws = wb.create_sheet(clean)
        _append_table(ws, df, table_headers(df, lang, headers))
    wb.save(out)
