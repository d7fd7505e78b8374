"""The survey in a real phone-sized browser: instant relevance, no horizontal scroll."""

import pytest

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_questions_appear_and_disappear_as_answers_change(phone, live_server, mini_link):
    errors = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.goto(live_server + "/s/%s/%s" % mini_link)
    assert phone.text_content("#progress") == "Phần 1/3"
    assert phone.is_hidden("#q-apology")
    assert no_horizontal_scroll(phone)
    phone.click("label[for=late-0]")                   # "Có": the apology is asked
    assert phone.is_visible("#q-apology")
    phone.click("label[for=late-1]")                   # "Không": hidden (and not sent)
    assert phone.is_hidden("#q-apology")
    assert phone.is_disabled("#apology-0")
    phone.click("label[for=late-0]")
    phone.click("label[for=apology-1]")
    phone.click("label[for=channel-0]")
    phone.fill("#visits", "2")
    with phone.expect_navigation():
        phone.click("button[value=next]")
    assert phone.text_content("#progress") == "Phần 2/3"
    assert phone.is_visible("#q-seats")
    assert no_horizontal_scroll(phone)
    assert errors == []


def test_error_page_fits_a_phone_and_the_summary_links_to_the_field(phone, live_server, mini_link):
    phone.goto(live_server + "/s/%s/%s" % mini_link)
    phone.fill("#visits", "99")
    with phone.expect_navigation():
        phone.click("button[value=next]")
    assert phone.is_visible(".error-summary")
    assert phone.get_attribute(".error-summary a[href='#q-visits']", "href") == "#q-visits"
    assert no_horizontal_scroll(phone)
    # Big targets: every answer row is at least 48 px tall.
    heights = phone.eval_on_selector_all("fieldset:not([hidden]) .choice label",
                                         "els => els.map(e => e.offsetHeight)")
    assert heights and min(heights) >= 48
