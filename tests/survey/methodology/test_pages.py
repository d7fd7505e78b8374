"""The questionnaire pages: who may open them, upload → problems or preview and diff →
publish, the preview rendered by the citizens' templates in both languages, downloads and
the version of a draft wave."""

import io
import re

from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEvent, QuestionnaireVersion, Response, Wave
from survey.services import questionnaire_publish as qp

from .helpers import broken_line, desk

BASE = "/quan-ly/bang-hoi"


def _upload(client, text, name="desk.yaml"):
    return client.post(f"{BASE}/kiem-tra", data={"file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def _token(html):
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_only_methodologists_and_administrators(app, sign_in_as, make_unit):
    unit = make_unit()
    for role, status in (("methodologist", 200), ("administrator", 200), ("official", 403),
                         ("desk_operator", 403)):
        client = sign_in_as(role, units=[unit] if role in ("official", "desk_operator") else ())
        assert client.get(f"{BASE}/").status_code == status, role
        assert _upload(client, desk("1")).status_code == (200 if status == 200 else 403)
    assert app.test_client().get(f"{BASE}/").status_code == 302


def test_upload_with_problems_names_their_places(app, sign_in_as):
    client = sign_in_as("methodologist")
    response = _upload(client, desk(broken=True))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (f"desk.yaml:{broken_line()}: elements[rating].questions[staff_polite].type: "
            "loại câu hỏi không xác định &#39;scael&#39;") in html
    assert "Phát hiện 2 vấn đề" in html or "2" in html
    assert 'name="token"' not in html
    with app.app_context():
        assert db.session.scalar(select(QuestionnaireVersion)) is None


def test_check_preview_publish(app, sign_in_as):
    client = sign_in_as("methodologist")
    with app.app_context():
        qp.publish(qp.check_upload(desk("1").encode(), "d.yaml").questionnaire)
    response = _upload(client, desk("2", reword=True))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "desk@1" in html and "<code>trips</code>" in html
    token = _token(html)
    frames = re.findall(r'<iframe class="preview-(phone|tablet)" width="(\d+)"[^>]*src="([^"]+)"', html)
    assert sorted({(k, w) for k, w, _ in frames}) == [("phone", "360"), ("tablet", "768")]
    assert {src.rsplit("/", 1)[1] for _, _, src in frames} == {"vi", "en"}
    for lang, title in (("vi", "Phiếu đánh giá nhanh"), ("en", "Quick satisfaction survey")):
        page = client.get(f"{BASE}/xem-truoc/{token}/{lang}")
        assert page.status_code == 200
        assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
        body = page.get_data(as_text=True)
        assert title in body and 'id="survey-form"' in body and f'<html lang="{lang}">' in body
    # Answering the preview moves through the pages and stores nothing.
    first = client.get(f"{BASE}/xem-truoc/{token}/en").get_data(as_text=True)
    state = re.search(r'name="_state"[^>]*value="([^"]+)"', first) or re.search(
        r'value="([^"]+)"[^>]*name="_state"', first)
    empty = client.post(f"{BASE}/xem-truoc/{token}/en/p/1", data={"_state": state.group(1), "_nav": "next"})
    assert empty.status_code == 422 and "error-summary" in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Response)) is None
    published = client.post(f"{BASE}/cong-bo", data={"token": token})
    assert published.status_code == 302
    with app.app_context():
        assert [r.version for r in qp.versions("desk")] == ["1", "2"]
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == qp.PUBLISHED)) is not None
    assert client.post(f"{BASE}/cong-bo", data={"token": token}).status_code == 302  # token used up
    index = client.get(f"{BASE}/").get_data(as_text=True)
    assert "đã được công bố" in index or "desk" in index


def test_changed_reused_id_is_refused_on_the_page(app, sign_in_as):
    client = sign_in_as("methodologist")
    with app.app_context():
        qp.publish(qp.check_upload(desk("1").encode(), "d.yaml").questionnaire)
    response = _upload(client, desk("2", codes=True))
    assert response.status_code == 422
    assert ("câu hỏi &#39;trips&#39;: các phương án trả lời là [1, 2, 3] trong phiên bản đã công bố 1"
            in response.get_data(as_text=True))


def test_preview_of_an_unknown_token_is_404(sign_in_as):
    client = sign_in_as("methodologist")
    assert client.get(f"{BASE}/xem-truoc/{'x' * 32}/vi").status_code == 404
    assert client.get(f"{BASE}/xem-truoc/{'x' * 32}/fr").status_code == 404


def test_downloads(app, sign_in_as):
    client = sign_in_as("methodologist")
    with app.app_context():
        row, _ = qp.publish(qp.check_upload(desk("1").encode(), "d.yaml").questionnaire)
        version_id = row.id
    yaml_file = client.get(f"{BASE}/phien-ban/{version_id}.yaml")
    assert yaml_file.status_code == 200 and b"id: desk" in yaml_file.data
    assert client.get(f"{BASE}/phien-ban/{version_id}.xlsx").data.startswith(b"PK")
    assert client.get(f"{BASE}/phien-ban/{version_id}.csv").status_code == 404
    assert client.get(f"{BASE}/phien-ban/99999.yaml").status_code == 404


def test_wave_version_by_administrators_only(app, sign_in_as, make_wave, create_response):
    with app.app_context():
        v1, _ = qp.publish(qp.check_upload(desk("1").encode(), "d.yaml").questionnaire)
        v2, _ = qp.publish(qp.check_upload(desk("2", rename=True).encode(), "d.yaml").questionnaire)
        v2_id = v2.id
    draft = make_wave(questionnaire=qp.check_upload(desk("1").encode(), "d.yaml").questionnaire,
                      status="draft")
    methodologist = sign_in_as("methodologist")
    assert methodologist.post(f"{BASE}/dot/{draft.code}", data={"version": v2_id}).status_code == 403
    admin = sign_in_as("administrator")
    assert admin.post(f"{BASE}/dot/NO-SUCH", data={"version": v2_id}).status_code == 404
    assert admin.post(f"{BASE}/dot/{draft.code}", data={"version": "x"}).status_code == 400
    assert admin.post(f"{BASE}/dot/{draft.code}", data={"version": v2_id}).status_code == 302
    with app.app_context():
        assert db.session.get(Wave, draft.id).questionnaire_version_id == v2_id
    answered = make_wave(questionnaire="desk", status="draft")
    create_response(answered)
    page = admin.post(f"{BASE}/dot/{answered.code}", data={"version": v2_id}, follow_redirects=True)
    assert "giữ phiên bản" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Wave, answered.id).questionnaire_version_id != v2_id


def test_uploads_are_bounded(sign_in_as):
    client = sign_in_as("methodologist")
    response = _upload(client, "#" * (qp.MAX_UPLOAD_BYTES + 128 * 1024))
    assert response.status_code == 413
    assert "Tệp lớn hơn 2 MB." in response.get_data(as_text=True)
    garbage = client.post(f"{BASE}/kiem-tra", data={"file": (io.BytesIO(b"PK\x03\x04junk"), "f.xlsx")},
                          content_type="multipart/form-data")
    assert garbage.status_code == 422 and "f.xlsx" in garbage.get_data(as_text=True)


def test_preview_switches_language_and_ends_without_storing(app, sign_in_as):
    client = sign_in_as("methodologist")
    token = _token(_upload(client, desk("1")).get_data(as_text=True))
    first = client.get(f"{BASE}/xem-truoc/{token}/vi").get_data(as_text=True)
    state = re.search(r'name="_state"[^>]*value="([^"]+)"', first).group(1)
    english = client.post(f"{BASE}/xem-truoc/{token}/vi/p/1", data={"_state": state, "_nav": "lang_en"})
    assert english.status_code == 200 and '<html lang="en">' in english.get_data(as_text=True)
    assert "Quick satisfaction survey" in english.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Response)) is None
