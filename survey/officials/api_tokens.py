"""The account page of personal API tokens (``/quan-ly/tai-khoan/api``): create, list, revoke."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..services import api_tokens
from . import bp
from .access import roles_required


@bp.route("/tai-khoan/api", methods=["GET", "POST"])
@roles_required(*api_tokens.RESULT_ROLES)
def api_tokens_page():
    """List the user's tokens; POST ``create`` (a name) or ``revoke`` (an id)."""
    new_token, error, status = None, None, 200
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            try:
                token_id = int(request.form.get("token", ""))
            except ValueError:
                token_id = -1
            if not api_tokens.revoke_token(current_user, token_id):
                error, status = _("This token does not exist or is already revoked."), 404
        else:
            try:
                _row, new_token = api_tokens.create_token(current_user, request.form.get("name", ""))
            except api_tokens.TokenError as exc:
                status = 422
                error = (_("Give the token a name of 1 to %(n)s characters.",
                           n=api_tokens.MAX_NAME_LENGTH) if exc.reason == "name"
                         else _("You have %(n)s active tokens; revoke one first.",
                                n=api_tokens.MAX_TOKENS))
    return render_template("officials/api_tokens.html", tokens=api_tokens.tokens_of(current_user),
                           new_token=new_token, error=error), status
