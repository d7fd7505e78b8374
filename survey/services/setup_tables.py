"""The set-up tables in one place: how each is imported and exported, and how a plan is
told (the CLI prints it, the administrators' pages show it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask_babel import gettext as _

from . import setup_tree, setup_waves
from .setup_files import write_table
from .setup_messages import change_label
from .setup_plan import Plan


@dataclass(frozen=True)
class Table:
    """One importable table: its columns, its importer and its rows for export."""

    name: str
    columns: tuple[str, ...]
    importer: Callable[..., Plan]
    rows: Callable[..., list[dict]]


TABLES = {
    "units": Table("units", setup_tree.UNIT_COLUMNS, setup_tree.import_units, setup_tree.unit_rows),
    "fields": Table("fields", setup_tree.FIELD_COLUMNS, setup_tree.import_fields, setup_tree.field_rows),
    "points": Table("points", setup_tree.POINT_COLUMNS, setup_tree.import_points, setup_tree.point_rows),
    "waves": Table("waves", setup_waves.WAVE_COLUMNS, setup_waves.import_waves, setup_waves.wave_rows),
    "populations": Table("populations", setup_waves.POPULATION_COLUMNS,
                         setup_waves.import_populations, setup_waves.population_rows),
}


def export_table(table: str, path: str | Path, *args) -> int:
    """Write ``table`` (with its arguments: a root code, a wave code) to ``path``; return rows."""
    spec = TABLES[table]
    rows = spec.rows(*args)
    write_table(path, spec.columns, rows)
    return len(rows)


def format_value(value) -> str:
    """A value of a change as a person reads it."""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return "–" if value in (None, "") else str(value)


def describe(plan: Plan, *, unchanged: bool = False) -> list[str]:
    """The plan as lines of text: problems, or the changes (unchanged ones only counted)."""
    lines = []
    for p in plan.problems:
        where = [_("row %(row)s", row=p.row) if p.row is not None else _("whole file")]
        if p.column:
            where.append(_("column %(column)s", column=p.column))
        lines.append(f"{', '.join(where)}: {p.message}")
    if plan.problems:
        return lines
    for change in plan.changes:
        if change.kind == "unchanged" and not unchanged:
            continue
        text = f"{change_label(change.kind)}: {change.key}"
        if change.diff:
            text += " (" + "; ".join(f"{column}: {format_value(old)} → {format_value(new)}"
                                     for column, (old, new) in change.diff.items()) + ")"
        lines.append(text)
    counts = ", ".join(f"{change_label(kind)} {n}" for kind, n in plan.counts.items() if n)
    lines.append(_("In all: %(counts)s.", counts=counts or "0"))
    return lines
