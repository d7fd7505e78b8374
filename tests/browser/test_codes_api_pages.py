"""The pages added for invitation codes and the API pass axe-core (WCAG 2.2 A/AA):
the code form, the refusals, the first survey page opened by a code, the officials' code
and token pages, and the API's description page — phone width, Vietnamese and English."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from survey.extensions import db
from survey.models import ServiceField, ServicePoint, Wave
from survey.services import invitations
from tests.factories import USER_PASSWORD
from tests.survey.public.helpers import mini_questionnaire

pytestmark = pytest.mark.browser
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def violations(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.response["passes"], "axe ran no rule"
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_code_and_api_pages_pass_axe(app, browser, live_server, make_wave, make_point, make_field,
                                     make_user, lang):
    wave = make_wave(questionnaire=mini_questionnaire())
    point = make_point(wave.units[0])
    field = make_field("HT", name="Hộ tịch")
    with app.app_context():
        code = invitations.issue_codes(db.session.get(Wave, wave.id),
                                       db.session.get(ServicePoint, point.id),
                                       db.session.get(ServiceField, field.id), 1)[1][0]
    user = make_user(role="official", units=[wave.units[0]])
    context = browser.new_context(viewport={"width": 360, "height": 740},
                                  locale="vi-VN" if lang == "vi" else "en-GB")
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = {}
    try:
        for name, path in [("code form", "/ma"), ("unknown code", "/ma/2345678923"),
                           ("survey by code", f"/ma/{code}"), ("api docs", "/api/v1/docs")]:
            page.goto(live_server + path)
            found[name] = violations(page)
        page.goto(live_server + "/quan-ly/dang-nhap")
        page.fill("#email", user.email)
        page.fill("#password", USER_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "dang-nhap" not in url)
        for name, path in [("codes page", "/quan-ly/ma-moi"), ("tokens page", "/quan-ly/tai-khoan/api")]:
            page.goto(live_server + path)
            found[name] = violations(page)
        page.fill("#token-name", "Bảng tính")
        page.click("form:has(#token-name) button[type=submit]")
        page.wait_for_selector("#new-token")
        found["token created"] = violations(page)
    finally:
        context.close()
    assert {k: v for k, v in found.items() if v} == {}
