"""A province from nothing to a PDF, in a real browser: an administrator imports the sample
units, fields, points, wave and populations, opens the wave and creates a commune's
official; a citizen answers through the link; the official signs in with the generated
password, sees their commune and not its sibling, and downloads its PDF. Every step is on
the audit log, and no page breaks the Content-Security-Policy."""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from questionnaires import load_bundled
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response, ServicePoint, Unit, Wave, local_today
from survey.models_accounts import AuditEvent
from tests.browser.questionnaire_filling import answer_every_element
from tests.browser.test_csp import violations, watch
from tests.factories import USER_PASSWORD

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
COMMUNE, COMMUNE_NAME = "VD-X03", "Xã Suối Trong"
SIBLING, SIBLING_NAME = "VD-X04", "Xã Hòn Nhỏ"
OFFICIAL_EMAIL = "can-bo.suoi-trong@vidu.gov.vn"


def sample_waves(tmp_path) -> tuple[Path, str]:
    """The sample waves file and its wave's code; once its period has ended (it can then no
    longer be opened), a copy moved to the current year."""
    path = EXAMPLES / "waves.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1
    if dt.date.fromisoformat(rows[0]["end"]) >= local_today():
        return path, rows[0]["code"]
    year = local_today().year
    rows[0].update(start=f"{year}-01-01", end=f"{year}-12-31")
    moved = tmp_path / "waves.csv"
    with moved.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return moved, rows[0]["code"]


def new_page(browser, **options):
    """A desktop-sized page in a new browser context (its own cookies), watched for CSP reports."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", **options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page, watch(page)


def sign_in(page, base, email, password):
    page.goto(base + "/quan-ly/dang-nhap")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/dang-nhap" not in url)


def upload(page, base, table, path):
    """Upload ``path`` on the set-up page, check the preview and confirm it."""
    page.goto(base + "/quan-ly/quan-tri/thiet-lap/")
    page.set_input_files(f"#file-{table}", str(path))
    page.click(f"#{table} button[type=submit]")
    page.wait_for_selector("table.changes")
    assert violations(page) == [], table
    page.click("text=Ghi các thay đổi này")
    page.wait_for_selector(".flash")
    assert "đã ghi các thay đổi" in page.inner_text(".flash"), table


def test_province_from_set_up_to_pdf(browser, live_server, app, tmp_path, make_user):
    admin = make_user(role="administrator")
    waves_file, wave_code = sample_waves(tmp_path)

    # --- The administrator sets the province up and creates the commune's official.
    context, page, console = new_page(browser)
    sign_in(page, live_server, admin.email, USER_PASSWORD)
    for table in ("units", "fields", "points"):
        upload(page, live_server, table, EXAMPLES / f"{table}.csv")
    upload(page, live_server, "waves", waves_file)
    page.goto(live_server + "/quan-ly/quan-tri/thiet-lap/")
    page.select_option("#wave-populations", wave_code)
    upload_populations = EXAMPLES / "populations.csv"
    page.set_input_files("#file-populations", str(upload_populations))
    page.click("#populations button[type=submit]")
    page.wait_for_selector("table.changes")
    page.click("text=Ghi các thay đổi này")
    page.wait_for_selector(".flash")
    assert "đã ghi các thay đổi" in page.inner_text(".flash")

    row = page.locator("#waves tbody tr", has_text=wave_code)
    assert "nháp" in row.inner_text()                     # a new wave is a draft
    row.get_by_role("button", name="Mở").click()
    page.wait_for_selector(".flash")
    assert wave_code in page.inner_text(".flash")
    assert "đang mở" in page.locator("#waves tbody tr", has_text=wave_code).inner_text()

    page.goto(live_server + "/quan-ly/quan-tri/nguoi-dung")
    page.fill("#email", OFFICIAL_EMAIL)
    page.fill("#name", "Cán bộ Xã Suối Trong")
    page.select_option("#role", "official")
    page.fill("#units", COMMUNE)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#secret")
    password = page.inner_text("#secret").strip()
    assert len(password) >= 12
    page.goto(live_server + "/quan-ly/quan-tri/nguoi-dung")
    assert password not in page.content()                   # shown once only
    assert COMMUNE in page.locator(f"#users tr[data-email='{OFFICIAL_EMAIL}']").inner_text()
    assert violations(page) == []
    assert console == []
    context.close()

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 9
        assert db.session.scalar(select(func.count()).select_from(ServicePoint)) == 9
        assert db.session.scalar(select(Wave.status).where(Wave.code == wave_code)) == "open"
        point = db.session.scalar(select(ServicePoint.code).join(Unit, ServicePoint.unit_id == Unit.id)
                                  .where(Unit.code == COMMUNE))

    # --- A citizen answers the whole questionnaire through the commune's link.
    context, page, console = new_page(browser)
    page.goto(f"{live_server}/s/{wave_code}/{point}")
    assert "Phần 1/" in page.locator("#progress").inner_text()
    page.select_option("#field", "TP")
    page.get_by_role("button", name=re.compile("Tiếp")).click()
    answered = answer_every_element(page, load_bundled("sipas"))
    page.wait_for_url(re.compile(r"/cam-on"))
    assert "Cảm ơn" in page.content()
    assert violations(page) == []
    assert console == []
    context.close()
    with app.app_context():
        responses = db.session.scalars(select(Response)).all()
        assert len(responses) == 1
        assert responses[0].unit.code == COMMUNE
        assert responses[0].wave.code == wave_code
        assert responses[0].answers["channel"] == answered["channel"]

    # --- The official signs in with the generated password and gets the commune's PDF.
    context, page, console = new_page(browser, accept_downloads=True)
    sign_in(page, live_server, OFFICIAL_EMAIL, password)
    page.goto(live_server + "/quan-ly/")
    assert page.locator(".unit-tree a").all_text_contents() == [COMMUNE_NAME]
    assert SIBLING_NAME not in page.inner_text("main")
    assert page.goto(f"{live_server}/quan-ly/don-vi/{SIBLING}").status == 404
    page.goto(live_server + "/quan-ly/")
    page.click(f".unit-tree a:has-text('{COMMUNE_NAME}')")
    page.wait_for_url(f"**/quan-ly/don-vi/{COMMUNE}*")
    assert page.input_value("#f-wave") == wave_code
    assert violations(page) == []
    with page.expect_download() as info:
        page.click("#pdf-download")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        pdf = fh.read()
    assert pdf.startswith(b"%PDF")
    assert COMMUNE_NAME in "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    assert violations(page) == []
    assert console == []
    context.close()

    # --- Each step is on the audit log, with who did it.
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    by_admin = [e.action for e in events if e.actor_email == admin.email]
    for action in ("units.import", "fields.import", "points.import", "waves.import",
                   "populations.import", "wave.open", "user.created", "sign_in"):
        assert action in by_admin, action
    opened = next(e for e in events if e.action == "wave.open")
    assert opened.wave_code == wave_code
    by_official = [e for e in events if e.actor_email == OFFICIAL_EMAIL]
    assert [e.action for e in by_official] == ["sign_in", "report.downloaded"]
    report = by_official[1]
    assert (report.unit_code, report.wave_code, report.details["format"]) == (COMMUNE, wave_code, "pdf")
