"""An administrator sets up a province in a real browser: uploads the sample units,
fields and points, sees the preview, confirms, and an invalid file writes nothing; no page
breaks the Content-Security-Policy."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import ServicePoint, Unit
from tests.browser.test_csp import violations, watch
from tests.factories import USER_PASSWORD as PASSWORD

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_administrator_imports_the_sample_files(browser, live_server, app, tmp_path, make_user):
    admin = make_user(role="administrator")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    console = watch(page)
    page.goto(live_server + "/quan-ly/quan-tri/thiet-lap/")
    page.fill("#email", admin.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/quan-ly/quan-tri/thiet-lap/")
    broken = tmp_path / "units.csv"
    broken.write_text("code,name,kind,parent_code\nVD,Tỉnh,province,\nVD,Xã,commune,VD\n", encoding="utf-8")
    page.set_input_files("#file-units", str(broken))
    page.click("#units button[type=submit]")
    page.wait_for_selector("table.problems")
    assert "Mã “VD” đã có ở dòng 2." in page.inner_text("table.problems")
    assert page.locator("input[name=token]").count() == 0
    for table in ("units", "fields", "points"):
        page.goto(live_server + "/quan-ly/quan-tri/thiet-lap/")
        page.set_input_files(f"#file-{table}", str(EXAMPLES / f"{table}.csv"))
        page.click(f"#{table} button[type=submit]")
        page.wait_for_selector("table.changes")
        assert violations(page) == []
        page.click("text=Ghi các thay đổi này")
        page.wait_for_selector(".flash")
        assert "đã ghi các thay đổi" in page.inner_text(".flash")
    assert violations(page) == []
    assert console == []
    context.close()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 9
        assert db.session.scalar(select(func.count()).select_from(ServicePoint)) == 9
