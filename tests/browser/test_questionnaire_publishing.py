"""A methodologist publishes a new questionnaire version in a real browser: an XLSForm
with an error shows the message with its sheet, row and column; the fixed workbook shows
the changes and a preview (phone and tablet, vi and en); it is published; an administrator
sets a draft wave to it; a citizen answers the new version while the old responses stay
under the old one. axe-core finds no violation on the new pages."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook
from sqlalchemy import select

from questionnaires import load_definition
from questionnaires.xlsform import write_xlsform
from survey.extensions import db
from survey.models import QuestionnaireVersion, Response, Wave
from survey.services.setup_waves import set_wave_status
from tests.browser.questionnaire_filling import answer_every_element
from tests.browser.test_csp import violations, watch
from tests.factories import USER_PASSWORD as PASSWORD
from tests.survey.methodology.helpers import TRIPS_VI_NEW, desk

pytestmark = pytest.mark.browser
BASE = "/quan-ly/bang-hoi/"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


def _axe(page):
    result = Axe().run(page, options=WCAG)
    assert result.violations_count == 0, result.generate_report()


def _sign_in(browser, live_server, user, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server + BASE)
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**" + BASE)
    return context, page


def _workbooks(tmp_path):
    new = load_definition("desk.yaml", text=desk("2", reword=True))
    good = tmp_path / "desk-2.xlsx"
    write_xlsform(new, good)
    book = load_workbook(good)
    sheet = book["survey"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("name")].value == "staff_polite":
            row[header.index("type")].value = "select_one no_such_list"
    broken = tmp_path / "broken" / "desk-2.xlsx"
    broken.parent.mkdir()
    book.save(broken)
    return new, good, broken


def test_methodologist_publishes_and_citizens_answer_the_new_version(
        browser, live_server, app, tmp_path, make_user, make_unit, make_point, make_wave,
        create_response):
    old_q = load_definition("desk.yaml", text=desk("1"))
    province = make_unit(kind="province")
    point = make_point(province)
    past = make_wave(questionnaire=old_q, units=[province], status="closed")
    old_response = create_response(past, point)
    draft = make_wave(questionnaire=old_q, units=[province], status="draft")
    new_q, good, broken = _workbooks(tmp_path)

    methodologist = make_user(role="methodologist")
    context, page = _sign_in(browser, live_server, methodologist)
    console = watch(page)
    page.reload()
    _axe(page)
    page.set_input_files("#questionnaire-file", str(broken))
    page.click("form.setup-upload button[type=submit]")
    page.wait_for_selector("#problems")
    assert ("desk-2.xlsx: trang survey, dòng 3, cột type: danh sách lựa chọn 'no_such_list' "
            "không có trong trang choices") in page.inner_text("#problems")
    assert page.locator("input[name=token]").count() == 0
    _axe(page)

    page.goto(live_server + BASE)
    page.set_input_files("#questionnaire-file", str(good))
    page.click("form.setup-upload button[type=submit]")
    page.wait_for_selector("#changes")
    changes = page.inner_text("#changes")
    assert "desk@1" in changes and "Sửa câu chữ" in changes and TRIPS_VI_NEW in changes
    for kind, width in (("phone", 360), ("tablet", 768)):
        frames = page.locator(f"iframe.preview-{kind}")
        assert frames.count() == 2
        assert frames.first.bounding_box()["width"] == pytest.approx(width, abs=2)
    vi_phone = page.frame_locator("iframe.preview-phone").first
    vi_phone.locator("h1.element-title").wait_for()
    en_phone = page.frame_locator("iframe.preview-phone").nth(1)
    assert "Quick satisfaction survey" in en_phone.locator(".survey-title").inner_text()
    assert "Phiếu đánh giá nhanh" in vi_phone.locator(".survey-title").inner_text()
    _axe(page)
    page.get_by_role("button", name="Công bố phiên bản desk@2").click()
    page.wait_for_selector(".flash")
    assert "Đã công bố phiên bản desk@2." in page.inner_text(".flash")
    assert violations(page) == [] and console == []
    context.close()

    admin = make_user(role="administrator")
    context, page = _sign_in(browser, live_server, admin)
    page.select_option(f"#version-{draft.code}", label="desk@2")
    page.locator(f"form[action$='/dot/{draft.code}'] button").click()
    page.wait_for_selector(".flash")
    assert f"Đợt khảo sát “{draft.code}” nay dùng phiếu desk@2." in page.inner_text(".flash")
    assert page.locator(f"#version-{past.code}").count() == 0  # it has responses: kept
    _axe(page)
    context.close()
    with app.app_context():
        set_wave_status(draft.code, "open")

    citizen = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    phone = citizen.new_page()
    phone.set_default_timeout(20_000)
    phone.goto(f"{live_server}/s/{draft.code}/{point.code}")
    phone.wait_for_selector("h1.element-title")
    seen = []
    answer_every_element(phone, new_q, before=lambda e: seen.append(phone.inner_text("main")))
    phone.wait_for_url("**/cam-on")
    assert any(TRIPS_VI_NEW in text for text in seen)
    citizen.close()

    with app.app_context():
        v1 = db.session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.version == "1"))
        v2 = db.session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.version == "2"))
        assert db.session.get(Wave, draft.id).questionnaire_version_id == v2.id
        answered = db.session.scalars(select(Response).where(Response.wave_id == draft.id)).all()
        assert [r.questionnaire_version_id for r in answered] == [v2.id]
        assert db.session.get(Response, old_response.id).questionnaire_version_id == v1.id
        assert db.session.get(Wave, past.id).questionnaire_version_id == v1.id
