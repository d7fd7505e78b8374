"""The API's read side: the OpenAPI document and its page, a wave's published
questionnaire, and a unit's result tables for holders of a personal token.

Result tables are scoped exactly like the dashboard: the token acts as its owner, and a
unit outside the owner's scope is a 404 like a unit that does not exist.
"""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import force_locale, gettext as _
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ..errors import api_locale
from ..extensions import db
from ..models import Wave
from ..officials.filters import waves_of
from ..officials.scope import unit_or_404, units_in_scope
from ..ratelimits import limit_credential
from ..services import api_tokens, dashboard
from ..services.modes import mode_counts
from ..services.questionnaire_versions import load_version
from . import bp
from .credentials import unauthorized
from .schemas import ErrorOut, QuestionnaireOut, ResultsOut
from .spec import openapi_document, operation


@bp.get("/openapi.json")
@operation("get", "/openapi.json", "This OpenAPI document", responses={200: None})
def openapi_json():
    """The OpenAPI 3.1 document of the API (generated from the routes and their schemas)."""
    return jsonify(openapi_document())


@bp.get("/docs")
@operation("get", "/docs", "This API's description as a web page", content_type="text/html",
           responses={200: None})
def docs():
    """A readable page listing every operation of the OpenAPI document (no scripts)."""
    document = openapi_document()
    operations = [{"method": method.upper(), "path": path, **entry}
                  for path, methods in document["paths"].items()
                  for method, entry in methods.items()]
    with force_locale(api_locale()):
        return render_template("api/docs.html", document=document, operations=operations,
                               schemas=document["components"]["schemas"])


@bp.get("/waves/<wave_code>/questionnaire")
@operation("get", "/waves/{wave_code}/questionnaire",
           "The published questionnaire of a survey wave",
           responses={200: QuestionnaireOut, 404: ErrorOut})
def wave_questionnaire(wave_code: str):
    """The questionnaire version a wave asks (draft waves are not shown)."""
    with force_locale(api_locale()):
        wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
        if wave is None or wave.status == "draft":
            raise NotFound(_("Unknown survey wave."))
        version = wave.questionnaire_version
        q = load_version(version)
        body = QuestionnaireOut(wave=wave.code, qid=version.qid, version=str(version.version),
                                title=q.text(q.title, api_locale()), definition=version.definition)
        return jsonify(body.model_dump(mode="json"))


def _token_user():
    token = api_tokens.parse_bearer(request.headers.get("Authorization"))
    if token is None:
        raise unauthorized(_("Reading results needs a personal API token "
                             "(Authorization: Bearer sipas_…), created on your account page."))
    limit_credential("token", token)
    user = api_tokens.authenticate_token(token)
    if user is None:
        raise unauthorized(_("This API token is unknown or revoked, or its account cannot "
                             "read results."))
    return user


@bp.get("/units/<unit_code>/waves/<wave_code>/results")
@operation("get", "/units/{unit_code}/waves/{wave_code}/results",
           "A unit's result tables for a wave (as on its dashboard)", security=("token",),
           responses={200: ResultsOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut})
def unit_results(unit_code: str, wave_code: str):
    """The indices, indicators and children's ranking of a unit in a wave."""
    lang = api_locale()
    with force_locale(lang):
        user = _token_user()
        unit = unit_or_404(unit_code, user)
        waves = waves_of(unit)
        wave = next((w for w in waves if w.code == wave_code), None)
        if wave is None:
            raise NotFound(_("No survey wave “%(code)s” covers this unit.", code=wave_code))
        data = dashboard.unit_dashboard(unit, waves, wave, lang=lang)
        visible = _visible_codes(user)
        out = ResultsOut(unit=unit.code, wave=wave.code, has_data=bool(data["has_data"]),
                         n_responses=int(data.get("n_wave") or 0),
                         overall=data.get("overall"),
                         elements=data.get("elements", []), indicators=data.get("indicators", []),
                         children=[row for row in data.get("children", [])
                                   if visible is None or row["code"] in visible],
                         modes=mode_counts(wave, unit.descendant_ids()))
        return jsonify(out.model_dump(mode="json"))


def _visible_codes(user) -> set[str] | None:
    # Children outside the owner's scope are left out, as on the dashboard.
    if user.sees_all_units:
        return None
    return {u.code for u in units_in_scope(user)}

