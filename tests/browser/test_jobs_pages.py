"""Background jobs in a real browser: an official starts the bulk reports from the
dashboard, watches the progress page update itself (jobs.js, no inline script), and
downloads the ZIP; a failed export shows its reason and a retry button. axe-core (WCAG
2.2 A/AA) finds nothing on the job pages, in Vietnamese and English.
"""

import zipfile

import pytest

from tests.survey.officials.conftest import PASSWORD, province  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def app_config(tmp_path):
    return {"JOBS_DIR": str(tmp_path / "jobs")}


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate(Axe().axe_script)
    result = page.evaluate("opts => axe.run(document, opts)",
                           {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_bulk_reports_progress_and_download(browser, live_server, province, make_user, app, lang):
    user = make_user(role="official", units=[province.root])
    context = browser.new_context(viewport={"width": 1024, "height": 900}, accept_downloads=True,
                                  locale="vi-VN" if lang == "vi" else "en-GB")
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(live_server + "/quan-ly/dang-nhap")
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(live_server + "/quan-ly/don-vi/TINH?wave=2026")
        page.select_option("#bulk-which", "children")
        with page.expect_navigation():
            page.click("#bulk-start")
        assert "/quan-ly/tac-vu/" in page.url
        assert axe_violations(page) == []
        # The page updates itself and reloads once the job is done (three reports).
        page.wait_for_selector("#job-download", timeout=240_000)
        assert axe_violations(page) == []
        with page.expect_download(timeout=60_000) as info:
            page.click("#job-download")
        archive = zipfile.ZipFile(info.value.path())
        assert len(archive.namelist()) == 3
        page.goto(live_server + "/quan-ly/tac-vu/")
        assert page.locator("#jobs tbody tr").count() == 1
        assert axe_violations(page) == []

        # A failed export: its reason and the retry button, accessible too.
        app.config["EXPORT_MAX_ROWS_IN_MEMORY"] = 1
        page.goto(live_server + "/quan-ly/don-vi/TINH?wave=2026")
        with page.expect_navigation():
            page.evaluate("document.getElementById('export-job-form').action = "
                          "document.getElementById('export-job-form').action.replace('.csv', '.sav')")
            page.click("#export-job")
        page.wait_for_selector("#job-retry", timeout=120_000)
        assert page.locator("#job-error").count() == 1
        assert axe_violations(page) == []
    finally:
        context.close()
    assert errors == []
