"""The Content-Security-Policy holds in a real browser: no page of the survey or of the
officials' dashboard triggers a violation (an inline script, style or handler would)."""

import pytest

from tests.survey.officials.conftest import PASSWORD, province  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

# Recorded from the first byte of every page, before any of its own scripts run.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def watch(page):
    """Collect CSP reports from the console and the violation events of ``page``."""
    console = []
    page.add_init_script(LISTEN)
    page.on("console", lambda m: console.append(m.text)
            if "Content Security Policy" in m.text else None)
    return console


def violations(page) -> list:
    return page.evaluate("window.__csp")


def test_survey_pages_have_no_csp_violation(phone, live_server, mini_link):
    console = watch(phone)
    phone.goto(live_server + "/s/%s/%s" % mini_link)
    phone.click("label[for=late-0]")
    assert phone.is_visible("#q-apology")          # the external scripts ran
    assert violations(phone) == []
    phone.fill("#visits", "99")
    with phone.expect_navigation():
        phone.click("button[value=next]")          # the 422 page
    assert violations(phone) == []
    phone.goto(live_server + "/nowhere")            # an error page
    assert violations(phone) == []
    assert console == []


def test_officials_pages_have_no_csp_violation(browser, live_server, province, make_user):
    user = make_user(role="administrator")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    console = watch(page)
    page.goto(live_server + "/quan-ly/don-vi/TINH")
    assert violations(page) == []
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/quan-ly/don-vi/TINH")
    page.wait_for_selector("#overall-value")
    assert violations(page) == []
    for path in ("/quan-ly/", "/quan-ly/diem-tiep-nhan", "/quan-ly/quan-tri/nguoi-dung",
                 f"/quan-ly/quan-tri/nguoi-dung/{user.id}", "/quan-ly/quan-tri/nhat-ky"):
        page.goto(live_server + path)
        assert violations(page) == [], path
    assert console == []
    context.close()
