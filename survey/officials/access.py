"""Who may open a management page: ``login_required`` and ``roles_required(*roles)``.

Use them on every view of the management pages (the authorisation matrix in
``tests/survey/officials/test_authorisation.py`` fails for a route without a rule)::

    @bp.get("/quan-tri/...")
    @roles_required("administrator")
    def view(): ...

Visitors who are not signed in are sent to the sign-in page (and back afterwards); a
signed-in user whose role is not listed gets 403.  Units are checked separately, with
``scope.unit_or_404``.
"""

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..models_accounts import ROLES


def _to_sign_in():
    return redirect(url_for("officials.sign_in", next=request.full_path.rstrip("?")))


def login_required(view):
    """Send visitors who are not signed in to the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _to_sign_in()
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: str):
    """Allow signed-in users of ``roles`` only (403 for the others)."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"roles_required needs roles among {ROLES}, not {sorted(unknown)}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _to_sign_in()
            if current_user.role not in roles:
                abort(403, _("Your role does not give access to this page."))
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def has_role(*roles: str) -> bool:
    """Return whether the signed-in user has one of ``roles`` (for templates)."""
    return current_user.is_authenticated and current_user.role in roles
