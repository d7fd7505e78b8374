"""Administrators' pages of users: list, create (the password is shown once), change role
and scope, disable, and make a password-reset link.

Thin views: every change goes through ``survey.services.accounts``, which audits it.
"""

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..extensions import db
from ..models import User
from ..models_accounts import ROLES
from ..services import accounts
from . import bp
from .access import roles_required

ADMIN = "administrator"


def _role_choices():
    return [(role, accounts.ROLE_LABELS[role]) for role in ROLES]


class UserForm(FlaskForm):
    """Create a user or change one (the email is fixed once made)."""

    email = StringField(_l("Email"), validators=[Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=255)])
    role = SelectField(_l("Role"), choices=_role_choices, validators=[InputRequired()])
    units = TextAreaField(_l("Units (codes, separated by spaces, commas or lines)"),
                          validators=[Length(max=10_000)])


def unit_codes(text: str | None) -> list[str]:
    """Split the codes typed in the units box."""
    return [c for c in re.split(r"[\s,;]+", text or "") if c]


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, _("There is no such user."))
    return user


def _refuse_self(user: User, what: str) -> None:
    # An administrator who disables or demotes themselves may leave nobody to undo it.
    if user.id == current_user.id:
        abort(403, what)


@bp.route("/quan-tri/nguoi-dung", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_users():
    """The users, and the form to create one."""
    form = UserForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            user, password = accounts.create_user(form.email.data or "", form.role.data,
                                                  unit_codes(form.units.data), name=form.name.data or "")
        except accounts.AccountError as refused:
            db.session.rollback()
            error, status = str(refused), 422
        else:
            return render_template("officials/admin/secret.html", user=user, password=password,
                                   link=None), 201
    elif request.method == "POST":
        status = 422
    users = list(db.session.scalars(select(User).order_by(User.email)))
    return render_template("officials/admin/users.html", users=users, form=form,
                           error=error), status


@bp.route("/quan-tri/nguoi-dung/<int:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_user(user_id: int):
    """One user: change name, role and scope."""
    user = _user_or_404(user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.units.data = " ".join(u.code for u in user.units)
    error, status = None, 200
    if form.validate_on_submit():
        if form.role.data != user.role:
            _refuse_self(user, _("You cannot change your own role."))
        try:
            changes = accounts.update_user(user, role=form.role.data, name=form.name.data or "",
                                           unit_codes=unit_codes(form.units.data))
        except accounts.AccountError as refused:
            db.session.rollback()
            error, status = str(refused), 422
        else:
            flash(_("The changes are saved.") if changes else _("Nothing was changed."))
            return redirect(url_for("officials.admin_user", user_id=user.id))
    elif request.method == "POST":
        status = 422
    return render_template("officials/admin/user.html", user=user, form=form, error=error), status


@bp.post("/quan-tri/nguoi-dung/<int:user_id>/vo-hieu-hoa")
@roles_required(ADMIN)
def admin_disable_user(user_id: int):
    """Disable a user (signed out everywhere at once)."""
    user = _user_or_404(user_id)
    _refuse_self(user, _("You cannot disable your own account."))
    accounts.disable_user(user)
    flash(_("The account %(email)s is disabled.", email=user.email))
    return redirect(url_for("officials.admin_users"))


@bp.post("/quan-tri/nguoi-dung/<int:user_id>/dat-lai-mat-khau")
@roles_required(ADMIN)
def admin_reset_link(user_id: int):
    """Make a one-time password-reset link for a user and show it once."""
    user = _user_or_404(user_id)
    if not user.active:
        abort(403, _("The account is disabled: a reset link would not work."))
    token = accounts.issue_reset_token(user)
    link = url_for("officials.reset_password", token=token, _external=True)
    return render_template("officials/admin/secret.html", user=user, password=None, link=link)
