"""Small builders of set-up files for the tests."""

import io

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Population, ServiceField, ServicePoint, Unit, Wave

UNITS = [
    ("VD", "Tỉnh Ví Dụ", "Example Province", "province", ""),
    ("VD-STP", "Sở Tư pháp", "Department of Justice", "department", "VD"),
    ("VD-X01", "Xã Một", "", "commune", "VD"),
    ("VD-X02", "Xã Hai", "", "commune", "VD"),
]


def csv_bytes(header: str, *rows: str, bom: bool = False) -> bytes:
    """A CSV file from its header and rows (UTF-8, optionally with a BOM)."""
    text = "\n".join([header, *rows]) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def units_csv(units=UNITS, **kwargs) -> bytes:
    """The units file of ``units`` (code, name, name_en, kind, parent_code tuples)."""
    return csv_bytes("code,name,name_en,kind,parent_code", *(",".join(u) for u in units), **kwargs)


def xlsx_bytes(rows: list[list]) -> bytes:
    """An XLSX workbook whose first sheet holds ``rows`` (strings starting with = are formulas)."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts() -> dict[str, int]:
    """Rows in each set-up table (to prove that nothing was written)."""
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Unit, ServiceField, ServicePoint, Wave, Population)}


def problems(plan) -> list[tuple]:
    """A plan's problems as (row, column, code) tuples."""
    return [(p.row, p.column, p.code) for p in plan.problems]
