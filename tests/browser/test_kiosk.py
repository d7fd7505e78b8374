"""The kiosk in a real tablet-sized browser: enrolment, offline queue, idle reset, axe."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from survey.extensions import db
from survey.models import Response, ServicePoint
from survey.services import devices

pytestmark = pytest.mark.browser

TABLET = {"width": 800, "height": 1280}
PHONE = {"width": 360, "height": 740}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def app_config():
    # Short timers so that the tests wait seconds, not minutes.
    return {"KIOSK_IDLE_SECONDS": 2, "KIOSK_COUNTDOWN_SECONDS": 3, "KIOSK_THANKS_SECONDS": 1}


@pytest.fixture
def desk(app, make_unit, make_point, make_wave):
    """A point under an open desk wave: (point, wave, issue_code) with issue_code() -> code."""
    unit = make_unit()
    point = make_point(unit)
    wave = make_wave(questionnaire="desk", units=[unit])

    def issue_code():
        with app.app_context():
            return devices.create_enrolment_code(db.session.get(ServicePoint, point.id),
                                                 name="Quầy 1")[1]
    return point, wave, issue_code


def new_page(browser, viewport=TABLET, locale="vi-VN"):
    context = browser.new_context(viewport=viewport, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def enrol(page, live_server, code):
    page.goto(live_server + "/kiosk/dang-ky")
    page.fill("#code", code)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == live_server + "/kiosk"
    page.wait_for_selector("html[data-kiosk-ready=yes]", state="attached")


def wait_attr(page, name, value):
    # Selectors, not wait_for_function: the CSP forbids evaluating strings.
    page.wait_for_selector(f"html[data-kiosk-{name}='{value}']", state="attached")


def screen(page):
    return page.get_attribute("html", "data-kiosk-screen")


def answer_step(page, choice):
    """Answer every visible question of the current step with its ``choice``-th option."""
    boxes = page.query_selector_all(".kiosk-step:not([hidden]) fieldset[data-question]:not([hidden])")
    for box in boxes:
        labels = box.query_selector_all(".choice label")
        if labels:
            labels[min(choice, len(labels) - 1)].click()


def answer_all(page, choice):
    page.click("#kiosk-start")
    for _ in range(10):
        if screen(page) != "step":
            break
        answer_step(page, choice)
        page.click(".kiosk-step:not([hidden]) [data-action=next]")
    assert screen(page) == "thanks"


def stored(app):
    with app.app_context():
        return [(r.mode, r.service_point_id, r.wave_id, r.submission_id, r.answers)
                for r in db.session.scalars(select(Response).order_by(Response.id))]


def test_offline_answers_are_queued_and_sent_once_in_order(app, browser, live_server, desk):
    point, wave, issue_code = desk
    context, page = new_page(browser)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        enrol(page, live_server, issue_code())
        page.wait_for_selector("html[data-kiosk-cached=yes]", state="attached")
        context.set_offline(True)
        for choice in range(3):
            answer_all(page, choice)
            wait_attr(page, "screen", "welcome")
        wait_attr(page, "waiting", "3")
        assert "3" in page.text_content("#kiosk-queue")
        # A reload without network: the service worker serves the kiosk, the queue survives.
        page.reload()
        page.wait_for_selector("html[data-kiosk-ready=yes]", state="attached")
        wait_attr(page, "waiting", "3")
        assert stored(app) == []
        context.set_offline(False)
        wait_attr(page, "waiting", "0")
    finally:
        context.close()
    rows = stored(app)
    assert len(rows) == 3
    assert {(mode, point_id, wave_id) for mode, point_id, wave_id, _, _ in rows} == {
        ("kiosk", point.id, wave.id)}
    assert len({sid for _, _, _, sid, _ in rows}) == 3
    # In the order given: the first scale answer was option 1, 2, 3 (values 1, 2, 3).
    assert [answers["staff_polite"] for *_, answers in rows] == [1, 2, 3]
    assert errors == []


def checked_inputs(page):
    return page.evaluate("document.querySelectorAll('#survey-form input:checked').length")


def test_idle_kiosk_counts_down_wipes_the_answers_and_shows_the_welcome(app, browser, live_server, desk):
    _, _, issue_code = desk
    context, page = new_page(browser)
    try:
        enrol(page, live_server, issue_code())
        page.click("#kiosk-start")
        answer_step(page, 4)
        assert checked_inputs(page) > 0
        page.wait_for_selector("#kiosk-idle", state="visible")
        assert page.is_visible("#kiosk-idle-countdown")
        assert "giây" in page.text_content("#kiosk-idle-countdown")
        wait_attr(page, "screen", "welcome")
        assert page.is_hidden("#kiosk-idle") and page.is_visible("#kiosk-welcome")
        assert checked_inputs(page) == 0
        # "Continue" keeps the session when someone is still there.
        page.click("#kiosk-start")
        answer_step(page, 0)
        page.wait_for_selector("#kiosk-idle", state="visible")
        page.click("#kiosk-continue")
        assert screen(page) == "step" and checked_inputs(page) > 0
        # Back and forward bring no earlier answers back.
        page.go_back()
        page.go_forward()
        page.wait_for_selector("html[data-kiosk-ready=yes]", state="attached")
        assert screen(page) == "welcome" and checked_inputs(page) == 0
        # Nothing leads out of the kiosk.
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.pathname)")
        assert all(h.startswith("/kiosk") for h in hrefs), hrefs
    finally:
        context.close()
    assert stored(app) == []


def axe_violations(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.response["passes"], "axe ran no rule"
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_kiosk_screens_pass_axe(app, browser, live_server, desk, viewport, lang):
    _, _, issue_code = desk
    # axe takes seconds per screen: no idle reset while it looks (this test's own app).
    app.config["KIOSK_IDLE_SECONDS"] = 600
    context, page = new_page(browser, viewport)
    query = "" if lang == "vi" else "?lang=en"
    found = {}
    try:
        page.goto(live_server + "/kiosk/dang-ky" + query)
        found["enrol"] = axe_violations(page)
        page.fill("#code", "WRONG")
        with page.expect_navigation():
            page.click("button[type=submit]")
        found["enrol error"] = axe_violations(page)
        page.fill("#code", issue_code())
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_selector("html[data-kiosk-ready=yes]", state="attached")
        assert page.get_attribute("html", "lang") == lang
        found["welcome"] = axe_violations(page)
        page.click("#kiosk-start")
        step = 0
        while screen(page) == "step":
            page.click(".kiosk-step:not([hidden]) [data-action=next]")   # unanswered: errors
            found[f"step {step} errors"] = axe_violations(page)
            answer_step(page, 3)
            found[f"step {step}"] = axe_violations(page)
            page.click(".kiosk-step:not([hidden]) [data-action=next]")
            step += 1
        assert step >= 2
        found["thanks"] = axe_violations(page)
        wait_attr(page, "screen", "welcome")
        app.config["KIOSK_IDLE_SECONDS"] = 1
        app.config["KIOSK_COUNTDOWN_SECONDS"] = 60
        page.reload()
        wait_attr(page, "ready", "yes")
        page.click("#kiosk-start")
        page.wait_for_selector("#kiosk-idle", state="visible")
        found["idle"] = axe_violations(page)
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}
