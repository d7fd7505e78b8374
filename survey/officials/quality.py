"""Data-quality pages: the flagged responses of a unit (confirm or clear each flag) and the
live count of responses per service point.

Both are scoped: a unit outside the user's units is a 404, and the counts list only the
service points of the user's units.  Methodologists and administrators decide on flags;
officials see them.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import FLAG_DECISIONS, Response, local_today
from ..services import flag_reviews, live_counts
from . import bp
from .access import has_role, roles_required
from .filters import waves_of
from .scope import scope_ids, unit_or_404

VIEW_ROLES = ("administrator", "methodologist", "official")
REVIEW_ROLES = ("administrator", "methodologist")
# Rows shown on one page of the flags list (newest first).
PAGE_SIZE = 100

FLAG_LABELS = {
    "too_fast": _l("Completed too fast for the number of questions answered"),
    "straightline": _l("The same answer to every scale question"),
    "burst": _l("Burst: unusually many responses at one service point within one hour"),
    "burst_device": _l("Burst: unusually many responses from one kiosk tablet within one hour"),
    "near_duplicate": _l("Near-identical to another response at the same point"),
}
DECISION_LABELS = {None: _l("Not reviewed"), "confirmed": _l("Confirmed"),
                   "cleared": _l("Cleared")}
MODE_LABELS = {"confirmed": _l("responses with a confirmed flag are left out of the figures"),
               "flagged": _l("every response with a flag not cleared is left out of the figures"),
               "none": _l("flagged responses are counted in the figures")}


@bp.app_context_processor
def _quality_helpers():
    return {"flag_label": lambda f: FLAG_LABELS.get(f, f), "quality_mode_label":
            lambda m: MODE_LABELS.get(m, m)}


def _wave(unit, code):
    waves = waves_of(unit)
    if not waves:
        return waves, None
    if code is None:
        return waves, waves[-1]
    wave = next((w for w in waves if w.code == code), None)
    if wave is None:
        abort(404, _("There is no survey wave “%(code)s” for this unit.", code=code))
    return waves, wave


@bp.get("/chat-luong/<code>")
@roles_required(*VIEW_ROLES)
def quality(code: str):
    """The flagged responses of a unit's subtree in a wave, with the decisions on them."""
    unit = unit_or_404(code)
    waves, wave = _wave(unit, request.args.get("wave"))
    rows, summary = [], None
    if wave is not None:
        ids = unit.descendant_ids()
        responses = [r for r in db.session.scalars(
            select(Response).where(Response.wave_id == wave.id, Response.unit_id.in_(ids))
            .order_by(Response.submitted_at.desc(), Response.id.desc()))
            if isinstance(r.flags, list) and r.flags][:PAGE_SIZE]
        decided = flag_reviews.decisions([r.id for r in responses])
        for r in responses:
            rows.append({"response": r, "flags": [
                {"flag": f, "decision": decided.get((r.id, f))} for f in r.flags]})
        summary = flag_reviews.summary(wave, ids)
    return render_template("officials/quality.html", unit=unit, waves=waves, wave=wave,
                           rows=rows, summary=summary, decision_labels=DECISION_LABELS,
                           can_review=has_role(*REVIEW_ROLES), page_size=PAGE_SIZE)


@bp.post("/chat-luong/<code>/phieu/<int:response_id>")
@roles_required(*REVIEW_ROLES)
def review_flag(code: str, response_id: int):
    """Confirm or clear one flag of one response of the unit's subtree."""
    unit = unit_or_404(code)
    response = db.session.get(Response, response_id)
    if response is None or response.unit_id not in unit.descendant_ids():
        abort(404, _("There is no such response among the units you can see."))
    flag, decision = request.form.get("flag", ""), request.form.get("decision", "")
    if decision not in FLAG_DECISIONS or flag not in (response.flags or []):
        abort(400, _("Choose one of the response's flags and confirm or clear it."))
    flag_reviews.review(response, flag, decision)
    flash(_("Response %(id)s: “%(flag)s” %(decision)s.", id=response.id,
            flag=FLAG_LABELS.get(flag, flag), decision=str(DECISION_LABELS[decision]).lower()))
    return redirect(url_for("officials.quality", code=unit.code, wave=response.wave.code,
                            _anchor=f"r{response.id}"), code=303)


@bp.get("/so-phieu")
@roles_required(*VIEW_ROLES)
def live():
    """Responses today and this week per service point in the user's scope, with flags."""
    rows = live_counts.point_counts(scope_ids())
    totals = {k: sum(r[k] for r in rows)
              for k in ("today", "week", "flagged_today", "flagged_week")}
    return render_template("officials/live.html", rows=rows, totals=totals,
                           today=local_today())
