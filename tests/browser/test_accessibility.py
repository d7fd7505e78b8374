"""Accessibility, measured: axe-core (axe-playwright-python) on every page a citizen or an
official can reach, at phone (360 px) and tablet (768 px) widths, in Vietnamese and
English, with the WCAG 2.2 A/AA rules: zero violations.  Plus the whole survey with the
keyboard alone, and at 200% text size on a phone.

Runtime is bounded: one browser for the session, one context per width × language, each
page checked where it is (no reloads just for the check).  Kiosk screens and the code
sheet are checked by their own modules.
"""

import re

import pytest
from sqlalchemy import select

from questionnaires import load_bundled
from survey.extensions import db
from survey.models import Response
from tests.browser.questionnaire_filling import answer_visible_questions
from tests.survey.officials.conftest import PASSWORD, province  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser,
              # The pages are the same on both databases: check them once.
              pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CONFIGS = [(360, "vi"), (360, "en"), (768, "vi"), (768, "en")]
NEXT = "button[name='_nav'][value='next']"
VISIBLE_QUESTIONS = ("els => els.filter(e => !e.hidden && e.offsetParent !== null)"
                     ".map(e => e.dataset.question)")


class Checker:
    """Runs axe on a page and collects every violation with where it was found."""

    def __init__(self):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.problems = []
        self.pages = 0

    def __call__(self, page, label):
        # Inject axe-core once per document, not on every check of it.
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.axe.axe_script)
        response = page.evaluate("opts => axe.run(document, opts)",
                                 {"runOnly": {"type": "tag", "values": TAGS},
                                  "resultTypes": ["violations"]})
        self.pages += 1
        for violation in response["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            self.problems.append(f"{label} [{page.url}]: {violation['id']} "
                                 f"({violation['impact']}) {targets}")

    def assert_clean(self, minimum_pages):
        assert self.problems == [], "\n".join(self.problems)
        assert self.pages >= minimum_pages, self.pages


@pytest.fixture
def contexts(browser, live_server):
    """One browser context per width × language (the language chosen by its cookie)."""
    made = []

    def make(width, lang, **options):
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      locale="vi-VN" if lang == "vi" else "en-GB", **options)
        context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
        made.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield make
    for context in made:
        context.close()


def _click_next(page):
    with page.expect_navigation():
        page.click(NEXT)


def walk_questionnaire(page, start_url, q, check, label, *, errors=True):
    """Go through every page of ``q`` from ``start_url``: check each page unanswered,
    (on the first pages) with its validation errors, and answered; then the thank-you page."""
    page.goto(start_url)
    if page.locator("select#field").count():
        check(page, f"{label} field page")
        if errors:
            _click_next(page)
            check(page, f"{label} field page with error")
        page.select_option("select#field", index=1)
        _click_next(page)
    for number in range(1, 40):
        if "/cam-on" in page.url:
            check(page, f"{label} thank-you page")
            return number
        shown = page.eval_on_selector_all("[data-question]", VISIBLE_QUESTIONS)
        check(page, f"{label} page {number} unanswered")
        if errors and number == 1:
            _click_next(page)
            assert page.locator("#error-summary").is_visible()
            check(page, f"{label} page {number} with errors")
        element = q.element(q.questions[shown[0]].element_id)
        answer_visible_questions(page, element)
        check(page, f"{label} page {number} answered")
        _click_next(page)
    raise AssertionError(f"{label}: the survey did not end")


def test_citizen_pages_have_no_violations(app, live_server, contexts, make_wave, make_point,
                                          make_field):
    check = Checker()
    make_field("HT", name="Hộ tịch")
    sipas = make_wave(questionnaire="sipas")
    desk = make_wave(questionnaire="desk")
    sipas_point, desk_point = make_point(sipas.units[0]), make_point(desk.units[0])
    for width, lang in CONFIGS:
        page = contexts(width, lang)
        label = f"{width}px {lang}"
        walk_questionnaire(page, f"{live_server}/s/{sipas.code}/{sipas_point.code}",
                           load_bundled("sipas"), check, f"{label} sipas")
        walk_questionnaire(page, f"{live_server}/s/{desk.code}/{desk_point.code}",
                           load_bundled("desk"), check, f"{label} desk", errors=width == 360)
        page.goto(live_server + "/")
        check(page, f"{label} home")
        assert page.goto(f"{live_server}/s/NO-SUCH-WAVE/NO-POINT").status == 404
        check(page, f"{label} 404")
        # A tampered survey state is refused with a 400 page.
        page.goto(f"{live_server}/s/{desk.code}/{desk_point.code}")
        page.evaluate("document.querySelector('input[name=_state]').value = 'tampered'")
        with page.expect_navigation() as nav:
            page.click(NEXT)
        assert nav.value.status == 400
        check(page, f"{label} 400")
        page.goto(live_server + "/quan-ly/dang-nhap")
        check(page, f"{label} sign-in")
    check.assert_clean(minimum_pages=4 * 20)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Response.id))) == 8


def _sign_in(page, base, email, password=PASSWORD):
    page.goto(base + "/quan-ly/dang-nhap")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_official_pages_have_no_violations(app, live_server, contexts, province, make_user):
    with app.app_context():
        rows = db.session.scalars(select(Response).where(
            Response.wave_id == province.waves[1].id).limit(3)).all()
        for row, flag in zip(rows, ("too_fast", "straightline", "near_duplicate")):
            row.flags = [flag]
        db.session.commit()
    methodologist = make_user(role="methodologist")
    check = Checker()
    field = province.fields[0].code
    for index, (width, lang) in enumerate(CONFIGS):
        page = contexts(width, lang)
        label = f"{width}px {lang}"
        # The sign-in page with its error message.
        page.goto(live_server + "/quan-ly/dang-nhap")
        page.fill("#email", methodologist.email)
        page.fill("#password", "not the password")
        with page.expect_navigation():
            page.click("button[type=submit]")
        check(page, f"{label} sign-in refused")
        _sign_in(page, live_server, methodologist.email)
        for path in ("/quan-ly/", "/quan-ly/don-vi/TINH?wave=2026",
                     "/quan-ly/don-vi/TINH?wave=2025",
                     f"/quan-ly/don-vi/TINH?wave=2026&field={field}",
                     "/quan-ly/don-vi/TINH?wave=2026&channel=in_person",
                     f"/quan-ly/don-vi/XA-A?wave=2026&field={field}&channel=online",
                     "/quan-ly/don-vi/XA-C?wave=2026",
                     "/quan-ly/chat-luong/TINH?wave=2026", "/quan-ly/so-phieu"):
            page.goto(live_server + path)
            check(page, f"{label} {path}")
        # A decision on a flag (confirm, then clear, in turn) and its flash message.
        page.goto(live_server + "/quan-ly/chat-luong/TINH?wave=2026")
        decision = "confirmed" if index % 2 == 0 else "cleared"
        with page.expect_navigation():
            page.locator(f"#flagged-responses button[value={decision}]").first.click()
        check(page, f"{label} flags page after a decision")
        assert page.goto(live_server + "/quan-ly/don-vi/NO-SUCH-UNIT").status == 404
        check(page, f"{label} 404 signed in")
        assert page.goto(live_server + "/quan-ly/don-vi/TINH?wave=NO-SUCH-WAVE").status in (400, 404)
        check(page, f"{label} bad filter")
    check.assert_clean(minimum_pages=4 * 13)


def test_the_survey_can_be_completed_with_the_keyboard_alone(app, live_server, contexts,
                                                             make_wave, make_point, make_field):
    """Tab, Space, Enter and the arrow keys only: no mouse, no script filling fields."""
    make_field("HT", name="Hộ tịch")
    wave = make_wave(questionnaire="sipas")
    point = make_point(wave.units[0])
    page = contexts(360, "vi")
    page.goto(f"{live_server}/s/{wave.code}/{point.code}")
    chosen = {}
    for _ in range(40):
        if "/cam-on" in page.url:
            break
        _keyboard_page(page, chosen)
    assert "/cam-on" in page.url, page.url
    with app.app_context():
        rows = db.session.scalars(select(Response)).all()
    assert len(rows) == 1
    stored = rows[0].answers
    assert rows[0].service_field_id is not None
    for qid, value in chosen.items():
        if qid == "field":
            continue
        if qid in stored:
            # Stored values are typed (3, True, ["info"]); the form sent their text.
            assert str(stored[qid]).lower() == value or stored[qid] == [value], (qid, stored[qid], value)
    # Every question the keyboard answered is stored (none lost on the way).
    assert {q for q in chosen if q != "field"} <= set(stored)
    assert len(chosen) >= 20        # the whole SIPAS form, not a page or two


FOCUS = """() => { const e = document.activeElement; if (!e) return null;
  const group = e.name ? [...document.querySelectorAll(`[name="${e.name}"]`)] : [];
  return {tag: e.tagName, type: e.type || null, name: e.name || null, value: e.value || null,
          nav: e.getAttribute('name') === '_nav' ? e.value : null,
          checked: group.some(x => x.checked), selected: e.tagName === 'SELECT' ? e.value : null,
          min: e.min || null}; }"""


def _keyboard_page(page, chosen):
    """Answer the page on screen with the keyboard and send it with Enter."""
    url_before, html_before = page.url, page.content()
    for _ in range(600):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus is None:
            continue
        if focus["nav"] == "next":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
        if focus["tag"] == "SELECT" and not focus["selected"]:
            page.keyboard.press("ArrowDown")
            chosen[focus["name"]] = page.evaluate("() => document.activeElement.value")
        elif focus["type"] == "radio" and not focus["checked"]:
            page.keyboard.press("Space")
            chosen[focus["name"]] = page.evaluate("() => document.activeElement.value")
        elif focus["type"] == "checkbox" and not focus["checked"]:
            page.keyboard.press("Space")
            chosen[focus["name"]] = focus["value"]
        elif focus["type"] == "number" and focus["name"] not in chosen:
            page.keyboard.type(focus["min"] or "1")
            chosen[focus["name"]] = focus["min"] or "1"
    raise AssertionError(f"no Next button reached by Tab on {url_before}: {html_before[:500]}")


def test_the_survey_works_at_200_percent_text_on_a_phone(app, live_server, contexts, make_wave,
                                                         make_point, make_field):
    """The browser's text size at 200% (Chromium's default font size 16 → 32 px): no
    horizontal scrolling at 360 px, every control inside the screen, and sending works."""
    make_field("HT", name="Hộ tịch")
    wave = make_wave(questionnaire="sipas")
    point = make_point(wave.units[0])
    q = load_bundled("sipas")
    page = contexts(360, "vi")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    page.goto(f"{live_server}/s/{wave.code}/{point.code}")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 32
    pages = 0
    while "/cam-on" not in page.url and pages < 40:
        pages += 1
        _assert_fits(page)
        if page.locator("select#field").count():
            page.select_option("select#field", index=1)
        else:
            shown = page.eval_on_selector_all("[data-question]", VISIBLE_QUESTIONS)
            answer_visible_questions(page, q.element(q.questions[shown[0]].element_id))
            _assert_fits(page)
        _click_next(page)
    assert "/cam-on" in page.url
    _assert_fits(page)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Response.id))) == 1


def _assert_fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"horizontal scrolling ({width} px) on {page.url}"
    outside = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea, button, a[href]')]
      .filter(e => e.offsetParent !== null)
      .map(e => [e.name || e.id || e.textContent.trim().slice(0, 20), e.getBoundingClientRect()])
      .filter(([_, r]) => r.left < 0 || r.right > 360.5)
      .map(([n, r]) => `${n}: ${Math.round(r.left)}..${Math.round(r.right)}`)""")
    assert outside == [], f"controls outside the screen on {page.url}: {outside}"
