"""One-time invitation codes: stored as digests, open their questionnaire once, friendly
refusals (vi/en), redemption atomic with the response, the PDF/UA sheet, CSV and command."""

import csv
import datetime as dt
import io
import re

import pdfua
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response, ServiceField, ServicePoint, Wave
from survey.models_invitations import InvitationCode
from survey.services import invitations
from survey.services.code_sheets import CSV_COLUMNS, sheet_csv, sheet_pdf
from survey.services.responses import store_response
from tests.survey.public.helpers import (answer_survey, default_answer, mini_questionnaire,
                                         page_text, post_page, visible_questions)


@pytest.fixture
def setting(app, make_wave, make_point, make_field):
    """An open mini wave, a point and a field: ``(wave, point, field)``."""
    wave = make_wave(questionnaire=mini_questionnaire())
    point = make_point(wave.units[0], name="Bộ phận Một cửa xã Hoà Bình")
    field = make_field("HT", name="Hộ tịch")
    return wave, point, field


def issue(app, setting, count=3):
    wave, point, field = setting
    with app.app_context():
        return invitations.issue_codes(db.session.get(Wave, wave.id),
                                       db.session.get(ServicePoint, point.id),
                                       db.session.get(ServiceField, field.id), count)[1]


def code_rows(app):
    with app.app_context():
        return list(db.session.scalars(select(InvitationCode)))


def count(app, **where):
    with app.app_context():
        query = select(func.count(Response.id))
        for column, value in where.items():
            query = query.where(getattr(Response, column) == value)
        return db.session.scalar(query)


def test_codes_are_typable_random_and_stored_only_as_digests(app, setting):
    codes = issue(app, setting, count=50)
    assert len(set(codes)) == 50
    for code in codes:
        assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{5}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{5}", code)
    rows = code_rows(app)
    assert len(rows) == 50 and all(r.used_on is None for r in rows)
    stored_text = " ".join(f"{r.code_hash} {r.batch}" for r in rows)
    for code in codes:
        assert invitations.normalize_code(code) not in stored_text
    with app.app_context():
        # The digest is keyed: without the secret key the code cannot be tried offline.
        assert {r.code_hash for r in rows} == {invitations.code_hash(c) for c in codes}
        app.config["SECRET_KEY"] = "another-key" * 4
        assert invitations.code_hash(codes[0]) not in {r.code_hash for r in rows}
    # 31 symbols, 10 characters: about 49.5 bits.
    assert len(invitations.CODE_ALPHABET) ** invitations.CODE_LENGTH > 2 ** 49


def test_typing_is_forgiving(app, setting):
    code = issue(app, setting, count=1)[0]
    with app.app_context():
        for typed in (code, code.lower(), code.replace("-", " "), f"  {code.replace('-', '')} "):
            assert invitations.find_code(typed).id == code_rows(app)[0].id


def test_a_code_opens_its_questionnaire_once(app, client, setting):
    wave, point, field = setting
    code = issue(app, setting, count=1)[0]
    first = client.get(f"/ma/{code.replace('-', '')}")
    assert first.status_code == 200
    # The field is the code's: no field page.
    assert 'name="field"' not in first.get_data(as_text=True)
    done, _ = answer_survey(client, first, mini_questionnaire())
    assert done.status_code == 303 and done.headers["Location"].endswith("/cam-on")
    with app.app_context():
        row = db.session.scalar(select(Response))
        assert (row.mode, row.service_point_id, row.service_field_id) == ("code", point.id, field.id)
    assert code_rows(app)[0].used_on is not None
    again = client.get(f"/ma/{code}")
    assert again.status_code == 410
    assert "Mã này đã được sử dụng" in page_text(again)
    en = client.get(f"/ma/{code}", headers={"Accept-Language": "en"}, )
    assert en.status_code == 410
    assert count(app) == 1


def test_a_code_used_while_the_form_was_open_is_refused_kindly(app, client, setting):
    code = issue(app, setting, count=1)[0]
    other_client = app.test_client()
    one, other = client.get(f"/ma/{code}"), other_client.get(f"/ma/{code}")
    assert answer_survey(client, one, mini_questionnaire())[0].status_code == 303
    last = answer_until_not_a_page(other_client, other)
    assert last.status_code == 410 and "Mã này đã được sử dụng" in page_text(last)
    assert count(app) == 1


def answer_until_not_a_page(client, response):
    """Answer page after page; return the first answer that is not a survey page."""
    q = mini_questionnaire()
    for _ in range(30):
        if response.status_code not in (200, 422) or "_state" not in response.get_data(as_text=True):
            return response
        answers = {qid: default_answer(q.questions[qid]) for qid in visible_questions(response)}
        response = post_page(client, response, {k: v for k, v in answers.items() if v})
    raise AssertionError("the survey did not end")


@pytest.mark.parametrize("lang, unknown, expired", [
    ("vi", "Không tìm thấy mã này", "Đợt khảo sát đã kết thúc"),
    ("en", "We could not find this code", "This survey has ended"),
])
def test_unknown_and_expired_codes_get_a_friendly_page(app, client, setting, lang, unknown,
                                                         expired):
    client.set_cookie("lang", lang)
    for typed in ("2345678923", "x", "ABC-DEF-GHJK-LMNP-QRST"):
        page = client.get(f"/ma/{typed}")
        assert page.status_code == 404 and unknown in page_text(page)
    code = issue(app, setting, count=1)[0]
    with app.app_context():
        db.session.get(Wave, setting[0].id).status = "closed"
        db.session.commit()
    page = client.get(f"/ma/{code}")
    assert page.status_code == 410 and expired in page_text(page)


def test_the_code_form_sends_to_the_code(client):
    page = client.get("/ma")
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)
    sent = client.get("/ma?code=abcde-fghjk")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/ma/ABCDEFGHJK")


def test_code_lookups_are_rate_limited_per_address(app, client, setting):
    app.config["RATELIMIT_CODE_LOOKUP_PER_ADDRESS"] = "3 per minute"
    statuses = [client.get(f"/ma/234567892{i}").status_code for i in range(5)]
    assert statuses == [404] * 3 + [429] * 2


def test_redemption_is_atomic_with_the_response(app, setting, monkeypatch):
    """A failure after the code is marked used leaves it unused and stores nothing."""
    code = issue(app, setting, count=1)[0]
    wave, point, field = setting

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    # The INSERT is built after the code's UPDATE, in the same transaction: break it there.
    monkeypatch.setattr("survey.services.responses._insert", broken)
    with app.app_context():
        invitation = invitations.find_code(code)
        with pytest.raises(RuntimeError):
            store_response(wave=db.session.get(Wave, wave.id),
                           service_point=db.session.get(ServicePoint, point.id),
                           answers={"overall": 5}, submission_id="5b0e8a5e-4a40-4e40-9c7c-6f0c4ad0d001",
                           started_at=None, mode="code", invitation=invitation)
        db.session.rollback()
    assert code_rows(app)[0].used_on is None and count(app) == 0
    monkeypatch.undo()
    with app.app_context():
        invitation = invitations.find_code(code)
        _row, created = store_response(wave=db.session.get(Wave, wave.id),
                                       service_point=db.session.get(ServicePoint, point.id),
                                       answers={"overall": 5},
                                       submission_id="5b0e8a5e-4a40-4e40-9c7c-6f0c4ad0d002",
                                       started_at=None, mode="code", invitation=invitation)
        assert created
        with pytest.raises(invitations.InvitationError) as used:
            store_response(wave=db.session.get(Wave, wave.id),
                           service_point=db.session.get(ServicePoint, point.id),
                           answers={"overall": 5},
                           submission_id="5b0e8a5e-4a40-4e40-9c7c-6f0c4ad0d003",
                           started_at=None, mode="code", invitation=invitation)
        assert used.value.reason == "used"
    assert count(app) == 1 and code_rows(app)[0].used_on is not None


def _sheet(app, setting, codes, lang):
    wave, point, field = setting
    with app.test_request_context():
        return sheet_pdf(codes, point=db.session.get(ServicePoint, point.id),
                         field=db.session.get(ServiceField, field.id),
                         wave=db.session.get(Wave, wave.id),
                         base_url="https://sipas.example.vn", lang=lang)


@pytest.mark.parametrize("lang, labels", [
    ("vi", ["Điểm tiếp nhận:", "Lĩnh vực:", "Đợt khảo sát:", "Mã:", "Địa chỉ:"]),
    ("en", ["Point:", "Field:", "Wave:", "Code:", "Address:"]),
])
def test_the_code_sheet_passes_pdf_ua_and_shows_every_label(app, setting, tmp_path, lang, labels):
    codes = issue(app, setting, count=10)
    pdf = _sheet(app, setting, codes, lang)
    path = tmp_path / "codes.pdf"
    path.write_bytes(pdf)
    report = pdfua.validate(str(path))
    counts = report.count_by_severity()
    assert counts[pdfua.Severity.ERROR] == 0 and counts[pdfua.Severity.WARNING] == 0, \
        [f.to_dict() for f in report.findings]
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2                     # 8 slips a page
    text = "\n".join(page.extract_text() for page in reader.pages)
    for label in labels:
        assert label in text
    for code in codes:
        assert code in text
    assert "Bộ phận Một cửa xã Hoà Bình" in text and "Hộ tịch" in text
    assert reader.trailer["/Root"]["/Lang"] == lang


def test_the_csv_lists_codes_that_work(app, setting):
    wave, point, field = setting
    codes = issue(app, setting, count=4)
    with app.app_context():
        text = sheet_csv(codes, point=db.session.get(ServicePoint, point.id),
                         field=db.session.get(ServiceField, field.id),
                         wave=db.session.get(Wave, wave.id), base_url="https://sipas.example.vn/")
        rows = list(csv.reader(io.StringIO(text)))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert [r[3] for r in rows[1:]] == codes
        for r in rows[1:]:
            assert r[:3] == [point.code, "HT", wave.code]
            assert r[4] == "https://sipas.example.vn/ma/" + r[3].replace("-", "")
            assert invitations.find_code(r[3]).service_point_id == point.id


def test_the_command_writes_pdf_and_csv(app, runner, setting, tmp_path):
    wave, point, field = setting
    out = tmp_path / "codes.csv"
    result = runner.invoke(args=["invitation-codes", wave.code, point.code, "--field", "HT",
                                 "--count", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text("utf-8").splitlines()) == 6
    pdf = tmp_path / "codes.pdf"
    result = runner.invoke(args=["invitation-codes", wave.code, point.code, "--count", "2",
                                 "--out", str(pdf)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert len(code_rows(app)) == 7
    bad = runner.invoke(args=["invitation-codes", "NOPE", point.code, "--count", "2",
                              "--out", str(out)])
    assert bad.exit_code != 0 and "unknown wave" in bad.output


def test_officials_download_codes_for_their_points_only(app, setting, sign_in_as, make_unit,
                                                        make_point):
    wave, point, field = setting
    client = sign_in_as("official", units=[wave.units[0]])
    page = client.get("/quan-ly/ma-moi")
    assert page.status_code == 200 and point.code in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    data = {"point": point.code, "field": "HT", "wave": wave.code, "count": "3", "format": "csv"}
    if token:
        data["csrf_token"] = token.group(1)
    got = client.post("/quan-ly/ma-moi", data=data)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert len(got.get_data(as_text=True).splitlines()) == 4
    outside = make_point(make_unit())
    refused = client.post("/quan-ly/ma-moi", data={**data, "point": outside.code})
    assert refused.status_code == 422
    assert len(code_rows(app)) == 3
    desk = sign_in_as("desk_operator", units=[wave.units[0]])
    assert desk.get("/quan-ly/ma-moi").status_code == 403
