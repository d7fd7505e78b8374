"""Which units a user may see: every unit for administrators and methodologists, the
subtrees of their scope for officials and desk operators.

Every view that names a unit goes through ``unit_or_404``: a unit outside the scope is a
404, exactly like a code that does not exist, so its existence is never revealed.
"""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Unit, User, user_units


def _user(user: User | None) -> User | None:
    if user is not None:
        return user
    return current_user if getattr(current_user, "is_authenticated", False) else None


def scope_ids(user: User | None = None) -> set[int] | None:
    """Return the ids of the units ``user`` may see; None when the role sees every unit.

    ``user`` defaults to the signed-in user; nobody signed in sees nothing.
    """
    user = _user(user)
    if user is None:
        return set()
    if user.sees_all_units:
        return None
    roots = select(user_units.c.unit_id).where(user_units.c.user_id == user.id)
    tree = select(Unit.id).where(Unit.id.in_(roots)).cte("user_scope", recursive=True)
    child = aliased(Unit)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return set(db.session.scalars(select(tree.c.id)))


def units_in_scope(user: User | None = None) -> list[Unit]:
    """Return the units ``user`` (default: the signed-in user) may see, by code."""
    ids = scope_ids(user)
    query = select(Unit).order_by(Unit.code)
    if ids is not None:
        query = query.where(Unit.id.in_(ids))
    return list(db.session.scalars(query))


def in_scope(unit: Unit, user: User | None = None) -> bool:
    """Return whether ``user`` (default: the signed-in user) may see ``unit``."""
    ids = scope_ids(user)
    return ids is None or unit.id in ids


def unit_or_404(code: str, user: User | None = None) -> Unit:
    """Return the unit with ``code`` if it is in scope; 404 otherwise (never say which)."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    # 404 rather than 403 for a unit out of scope: its existence is not the user's business.
    if unit is None or not in_scope(unit, user):
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
