"""One shared password for the officials' pages, until accounts exist.

The password comes from the configuration key ``OFFICIALS_PASSWORD`` (whose default is
the environment variable of the same name, see ``survey.config``).  Without one every page answers 503:
the pages hold survey results and are never open by default.  Signing in stores in the
signed session cookie an HMAC of the password under the app's secret key, so changing the
password signs everybody out and the cookie does not reveal the password's hash.
"""

import hashlib
import hmac
import time
from functools import wraps

from flask import (abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField
from wtforms.validators import InputRequired

from ..redirects import safe_next
from . import bp

SESSION_KEY = "officials_auth"
SESSION_TIME_KEY = "officials_since"
# An office computer left signed in should not stay open forever.
SESSION_HOURS = 12


class SignInForm(FlaskForm):
    """The sign-in form (Flask-WTF adds the CSRF token)."""

    password = PasswordField(_l("Password"), validators=[InputRequired()])
    next = HiddenField()


def configured_password() -> str | None:
    """Return the officials' password, or None when none is configured."""
    return current_app.config.get("OFFICIALS_PASSWORD") or None


def _token(password: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"officials:" + password.encode(), hashlib.sha256).hexdigest()


def _require_password() -> str:
    password = configured_password()
    if password is None:
        abort(503, _("The officials' pages are closed because no password is configured. "
                     "The administrator must set OFFICIALS_PASSWORD (in the instance "
                     "config.py or the environment) and restart the server."))
    return password


def is_signed_in() -> bool:
    """Return whether the session carries a valid, unexpired sign-in."""
    password = configured_password()
    token = session.get(SESSION_KEY)
    if password is None or not isinstance(token, str):
        return False
    since = session.get(SESSION_TIME_KEY)
    if not isinstance(since, (int, float)) or time.time() - since > SESSION_HOURS * 3600:
        return False
    return hmac.compare_digest(token, _token(password))


def _next_page(target: str | None) -> str:
    # Only pages of this blueprint: an official signing in goes back to the dashboards.
    default = url_for("officials.index")
    target = safe_next(target, default)
    return target if target.startswith(bp.url_prefix + "/") else default


def login_required(view):
    """Send visitors who are not signed in to the sign-in page (503 without a password)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        _require_password()
        if not is_signed_in():
            return redirect(url_for("officials.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


@bp.route("/dang-nhap", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form; on the right password, sign in and go where the official wanted."""
    password = _require_password()
    form = SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    wrong = False
    if form.validate_on_submit():
        if hmac.compare_digest(form.password.data.encode(), password.encode()):
            session.clear()
            session[SESSION_KEY] = _token(password)
            session[SESSION_TIME_KEY] = int(time.time())
            return redirect(_next_page(form.next.data))
        current_app.logger.warning("officials: wrong password from a sign-in form")
        wrong = True
    status = 401 if wrong else 200
    return render_template("officials/sign_in.html", form=form, wrong=wrong), status


@bp.post("/dang-xuat")
def sign_out():
    """Forget the sign-in and return to the sign-in page."""
    session.pop(SESSION_KEY, None)
    session.pop(SESSION_TIME_KEY, None)
    flash(_("You have signed out."))
    return redirect(url_for("officials.sign_in"))


@bp.context_processor
def _auth_context():
    return {"signed_in": is_signed_in()}
