"""Invitation codes from the receipt slip: ``/ma`` (type a code) and ``/ma/<code>`` (open it).

A valid code starts the questionnaire of its wave, point and field like a survey link,
with the code carried in the signed state; the final submission redeems it in the same
transaction as the response (``store_response(invitation=…)``).  A used, expired or
unknown code gets a friendly page in the user's language, never an error page.
"""

from flask import abort, redirect, render_template, request, url_for

from ..ratelimits import address_key, limit_credential
from ..services.invitations import InvitationError, find_code, normalize_code
from . import bp
from .flow import UNKNOWN_FIELD, build_pages, first_page
from .pages import open_survey, render_page, service_fields
from .state import SurveyState

# A used or expired code is "gone"; an unknown one is "not found".
STATUS = {"unknown": 404, "used": 410, "expired": 410}


def refused_page(reason: str):
    """The friendly page for a code that cannot be used (4xx)."""
    return render_template("public/code_refused.html", reason=reason), STATUS[reason]


@bp.get("/ma")
def code_form():
    """Ask for the code printed on the receipt slip (a GET form: nothing changes)."""
    code = request.args.get("code")
    if code:
        normal = normalize_code(code)[:40]
        if normal:
            return redirect(url_for(".code_start", code=normal), code=303)
    return render_template("public/code_form.html", code=code or "")


@bp.get("/ma/<code>")
def code_start(code: str):
    """Open the questionnaire a code belongs to, or say kindly why it cannot be used."""
    # Counted per address before the lookup: trying codes by the thousand hits the limit.
    limit_credential("code-lookup", address_key())
    try:
        invitation = find_code(code)
    except InvitationError as error:
        return refused_page(error.reason)
    ctx = open_survey(invitation.wave.code, invitation.service_point.code)
    field_code = invitation.service_field.code if invitation.service_field else None
    if field_code is None and not service_fields():
        field_code = UNKNOWN_FIELD
    state = SurveyState.start(ctx.wave.code, ctx.point.code, field_code)
    state.code = normalize_code(code)
    pages = build_pages(ctx.questionnaire, state.field_page)
    first = first_page(ctx.questionnaire, pages, state.answers)
    if first is None:
        abort(404)
    return render_page(ctx, state, pages, first, first_visit=True)


def invitation_of(state, ctx):
    """Return the usable invitation a state carries (None without a code).

    Raises ``InvitationError`` when the code was used (or expired) since the survey
    began, or names another wave or point than the state's.
    """
    if not state.code:
        return None
    invitation = find_code(state.code)
    if (invitation.wave_id, invitation.service_point_id) != (ctx.wave.id, ctx.point.id):
        raise InvitationError("unknown")
    return invitation

