"""Kiosk pages: enrolment with a one-time code, the kiosk itself, its service worker.

The tablet keeps its device credential in a cookie (``kiosk_device``, HttpOnly, only sent
to ``/kiosk``) so that ``/kiosk`` renders the device's questionnaire; the page hands the
same credential to ``kiosk.js``, which sends answers to the JSON API as ``Authorization:
Device <token>``.  The whole questionnaire is one page of steps (rendered with the
citizens' question templates) so that it works offline once cached by the service worker.
"""

from importlib.resources import files

from flask import (current_app, make_response, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import force_locale, gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..extensions import limiter
from ..i18n import LANGUAGES, DEFAULT_LOCALE
from ..public.forms import element_form
from ..public.pages import _question_views
from ..ratelimits import address_key
from ..services import devices
from ..services.questionnaire_versions import load_version
from . import bp

COOKIE = "kiosk_device"
COOKIE_MAX_AGE = 5 * 365 * 24 * 3600
STATIC = str(files("survey") / "static")


class EnrolForm(FlaskForm):
    """The one-time code typed on the tablet."""

    code = StringField(validators=[InputRequired(), Length(max=32)])


def _lang() -> str:
    lang = request.args.get("lang", DEFAULT_LOCALE)
    return lang if lang in LANGUAGES else DEFAULT_LOCALE


def _device():
    token = request.cookies.get(COOKIE)
    return (devices.authenticate_device(token) if token else None), token


@bp.route("/dang-ky", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("RATELIMIT_KIOSK_ENROL", "10 per minute; 60 per hour"),
               key_func=address_key, methods=["POST"])
def enrol():
    """Type the code shown on the officials' page; the tablet becomes a kiosk."""
    lang = _lang()
    with force_locale(lang):
        form = EnrolForm()
        error, status = None, 200
        if form.validate_on_submit():
            try:
                device, token = devices.enrol(form.code.data)
            except devices.DeviceError:
                error, status = _("This code is not valid: it may be mistyped, already used "
                                  "or expired. Ask the desk operator for a new code."), 422
            else:
                response = redirect(url_for(".kiosk", lang=lang if lang != DEFAULT_LOCALE else None),
                                    code=303)
                response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, path="/kiosk",
                                    httponly=True, samesite="Strict",
                                    secure=current_app.config["SESSION_COOKIE_SECURE"])
                return response
        elif request.method == "POST":
            error, status = _("Please type the enrolment code."), 422
        return render_template("kiosk/enrol.html", form=form, error=error, lang=lang), status


@bp.get("")
def kiosk():
    """The kiosk: welcome screen, the questionnaire step by step, thank-you screen."""
    lang = _lang()
    device, token = _device()
    if device is None:
        return redirect(url_for(".enrol", lang=lang if lang != DEFAULT_LOCALE else None))
    waves = devices.device_waves(device)
    with force_locale(lang):
        if not waves:
            response = make_response(render_template("kiosk/closed.html", lang=lang,
                                                     point=device.service_point))
        else:
            response = make_response(_render_kiosk(device, token, waves[0], lang))
    # Always fresh from the network when online; the service worker keeps the offline copy.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _render_kiosk(device, token, wave, lang):
    q = load_version(wave.questionnaire_version)
    text = lambda d: q.text(d, lang)  # noqa: E731
    steps = []
    for element in q.elements:
        form = element_form(element, text, {}, "")
        steps.append({
            "element": element, "title": text(element.title), "intro": text(element.intro),
            "questions": _question_views(q, element, form, lang,
                                         {qq.id for qq in element.questions}, {}),
        })
    point = device.service_point
    config = {
        "api": url_for("api.create_response"),
        "token": token, "wave": wave.code, "point": point.code, "lang": lang,
        "idleSeconds": current_app.config.get("KIOSK_IDLE_SECONDS", 90),
        "countdownSeconds": current_app.config.get("KIOSK_COUNTDOWN_SECONDS", 15),
        "thanksSeconds": current_app.config.get("KIOSK_THANKS_SECONDS", 8),
        "serviceWorker": url_for(".service_worker"),
        "scope": url_for(".kiosk"),
        "pages": [url_for(".kiosk"), url_for(".kiosk", lang="en"), url_for(".kiosk", lang="vi")],
        "elements": [{"id": e.id, "relevant": e.relevant.tree if e.relevant is not None else None}
                     for e in q.elements],
        "questions": [{
            "id": question.id, "element": element.id,
            "relevant": question.relevant.tree if question.relevant is not None else None,
            "required": question.required if isinstance(question.required, bool)
            else question.required.tree,
            "answerable": question.kind.answerable,
            "values": [c.value for c in question.choices],
        } for element in q.elements for question in element.questions],
    }
    return render_template("kiosk/kiosk.html", q=q, steps=steps, config=config, lang=lang,
                           point=point, demo=wave.is_demo,
                           point_name=point.name_en if lang == "en" and point.name_en else point.name,
                           title=q.text(q.title, lang), description=q.text(q.description, lang))


@bp.get("/sw.js")
def service_worker():
    """The kiosk's service worker, allowed to control every page under ``/kiosk``."""
    response = send_from_directory(STATIC, "kiosk-sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Service-Worker-Allowed"] = url_for(".kiosk")
    response.headers["Cache-Control"] = "no-cache"
    return response
