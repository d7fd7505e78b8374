"""Which units an official may see: today every unit; roles will narrow it later.

Every view that names a unit goes through ``unit_or_404``, so the roles issue only has to
change ``units_in_scope`` (for example to the subtree of the official's unit).
"""

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Unit


def units_in_scope() -> list[Unit]:
    """Return the units the signed-in official may see (today: every unit), by code."""
    return list(db.session.scalars(select(Unit).order_by(Unit.code)))


def unit_or_404(code: str) -> Unit:
    """Return the unit with ``code`` if it is in scope; 404 otherwise (never say which)."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    # 404 rather than 403 for a unit out of scope: its existence is not the official's business.
    if unit is None or unit.id not in {u.id for u in units_in_scope()}:
        abort(404, _("There is no unit with the code “%(code)s” among the units you can see.",
                     code=code))
    return unit


def unit_tree(units: list[Unit]) -> list[dict]:
    """Return ``units`` as nested ``{"unit", "children"}`` dicts, roots first, by name.

    A unit whose parent is out of scope becomes a root, so a scope that is a subtree shows
    as a tree of its own.
    """
    ids = {u.id for u in units}
    nodes = {u.id: {"unit": u, "children": []} for u in units}
    roots = []
    for unit in sorted(units, key=lambda u: (u.name, u.code)):
        node = nodes[unit.id]
        if unit.parent_id in ids:
            nodes[unit.parent_id]["children"].append(node)
        else:
            roots.append(node)
    return roots
