"""Importing and exporting the unit tree, the service fields and the service points.

Each ``import_*`` takes the bytes of a CSV/XLSX file (``*_rows`` variants take rows already
read, as the demo does), returns a :class:`~survey.services.setup_plan.Plan` and writes
only with ``apply=True`` and no problem.  Nothing is ever deleted: a unit or a point the
file no longer lists (within the trees the file touches) is retired, keeping its history.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import ServiceField, ServicePoint, Unit, utcnow
from .setup_files import Problem, check_code, check_text, read_table, write_table
from .results_cache import bump_version
from .setup_plan import Change, Plan, finish, start

UNIT_COLUMNS = ("code", "name", "name_en", "kind", "parent_code")
FIELD_COLUMNS = ("code", "name", "name_en")
POINT_COLUMNS = ("code", "name", "unit_code")

Rows = list[tuple[int, dict[str, str]]]


def _diff(old: dict, new: dict) -> dict:
    return {k: (old[k], new[k]) for k in new if (old.get(k) or "") != (new[k] or "")}


def _first_rows(rows: Rows, key: str, problems: list[Problem]) -> dict[str, int]:
    """Map each code to its first row; a repeated code is a problem at the later row."""
    first: dict[str, int] = {}
    for number, values in rows:
        code = values.get(key, "")
        if not code:
            continue
        if code in first:
            problems.append(Problem(number, key, "duplicate_code", {"code": code, "first": first[code]}))
        else:
            first[code] = number
    return first


def _subtree(root_ids: set[int], parent_of: dict[int, int | None]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for uid, pid in parent_of.items():
        children.setdefault(pid, []).append(uid)
    out, stack = set(), list(root_ids)
    while stack:
        uid = stack.pop()
        if uid not in out:
            out.add(uid)
            stack.extend(children.get(uid, ()))
    return out


# ---- units ------------------------------------------------------------------------------

def import_units(data: bytes, filename: str, *, apply: bool = False) -> Plan:
    """Plan (and with ``apply`` write) the unit tree of a CSV/XLSX file."""
    sheet = read_table(data, filename, UNIT_COLUMNS, ("name_en",))
    return import_unit_rows(sheet.rows, apply=apply, problems=sheet.problems)


def import_unit_rows(rows: Rows, *, apply: bool = False, problems=None) -> Plan:
    """Plan (and with ``apply`` write) the unit tree given as ``(row, values)`` pairs."""
    plan = Plan("units", problems=list(problems or []))
    if plan.problems and not rows:
        return finish(plan, apply=False)
    start(apply)
    for number, v in rows:
        check_code(number, "code", v["code"], plan.problems)
        check_text(number, "name", v["name"], plan.problems)
        check_text(number, "name_en", v.get("name_en", ""), plan.problems, required=False)
        check_text(number, "kind", v["kind"], plan.problems, max_length=32)
        check_code(number, "parent_code", v["parent_code"], plan.problems, required=False)
    first = _first_rows(rows, "code", plan.problems)
    _check_tree(rows, first, plan.problems)
    if plan.problems:
        return finish(plan, apply=False)

    units = {u.code: u for u in db.session.scalars(select(Unit))}
    by_id = {u.id: u for u in units.values()}
    file_codes = {v["code"] for _, v in rows}
    for number, v in rows:
        new = {"name": v["name"], "name_en": v.get("name_en") or None, "kind": v["kind"],
               "parent_code": v["parent_code"] or None}
        unit = units.get(v["code"])
        if unit is None:
            plan.changes.append(Change("created", v["code"], number))
            continue
        parent = by_id.get(unit.parent_id)
        old = {"name": unit.name, "name_en": unit.name_en, "kind": unit.kind,
               "parent_code": parent.code if parent else None}
        diff = _diff(old, new)
        if unit.retired_at is not None:
            diff["retired"] = (True, False)
        plan.changes.append(Change("updated" if diff else "unchanged", v["code"], number, diff))
    # The trees this file touches: whatever lies below a unit it lists.
    touched = _subtree({units[c].id for c in file_codes if c in units},
                       {u.id: u.parent_id for u in units.values()})
    absent = sorted((by_id[i] for i in touched if by_id[i].code not in file_codes
                     and by_id[i].retired_at is None), key=lambda u: u.code)
    plan.changes.extend(Change("retired", u.code) for u in absent)

    def write():
        now = utcnow()
        for _, v in rows:
            if v["code"] not in units:
                units[v["code"]] = Unit(code=v["code"], name=v["name"], kind=v["kind"])
                db.session.add(units[v["code"]])
        db.session.flush()
        for _, v in rows:
            unit = units[v["code"]]
            unit.name, unit.name_en, unit.kind = v["name"], v.get("name_en") or None, v["kind"]
            unit.parent_id = units[v["parent_code"]].id if v["parent_code"] else None
            unit.retired_at = None
        for unit in absent:
            unit.retired_at = now
            for point in unit.service_points:
                point.active = False
        bump_version(0)     # names and the tree are in every wave's results

    plan.writer = write
    return finish(plan, apply=apply)


def _check_tree(rows: Rows, first: dict[str, int], problems: list[Problem]) -> None:
    """One root, every parent in the file, no cycle."""
    parent = {v["code"]: v["parent_code"] for _, v in rows if v["code"]}
    roots = [(n, v["code"]) for n, v in rows if v["code"] and not v["parent_code"]]
    if rows and not roots:
        problems.append(Problem(None, "parent_code", "no_root"))
    for number, _code in roots[1:]:
        problems.append(Problem(number, "parent_code", "second_root", {"first": roots[0][0]}))
    for number, v in rows:
        if v["parent_code"] and v["parent_code"] not in parent:
            problems.append(Problem(number, "parent_code", "unknown_parent", {"code": v["parent_code"]}))
    reported: set[str] = set()
    for code in parent:
        path, seen = [], set()
        while code and code in parent and code not in seen:
            seen.add(code)
            path.append(code)
            code = parent[code]
        if code in seen and code not in reported:
            cycle = path[path.index(code):]
            reported.update(cycle)
            row = min(first[c] for c in cycle)
            problems.append(Problem(row, "parent_code", "cycle", {"path": " → ".join(cycle + [code])}))


def unit_rows(root_code: str | None = None) -> list[dict]:
    """The active units (of the tree of ``root_code``, or all), parents before children."""
    units = [u for u in db.session.scalars(select(Unit).order_by(Unit.code)) if u.retired_at is None]
    by_id = {u.id: u for u in units}
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in by_id else None, []).append(u)
    roots = children.get(None, [])
    if root_code is not None:
        roots = [u for u in roots if u.code == root_code]
    out, stack = [], list(reversed(roots))
    while stack:
        u = stack.pop()
        parent = by_id.get(u.parent_id)
        out.append({"code": u.code, "name": u.name, "name_en": u.name_en or "", "kind": u.kind,
                    "parent_code": parent.code if parent else ""})
        stack.extend(reversed(children.get(u.id, [])))
    return out


def active_roots() -> list[str]:
    """Codes of the roots of the active unit trees."""
    return [r["code"] for r in unit_rows() if not r["parent_code"]]


# ---- service fields ---------------------------------------------------------------------

def import_fields(data: bytes, filename: str, *, apply: bool = False) -> Plan:
    """Plan (and with ``apply`` write) the service fields of a CSV/XLSX file."""
    sheet = read_table(data, filename, FIELD_COLUMNS, ("name_en",))
    return import_field_rows(sheet.rows, apply=apply, problems=sheet.problems)


def import_field_rows(rows: Rows, *, apply: bool = False, problems=None) -> Plan:
    """Plan (and with ``apply`` write) service fields; fields the file omits are kept."""
    plan = Plan("fields", problems=list(problems or []))
    if plan.problems and not rows:
        return finish(plan, apply=False)
    start(apply)
    for number, v in rows:
        check_code(number, "code", v["code"], plan.problems)
        check_text(number, "name", v["name"], plan.problems)
        check_text(number, "name_en", v.get("name_en", ""), plan.problems, required=False)
    _first_rows(rows, "code", plan.problems)
    if plan.problems:
        return finish(plan, apply=False)
    fields = {f.code: f for f in db.session.scalars(select(ServiceField))}
    for number, v in rows:
        field = fields.get(v["code"])
        new = {"name": v["name"], "name_en": v.get("name_en") or None}
        if field is None:
            plan.changes.append(Change("created", v["code"], number))
        else:
            diff = _diff({"name": field.name, "name_en": field.name_en}, new)
            plan.changes.append(Change("updated" if diff else "unchanged", v["code"], number, diff))

    def write():
        for _, v in rows:
            field = fields.get(v["code"]) or ServiceField(code=v["code"])
            field.name, field.name_en = v["name"], v.get("name_en") or None
            db.session.add(field)

    plan.writer = write
    return finish(plan, apply=apply)


def field_rows() -> list[dict]:
    """Every service field, by code."""
    return [{"code": f.code, "name": f.name, "name_en": f.name_en or ""}
            for f in db.session.scalars(select(ServiceField).order_by(ServiceField.code))]


# ---- service points ---------------------------------------------------------------------

def import_points(data: bytes, filename: str, *, apply: bool = False) -> Plan:
    """Plan (and with ``apply`` write) the service points of a CSV/XLSX file."""
    sheet = read_table(data, filename, POINT_COLUMNS)
    return import_point_rows(sheet.rows, apply=apply, problems=sheet.problems)


def import_point_rows(rows: Rows, *, apply: bool = False, problems=None) -> Plan:
    """Plan (and with ``apply`` write) service points; active points of the same unit trees
    that the file omits are retired (closed), never deleted."""
    plan = Plan("points", problems=list(problems or []))
    if plan.problems and not rows:
        return finish(plan, apply=False)
    start(apply)
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    for number, v in rows:
        check_code(number, "code", v["code"], plan.problems)
        check_text(number, "name", v["name"], plan.problems)
        if check_code(number, "unit_code", v["unit_code"], plan.problems):
            unit = units.get(v["unit_code"])
            if unit is None:
                plan.problems.append(Problem(number, "unit_code", "unknown_unit", {"code": v["unit_code"]}))
            elif unit.retired_at is not None:
                plan.problems.append(Problem(number, "unit_code", "retired_unit", {"code": v["unit_code"]}))
    _first_rows(rows, "code", plan.problems)
    if plan.problems:
        return finish(plan, apply=False)

    points = {p.code: p for p in db.session.scalars(select(ServicePoint))}
    by_id = {u.id: u for u in units.values()}
    for number, v in rows:
        point = points.get(v["code"])
        if point is None:
            plan.changes.append(Change("created", v["code"], number))
            continue
        diff = _diff({"name": point.name, "unit_code": by_id[point.unit_id].code},
                     {"name": v["name"], "unit_code": v["unit_code"]})
        if not point.active:
            diff["retired"] = (True, False)
        plan.changes.append(Change("updated" if diff else "unchanged", v["code"], number, diff))
    parent_of = {u.id: u.parent_id for u in units.values()}
    roots = {_root(units[v["unit_code"]].id, parent_of) for _, v in rows}
    trees = _subtree(roots, parent_of)
    file_codes = {v["code"] for _, v in rows}
    absent = sorted((p for p in points.values() if p.active and p.unit_id in trees
                     and p.code not in file_codes), key=lambda p: p.code)
    plan.changes.extend(Change("retired", p.code) for p in absent)

    def write():
        for _, v in rows:
            point = points.get(v["code"]) or ServicePoint(code=v["code"])
            point.name, point.unit_id, point.active = v["name"], units[v["unit_code"]].id, True
            db.session.add(point)
        for point in absent:
            point.active = False

    plan.writer = write
    return finish(plan, apply=apply)


def _root(unit_id: int, parent_of: dict[int, int | None]) -> int:
    seen = set()
    while parent_of.get(unit_id) is not None and unit_id not in seen:
        seen.add(unit_id)
        unit_id = parent_of[unit_id]
    return unit_id


def point_rows() -> list[dict]:
    """Every active service point, by code."""
    query = (select(ServicePoint.code, ServicePoint.name, Unit.code)
             .join(Unit, ServicePoint.unit_id == Unit.id)
             .where(ServicePoint.active).order_by(ServicePoint.code))
    return [{"code": c, "name": n, "unit_code": u} for c, n, u in db.session.execute(query)]


def export_rows(path: str | Path, columns: tuple[str, ...], rows: list[dict]) -> int:
    """Write ``rows`` to ``path`` (CSV or XLSX by suffix) and return how many."""
    write_table(path, columns, rows)
    return len(rows)
