"""An official in a real browser: sign in, open a dashboard, change the wave, get the PDF."""

import io

import pytest
from pypdf import PdfReader

from tests.survey.officials.conftest import PASSWORD, province  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(browser):
    """A page in a desktop-sized browser context, in Vietnamese, that accepts downloads."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def test_official_changes_the_wave_and_downloads_the_pdf(desk, live_server, province, make_user):
    user = make_user(role="official", units=[province.communes[0]])
    errors = []
    desk.on("pageerror", lambda error: errors.append(str(error)))

    desk.goto(live_server + "/quan-ly/don-vi/XA-A")
    assert "/quan-ly/dang-nhap" in desk.url                  # not signed in yet
    desk.fill("#email", user.email)
    desk.fill("#password", "wrong password")
    desk.click("button[type=submit]")
    # The refusal is a new page: wait for it rather than race the navigation.
    desk.wait_for_selector("[role=alert]")
    desk.fill("#email", user.email)
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url("**/quan-ly/don-vi/XA-A")               # back where the official wanted

    assert desk.input_value("#f-wave") == "2026"               # the latest wave by default
    latest = desk.text_content("#overall-value")
    assert latest.endswith("%")

    # Choosing a wave submits the filters by itself (officials.js).
    with desk.expect_navigation():
        desk.select_option("#f-wave", "2025")
    assert "wave=2025" in desk.url
    earlier = desk.text_content("#overall-value")
    assert earlier != latest

    with desk.expect_download(timeout=60_000) as info:
        desk.click("#pdf-download", timeout=60_000)   # a PDF with trend and breakdowns, on a busy machine
    download = info.value
    assert download.suggested_filename == "Báo cáo SIPAS - Xã Đông Hưng - 2025.pdf"
    data = open(download.path(), "rb").read()
    assert data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert "Xã Đông Hưng" in text
    assert "2025" in text
    # A sibling commune is outside the official's scope: as if it did not exist.
    response = desk.goto(live_server + "/quan-ly/don-vi/XA-B")
    assert response.status == 404
    desk.goto(live_server + "/quan-ly/")
    assert desk.locator(".unit-tree a").all_text_contents() == ["Xã Đông Hưng"]
    assert errors == []


def test_ranking_table_sorts_by_a_click(desk, live_server, province, make_user):
    user = make_user(role="official", units=[province.root])
    desk.goto(live_server + "/quan-ly/dang-nhap")
    desk.fill("#email", user.email)
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.goto(live_server + "/quan-ly/don-vi/TINH?wave=2026")
    codes = lambda: desk.eval_on_selector_all("#children tbody tr", "rows => rows.map(r => r.dataset.unit)")
    ranked = codes()
    # no data (and too few answers to rank, under the presentation standard): after the ranked
    assert ranked.index("XA-C") > ranked.index("XA-B")
    desk.click("#children thead th:nth-child(2) button")       # by name, A→Z
    by_name = codes()
    assert by_name[:2] == ["XA-B", "XA-A"]                     # Phường Bắc Sơn < Xã Đông Hưng
    desk.click("#children thead th:nth-child(3) button")       # by index, ascending
    assert desk.get_attribute("#children thead th:nth-child(3)", "aria-sort") == "ascending"
    assert codes().index("XA-C") > codes().index("XA-B")       # still after, without a value
