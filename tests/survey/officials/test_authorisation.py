"""The authorisation matrix: every route of the app × every role (and anonymous) × a unit
inside and outside the user's scope, with the status each must get.

The routes come from the app's URL map: a route (or a method of one) without a rule
below fails ``test_every_route_has_a_rule``, so a new page cannot ship unguarded.  The
scoped users (official, desk operator) have the commune XA-A; XA-B is its sibling.
"""

from dataclasses import dataclass
from typing import Callable

import pytest

from tests.survey.officials.conftest import province  # noqa: F401  (fixture)

ROLES = ("administrator", "methodologist", "official", "desk_operator")
WHO = (None,) + ROLES        # None: not signed in
INSIDE, OUTSIDE = "XA-A", "XA-B"
SIGN_IN = "sign-in"          # a redirect to the sign-in page
SETUP = "/quan-ly/quan-tri/thiet-lap"
QUESTIONNAIRES = "/quan-ly/bang-hoi"
METHODOLOGY = ("administrator", "methodologist")


@dataclass(frozen=True)
class Rule:
    """How to call a route and what each visitor gets; ``scoped`` routes name a unit."""

    method: str
    url: Callable[[dict, str], str]          # (context, unit code) -> URL
    expect: Callable[[str | None, bool], object]
    scoped: bool = False
    data: dict | None = None
    json: dict | None = None


def public(status):
    """Everybody gets ``status``: the page does not depend on who is signed in."""
    return lambda role, inside: status


def results(status=200):
    """Results of a unit: the roles that read results, within their scope."""
    def expect(role, inside):
        if role is None:
            return SIGN_IN
        if role == "desk_operator":
            return 403
        if role == "official" and not inside:
            return 404
        return status
    return expect


def only(roles, status=200):
    """Pages for ``roles`` only (403 for the others)."""
    return lambda role, inside: SIGN_IN if role is None else status if role in roles else 403


def point_tablets(status=200):
    """Tablets of a service point: administrators, and desk operators within their scope."""
    def expect(role, inside):
        if role is None:
            return SIGN_IN
        if role == "administrator" or (role == "desk_operator" and inside):
            return status
        return 404 if role == "desk_operator" else 403
    return expect

READERS = ("administrator", "methodologist", "official")


def index(role, inside):
    return {None: SIGN_IN, "desk_operator": 302}.get(role, 200)


def _point(ctx, code):
    return ctx["points"][code]


RULES = {
    ("static", "GET"): Rule("GET", lambda c, u: "/static/officials.css", public(200)),
    ("public.home", "GET"): Rule("GET", lambda c, u: "/", public(200)),
    ("public.set_language", "GET"): Rule("GET", lambda c, u: "/lang/vi", public(302)),
    ("public.expressions_js", "GET"): Rule("GET", lambda c, u: "/static-q/expressions.js", public(200)),
    ("public.start", "GET"): Rule("GET", lambda c, u: f"/s/2026/{_point(c, u)}", public(200), scoped=True),
    ("public.page", "GET"): Rule("GET", lambda c, u: f"/s/2026/{_point(c, u)}/p/1", public(302), scoped=True),
    ("public.page", "POST"): Rule("POST", lambda c, u: f"/s/2026/{_point(c, u)}/p/1", public(400),
                                  scoped=True, data={}),
    ("public.thanks", "GET"): Rule("GET", lambda c, u: f"/s/2026/{_point(c, u)}/cam-on", public(200), scoped=True),
    # Anonymous submissions are refused before the body is read, signed in or not.
    ("api.create_response", "POST"): Rule("POST", lambda c, u: "/api/v1/responses", public(401), json={}),
    ("api.openapi_json", "GET"): Rule("GET", lambda c, u: "/api/v1/openapi.json", public(200)),
    ("api.docs", "GET"): Rule("GET", lambda c, u: "/api/v1/docs", public(200)),
    ("api.wave_questionnaire", "GET"): Rule("GET", lambda c, u: "/api/v1/waves/2026/questionnaire",
                                            public(200)),
    # The results API reads a personal token, never the session cookie.
    ("api.unit_results", "GET"): Rule("GET", lambda c, u: f"/api/v1/units/{u}/waves/2026/results",
                                      public(401), scoped=True),
    ("public.code_form", "GET"): Rule("GET", lambda c, u: "/ma", public(200)),
    ("public.code_start", "GET"): Rule("GET", lambda c, u: "/ma/2345678923", public(404)),
    ("officials.invitation_codes", "GET"): Rule("GET", lambda c, u: "/quan-ly/ma-moi",
                                                only(("administrator", "official"))),
    ("officials.invitation_codes", "POST"): Rule("POST", lambda c, u: "/quan-ly/ma-moi",
                                                 only(("administrator", "official"), 422), data={}),
    ("officials.api_tokens_page", "GET"): Rule("GET", lambda c, u: "/quan-ly/tai-khoan/api",
                                               only(("administrator", "methodologist", "official"))),
    ("officials.api_tokens_page", "POST"): Rule("POST", lambda c, u: "/quan-ly/tai-khoan/api",
                                                only(("administrator", "methodologist", "official"), 422),
                                                data={}),
    ("officials.sign_in", "GET"): Rule("GET", lambda c, u: "/quan-ly/dang-nhap", public(200)),
    ("officials.sign_in", "POST"): Rule("POST", lambda c, u: "/quan-ly/dang-nhap", public(200), data={}),
    ("officials.sign_out", "POST"): Rule("POST", lambda c, u: "/quan-ly/dang-xuat", public(SIGN_IN)),
    ("officials.reset_password", "GET"): Rule("GET", lambda c, u: "/quan-ly/dat-lai-mat-khau/made-up", public(404)),
    ("officials.reset_password", "POST"): Rule("POST", lambda c, u: "/quan-ly/dat-lai-mat-khau/made-up",
                                               public(404), data={}),
    ("officials.index", "GET"): Rule("GET", lambda c, u: "/quan-ly/", index),
    ("officials.unit_dashboard", "GET"): Rule("GET", lambda c, u: f"/quan-ly/don-vi/{u}", results(), scoped=True),
    ("officials.unit_report", "GET"): Rule("GET", lambda c, u: f"/quan-ly/don-vi/{u}/bao-cao.pdf", results(),
                                           scoped=True),
    ("officials.unit_export", "GET"): Rule("GET", lambda c, u: f"/quan-ly/don-vi/{u}/du-lieu.csv", results(),
                                           scoped=True),
    ("officials.points", "GET"): Rule("GET", lambda c, u: "/quan-ly/diem-tiep-nhan",
                                      only(("administrator", "desk_operator"))),
    ("officials.kiosks", "GET"): Rule(
        "GET", lambda c, u: f"/quan-ly/diem-tiep-nhan/{_point(c, u)}/may-tinh-bang", point_tablets(),
        scoped=True),
    ("officials.kiosk_code", "POST"): Rule(
        "POST", lambda c, u: f"/quan-ly/diem-tiep-nhan/{_point(c, u)}/may-tinh-bang", point_tablets(422),
        scoped=True, data={}),
    ("officials.kiosk_revoke", "POST"): Rule(
        "POST", lambda c, u: f"/quan-ly/diem-tiep-nhan/{_point(c, u)}/may-tinh-bang/999999/thu-hoi",
        point_tablets(404), scoped=True, data={}),
    ("kiosk.enrol", "GET"): Rule("GET", lambda c, u: "/kiosk/dang-ky", public(200)),
    ("kiosk.enrol", "POST"): Rule("POST", lambda c, u: "/kiosk/dang-ky", public(422), data={}),
    ("kiosk.kiosk", "GET"): Rule("GET", lambda c, u: "/kiosk", public(302)),
    ("kiosk.service_worker", "GET"): Rule("GET", lambda c, u: "/kiosk/sw.js", public(200)),
    ("officials.admin_users", "GET"): Rule("GET", lambda c, u: "/quan-ly/quan-tri/nguoi-dung",
                                           only(("administrator",))),
    ("officials.admin_users", "POST"): Rule("POST", lambda c, u: "/quan-ly/quan-tri/nguoi-dung",
                                            only(("administrator",), 422), data={}),
    ("officials.admin_user", "GET"): Rule("GET", lambda c, u: f"/quan-ly/quan-tri/nguoi-dung/{c['target']}",
                                          only(("administrator",))),
    ("officials.admin_user", "POST"): Rule("POST", lambda c, u: f"/quan-ly/quan-tri/nguoi-dung/{c['target']}",
                                           only(("administrator",), 422), data={}),
    ("officials.admin_disable_user", "POST"): Rule(
        "POST", lambda c, u: f"/quan-ly/quan-tri/nguoi-dung/{c['disable']}/vo-hieu-hoa",
        only(("administrator",), 302)),
    ("officials.admin_reset_link", "POST"): Rule(
        "POST", lambda c, u: f"/quan-ly/quan-tri/nguoi-dung/{c['target']}/dat-lai-mat-khau",
        only(("administrator",))),
    ("officials.admin_audit", "GET"): Rule("GET", lambda c, u: "/quan-ly/quan-tri/nhat-ky",
                                           only(("administrator",))),
    ("officials.admin_audit_csv", "GET"): Rule("GET", lambda c, u: "/quan-ly/quan-tri/nhat-ky.csv",
                                               only(("administrator",))),
    ("officials.unit_design_file", "GET"): Rule("GET", lambda c, u: f"/quan-ly/don-vi/{u}/thiet-ke/ho-so.csv",
                                                results(), scoped=True),
    ("officials.quality", "GET"): Rule("GET", lambda c, u: f"/quan-ly/chat-luong/{u}", results(),
                                       scoped=True),
    ("officials.review_flag", "POST"): Rule(
        "POST", lambda c, u: f"/quan-ly/chat-luong/{u}/phieu/999999999",
        only(("administrator", "methodologist"), 404), scoped=True, data={}),
    ("officials.live", "GET"): Rule("GET", lambda c, u: "/quan-ly/so-phieu",
                                    only(("administrator", "methodologist", "official"))),

    # Background jobs: a unit's job needs the unit in scope; a job is its owner's alone
    # (a made-up id is a 404 for every reader of results).
    ("officials.start_bulk_reports", "POST"): Rule(
        "POST", lambda c, u: f"/quan-ly/don-vi/{u}/bao-cao-hang-loat?wave=2026", results(400),
        scoped=True, data={"which": "children"}),            # a commune has no subunits
    ("officials.start_export", "POST"): Rule(
        "POST", lambda c, u: f"/quan-ly/don-vi/{u}/xuat-nen.csv?wave=NO-SUCH-WAVE", results(400),
        scoped=True),
    ("officials.job_list", "GET"): Rule("GET", lambda c, u: "/quan-ly/tac-vu/", only(READERS)),
    ("officials.job", "GET"): Rule("GET", lambda c, u: f"/quan-ly/tac-vu/{'0' * 32}", only(READERS, 404)),
    ("officials.job_status", "GET"): Rule("GET", lambda c, u: f"/quan-ly/tac-vu/{'0' * 32}.json",
                                          only(READERS, 404)),
    ("officials.job_file", "GET"): Rule("GET", lambda c, u: f"/quan-ly/tac-vu/{'0' * 32}/tep",
                                        only(READERS, 404)),
    ("officials.job_retry", "POST"): Rule("POST", lambda c, u: f"/quan-ly/tac-vu/{'0' * 32}/thu-lai",
                                          only(READERS, 404)),
    ("admin.index", "GET"): Rule("GET", lambda c, u: SETUP + "/", only(("administrator",))),
    ("admin.preview", "POST"): Rule("POST", lambda c, u: SETUP + "/units/xem-truoc",
                                    only(("administrator",), 400), data={}),
    ("admin.confirm", "POST"): Rule("POST", lambda c, u: SETUP + "/units/ghi",
                                    only(("administrator",), 302), data={}),
    ("admin.export", "GET"): Rule("GET", lambda c, u: SETUP + "/fields.csv", only(("administrator",))),
    ("admin.wave_status", "POST"): Rule("POST", lambda c, u: SETUP + "/dot/NO-SUCH-WAVE/mo",
                                        only(("administrator",), 302)),
    ("methodology.index", "GET"): Rule("GET", lambda c, u: QUESTIONNAIRES + "/", only(METHODOLOGY)),
    ("methodology.check", "POST"): Rule("POST", lambda c, u: QUESTIONNAIRES + "/kiem-tra",
                                        only(METHODOLOGY, 400), data={}),
    ("methodology.publish", "POST"): Rule("POST", lambda c, u: QUESTIONNAIRES + "/cong-bo",
                                          only(METHODOLOGY, 302), data={}),
    ("methodology.export", "GET"): Rule("GET", lambda c, u: QUESTIONNAIRES + "/phien-ban/999999.yaml",
                                        only(METHODOLOGY, 404)),
    ("methodology.preview_start", "GET"): Rule("GET", lambda c, u: QUESTIONNAIRES + "/xem-truoc/" + "x" * 32 + "/vi",
                                               only(METHODOLOGY, 404)),
    ("methodology.preview_page", "POST"): Rule(
        "POST", lambda c, u: QUESTIONNAIRES + "/xem-truoc/" + "x" * 32 + "/vi/p/1", only(METHODOLOGY, 404),
        data={}),
    ("methodology.wave_version", "POST"): Rule("POST", lambda c, u: QUESTIONNAIRES + "/dot/NO-SUCH-WAVE",
                                               only(("administrator",), 404), data={"version": "1"}),
}
# Signing out ends the client's session: it goes last.
LAST = {("officials.sign_out", "POST")}


def route_methods(app):
    """Yield ``(endpoint, method)`` of every route of ``app``."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method


def test_every_route_has_a_rule(app):
    missing = sorted(set(route_methods(app)) - set(RULES))
    assert missing == [], f"routes without an authorisation rule: {missing}"
    stale = sorted(set(RULES) - set(route_methods(app)))
    assert stale == [], f"rules of routes that no longer exist: {stale}"


def _status(response):
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/quan-ly/dang-nhap"):
        return SIGN_IN
    return response.status_code


def test_authorisation_matrix(app, province, make_user, make_point, sign_in_as):
    ctx = {"points": {INSIDE: province.points[0].code, OUTSIDE: province.points[1].code},
           "target": make_user(role="official", units=[province.root]).id,
           "disable": make_user(role="official", units=[province.root]).id}
    clients = {None: app.test_client()}
    for role in ROLES:
        units = [] if role in ("administrator", "methodologist") else [province.communes[0]]
        clients[role] = sign_in_as(role, units=units)
    failures, checked = [], 0
    order = sorted(RULES, key=lambda key: key in LAST)
    for key in order:
        rule = RULES[key]
        for who in WHO:
            for unit in ((INSIDE, OUTSIDE) if rule.scoped else (INSIDE,)):
                inside = unit == INSIDE
                url = rule.url(ctx, unit)
                response = clients[who].open(url, method=rule.method, data=rule.data, json=rule.json)
                response.get_data()       # a streamed body holds its context until read
                response.close()
                got, want = _status(response), rule.expect(who, inside)
                checked += 1
                if got != want:
                    failures.append(f"{key} {url} as {who or 'anonymous'}: {got}, expected {want}")
    assert failures == [], "\n".join(failures)
    assert checked >= 5 * len(RULES)


# Desk operators read no results at all (403, in the matrix).
@pytest.mark.parametrize("role", ["administrator", "methodologist", "official"])
def test_out_of_scope_looks_like_a_missing_unit(sign_in_as, province, role):
    units = [] if role in ("administrator", "methodologist") else [province.communes[0]]
    client = sign_in_as(role, units=units)
    missing = client.get("/quan-ly/don-vi/NO-SUCH-UNIT")
    hidden = client.get(f"/quan-ly/don-vi/{OUTSIDE}")
    assert missing.status_code == 404
    if role == "official":
        # Same status and the same sentence: nothing tells a hidden unit from a missing one.
        assert hidden.status_code == 404
        assert (missing.get_data(as_text=True).replace("NO-SUCH-UNIT", "X")
                == hidden.get_data(as_text=True).replace(OUTSIDE, "X"))
