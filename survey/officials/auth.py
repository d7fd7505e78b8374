"""Signing in and out of the management pages, and setting a password from a reset link.

Flask-Login keeps the user id in the signed session cookie; beside it the cookie holds a
random session id whose digest is a row of ``user_sessions`` (see
``survey.services.signin``).  The user loader accepts the cookie only while that row is
live, so signing out, a password change, disabling or a change of role or scope ends the
session on the server, copied cookies included.
"""

import datetime as dt
import math

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from ..extensions import db, login_manager
from ..redirects import safe_next
from ..services import accounts, audit, signin
from . import bp

SESSION_ID_KEY = "sid"


class SignInForm(FlaskForm):
    """The sign-in form (Flask-WTF adds the CSRF token)."""

    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])
    next = HiddenField()


class NewPasswordForm(FlaskForm):
    """Choose a new password (twice)."""

    password = PasswordField(_l("New password"), validators=[
        InputRequired(), Length(min=accounts.MIN_PASSWORD_LENGTH, max=accounts.MAX_PASSWORD_LENGTH)])
    confirm = PasswordField(_l("The same password again"), validators=[
        InputRequired(), EqualTo("password", message=_l("The two passwords are not the same."))])


@login_manager.user_loader
def _load_user(user_id: str):
    user = signin.session_user(session.get(SESSION_ID_KEY))
    return user if user is not None and str(user.id) == user_id else None


def _next_page(target: str | None) -> str:
    # Only pages of this blueprint: a user signing in goes back to the management pages.
    default = url_for("officials.index")
    target = safe_next(target, default)
    return target if target.startswith(bp.url_prefix + "/") else default


def client_address() -> str:
    """Return the client's address (the proxy's unless PROXY_FIX_X_FOR is set)."""
    return request.remote_addr or "unknown"


def wait_text(seconds: int) -> str:
    """Return a wait such as "2 minutes" in the current language, rounded up."""
    # Rounded up to a whole unit: a user told "1 minute" who waits 1 minute must get in.
    if seconds >= 3600:
        seconds = math.ceil(seconds / 3600) * 3600
    elif seconds >= 60:
        seconds = math.ceil(seconds / 60) * 60
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1, add_direction=False)


@bp.route("/dang-nhap", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form; on success, start a session and go where the user wanted."""
    form = SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    message, status, headers = None, 200, {}
    if form.validate_on_submit():
        outcome = signin.authenticate(form.email.data, form.password.data, client_address())
        if outcome.status == "ok":
            session.clear()
            session[SESSION_ID_KEY] = outcome.token
            login_user(outcome.user)
            return redirect(_next_page(form.next.data))
        if outcome.status == "wrong":
            message, status = _("The email or the password is not correct. Please try again."), 401
        elif outcome.status == "locked":
            message, status = _("Too many wrong passwords for this account: it is locked for "
                                "%(wait)s. Try again after that, or ask the administrator for "
                                "a password-reset link.", wait=wait_text(outcome.wait)), 429
        else:
            message, status = _("Too many failed sign-ins from your network. Please wait "
                                "%(wait)s before trying again.", wait=wait_text(outcome.wait)), 429
        if outcome.wait:
            headers["Retry-After"] = str(outcome.wait)
    return render_template("officials/sign_in.html", form=form, message=message), status, headers


@bp.post("/dang-xuat")
def sign_out():
    """End the session on the server, forget the cookie and return to the sign-in page."""
    if current_user.is_authenticated:
        audit.record(audit.SIGN_OUT, address=client_address())
        db.session.commit()
    signin.end_session(session.get(SESSION_ID_KEY))
    logout_user()
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("officials.sign_in"))


@bp.route("/dat-lai-mat-khau/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password from a one-time link (made by ``flask users reset-password``)."""
    if accounts.valid_reset_token(token) is None:
        return render_template("officials/reset_password.html", form=None), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        user = accounts.redeem_reset_token(token, form.password.data)
        if user is None:
            return render_template("officials/reset_password.html", form=None), 404
        current_app.logger.info("password of user %s set from a reset link", user.id)
        session.clear()
        flash(_("Your new password is saved. Please sign in with it."))
        return redirect(url_for("officials.sign_in"))
    status = 422 if request.method == "POST" else 200
    return render_template("officials/reset_password.html", form=form), status


@bp.context_processor
def auth_context():
    """What the management layout needs: who is signed in, with which role."""
    from .access import has_role

    return {"signed_in": current_user.is_authenticated, "has_role": has_role,
            "role_labels": accounts.ROLE_LABELS, "min_length": accounts.MIN_PASSWORD_LENGTH}
