"""The web survey answered page by page: relevance, navigation, storing exactly once."""

import html
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from questionnaires import load_bundled
from survey.extensions import db
from survey.models import Response

from .helpers import (all_questions, answer_survey, checked_values, form_action,
                      hidden_value, input_value, mini_questionnaire, page_text, post_page,
                      progress, visible_questions)

VI_CATALOGUE = (Path(__file__).resolve().parents[3]
                / "translations" / "vi" / "LC_MESSAGES" / "messages.po")
FIRST_PAGE = {"channel": "in_person", "visits": "2", "late": "false"}


@pytest.fixture
def sipas():
    return load_bundled("sipas")


@pytest.fixture
def link(make_wave, make_point, make_field):
    """A SIPAS survey link: (wave code, point code), with one service field 'land'."""
    wave = make_wave(questionnaire="sipas")
    point = make_point(wave.units[0])
    make_field("land", name="Đất đai")
    return wave.code, point.code


def stored(app):
    with app.app_context():
        return list(db.session.scalars(select(Response)))


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


def test_link_shows_title_description_and_asks_the_service_field(client, link):
    response = client.get("/s/%s/%s" % link)
    text = page_text(response)
    assert response.status_code == 200
    assert "Phiếu khảo sát sự hài lòng" in text
    assert "khoảng 5 phút" in text                       # the description
    assert "Thủ tục của Ông/Bà thuộc lĩnh vực nào?" in text
    assert '<option value="land">Đất đai</option>' in text
    # The field page, then the ten pages of the form (its local additions included).
    assert progress(response) == "Phần 1/10"
    assert visible_questions(response) == []
    # Nothing in English on a Vietnamese page.
    for english in ("Next", "Part 1", "Choose a field", "Language"):
        assert english not in text


def test_field_in_the_link_skips_the_field_question(client, link):
    response = client.get("/s/%s/%s?field=land" % link)
    assert 'name="field"' not in response.get_data(as_text=True)
    assert visible_questions(response)[:2] == ["respondent_type", "channel"]
    assert progress(response) == "Phần 1/9"


def test_sipas_answered_page_by_page_with_the_apology(app, client, link, sipas):
    start = client.get("/s/%s/%s" % link)
    final, visited = answer_survey(client, start, sipas, {
        "field": "land", "result_received": "true", "late": "true", "apology": "true"})
    assert final.status_code == 303
    assert final.headers["Location"].endswith("/s/%s/%s/cam-on" % link)
    # The apology question was not shown until "late" was answered yes.
    service_pages = [v for v in visited if "channel" in v]
    assert "apology" not in service_pages[0]
    assert "apology" in service_pages[-1]
    rows = stored(app)
    assert len(rows) == 1
    row = rows[0]
    assert row.answers["late"] is True and row.answers["apology"] is True
    assert row.answers["access_info"] == 4 and row.answers["channel"] == "in_person"
    assert row.channel == "in_person" and row.mode == "web"
    assert row.service_field_id is not None
    assert row.duration_seconds is not None and 0 <= row.duration_seconds < 600
    assert row.submitted_at.minute == row.submitted_at.second == 0
    assert re.fullmatch(r"[0-9a-f-]{36}", row.submission_id)


def test_apology_is_never_asked_when_not_late(app, client, link, sipas):
    start = client.get("/s/%s/%s?field=land" % link)
    assert all_questions(start)["apology"] is False        # rendered hidden for JS
    final, visited = answer_survey(client, start, sipas, {"result_received": "true",
                                                          "late": "false"})
    assert final.status_code == 303
    assert all("apology" not in shown for shown in visited)
    row = stored(app)[0]
    assert row.answers["late"] is False and "apology" not in row.answers


def test_online_channel_hides_premises_questions_and_is_stored_as_online(app, client, link,
                                                                         sipas):
    start = client.get("/s/%s/%s?field=land" % link)
    final, visited = answer_survey(client, start, sipas, {"channel": "online_full"})
    assert final.status_code == 303
    access = next(v for v in visited if "access_info" in v)
    assert "access_signage" not in access and "trips" not in visited[0]
    assert stored(app)[0].channel == "online"


def test_irrelevant_element_page_is_skipped(app, client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    assert progress(start) == "Phần 1/3"
    assert visible_questions(start) == ["channel", "visits", "late"]
    response = post_page(client, start, {"channel": "online_full", "visits": "2",
                                         "late": "false"})
    assert response.status_code == 200
    # The premises page is skipped: straight to the last page, now "2 of 2".
    assert "seats" not in all_questions(response)
    assert visible_questions(response) == ["info", "topics", "comments", "overall"]
    assert progress(response) == "Phần 2/2"
    final = post_page(client, response, {"overall": "5"})
    assert final.status_code == 303
    row = stored(app)[0]
    assert row.answers == {"channel": "online_full", "visits": 2, "late": False,
                           "overall": 5}
    assert row.channel == "online" and row.service_field_id is None


def test_back_and_forward_keep_answers(client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    premises = post_page(client, start, {"channel": "in_person", "visits": "3",
                                         "late": "false"})
    assert visible_questions(premises) == ["seats"]
    last = post_page(client, premises, {"seats": "na"})
    last = post_page(client, last, {"topics": ["info", "online"], "comments": "Tốt",
                                     "overall": "2"}, nav="back")
    # Back from the last page (its answers kept), then back again to the first page.
    assert checked_values(last, "seats") == ["na"]
    first = post_page(client, last, {"seats": "na"}, nav="back")
    assert checked_values(first, "channel") == ["in_person"]
    assert input_value(first, "visits") == "3"
    assert checked_values(first, "late") == ["false"]
    assert "Quay lại" not in page_text(first)                 # no page before the first
    # Forward again: every later answer is still there.
    premises = post_page(client, first, {"channel": "in_person", "visits": "3",
                                         "late": "false"})
    assert checked_values(premises, "seats") == ["na"]
    last = post_page(client, premises, {"seats": "na"})
    assert checked_values(last, "topics") == ["info", "online"]
    assert input_value(last, "comments") == "Tốt"
    assert checked_values(last, "overall") == ["2"]


def test_changing_an_answer_drops_answers_that_no_longer_apply(app, client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    premises = post_page(client, start, {"channel": "in_person", "visits": "1",
                                         "late": "false"})
    last = post_page(client, premises, {"seats": "3"})
    premises = post_page(client, last, {}, nav="back")
    first = post_page(client, premises, {"seats": "3"}, nav="back")
    last = post_page(client, first, {"channel": "online_full", "visits": "1",
                                     "late": "false"})
    assert visible_questions(last) == ["info", "topics", "comments", "overall"]
    assert post_page(client, last, {"overall": "4"}).status_code == 303
    assert "seats" not in stored(app)[0].answers


def test_double_submission_stores_one_response(app, client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    last = post_page(client, start, {"channel": "online_full", "visits": "1",
                                     "late": "false"})
    first = post_page(client, last, {"overall": "4"})
    again = post_page(client, last, {"overall": "4"})            # double click / reload
    changed = post_page(client, last, {"overall": "1"})          # back and resubmit
    for response in (first, again, changed):
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/cam-on")
    rows = stored(app)
    assert len(rows) == 1 and rows[0].answers["overall"] == 4


def test_two_openings_are_two_submissions(app, client, mini_link):
    for _ in range(2):
        start = client.get("/s/%s/%s" % mini_link)
        last = post_page(client, start, {"channel": "online_full", "visits": "1",
                                         "late": "false"})
        assert post_page(client, last, {"overall": "4"}).status_code == 303
    assert count(app) == 2


def test_thank_you_page_identifies_nothing(app, client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    last = post_page(client, start, {"channel": "online_full", "visits": "7",
                                     "late": "false"})
    done = post_page(client, last, {"overall": "4", "comments": "Rất tốt"})
    thanks = client.get(done.headers["Location"])
    text = page_text(thanks)
    assert thanks.status_code == 200
    assert "Cảm ơn Ông/Bà đã trả lời!" in text
    row = stored(app)[0]
    assert row.submission_id not in text and "Rất tốt" not in text
    assert 'href="/s/%s/%s"' % mini_link in text


def test_nothing_personal_is_stored(app, client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    last = post_page(client, start, {"channel": "online_full", "visits": "1",
                                     "late": "false"})
    post_page(client, last, {"overall": "4"}, extra={})
    columns = set(Response.__table__.columns.keys())
    assert not columns & {"ip", "ip_address", "remote_addr", "name", "phone", "user_agent"}
    assert "127.0.0.1" not in json.dumps(stored(app)[0].answers)


def test_page_carries_relevance_trees_and_the_evaluator(client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    body = start.get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="survey-relevance">'
                                r"(.*?)</script>", body, re.S).group(1))
    assert [q["id"] for q in data["questions"]] == ["channel", "visits", "late", "apology"]
    apology = data["questions"][3]
    assert apology["relevant"] == mini_questionnaire().questions["apology"].relevant.tree
    src = re.search(r'<script src="(/static-q/expressions\.js\?v=[0-9a-f]{12})"', body).group(1)
    script = client.get(src)
    assert script.status_code == 200
    assert "SipasExpr" in script.get_data(as_text=True)
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Later pages send the earlier answers along, for conditions that look back.
    premises = post_page(client, start, {"channel": "in_person", "visits": "2",
                                         "late": "false"})
    data = json.loads(re.search(r'id="survey-relevance">(.*?)</script>',
                                premises.get_data(as_text=True), re.S).group(1))
    assert data["answers"] == {"channel": "in_person", "visits": 2, "late": False}


def test_explanations_and_accessible_markup(client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    premises = post_page(client, start, {"channel": "in_person", "visits": "2",
                                         "late": "false"})
    text = page_text(premises)
    assert "<details class=\"explain\">" in text and "Ghế chờ tại Bộ phận Một cửa." in text
    assert "Điều này nghĩa là gì?" in text
    assert '<legend id="q-seats-label">Đủ chỗ ngồi' in text
    for label in ("Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng",
                  "Rất hài lòng", "Không có ý kiến"):
        assert f'<span class="choice-text">{label}</span>' in text
    assert text.count('type="radio"') == 6 and 'for="seats-0"' in text


def test_english_switch_shows_english(client, mini_link):
    switch = client.get("/lang/en?next=/s/%s/%s" % mini_link)
    assert switch.status_code == 302 and switch.headers["Location"] == "/s/%s/%s" % mini_link
    assert "lang=en" in switch.headers["Set-Cookie"]
    page = client.get("/s/%s/%s" % mini_link)
    text = page_text(page)
    assert '<html lang="en">' in text
    assert progress(page) == "Part 1 of 3"
    assert "Test questionnaire" in text and "How you applied" in text
    assert "Next" in text and "Tiếp tục" not in text
    client.get("/lang/vi?next=/")
    assert progress(client.get("/s/%s/%s" % mini_link)) == "Phần 1/3"


def test_switching_language_inside_the_survey_keeps_answers(client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    premises = post_page(client, start, {"channel": "in_person", "visits": "2",
                                         "late": "false"})
    english = post_page(client, premises, {"seats": "5"}, nav="lang_en")
    assert english.status_code == 200
    assert "lang=en" in english.headers["Set-Cookie"]
    assert "Premises" in page_text(english) and "Enough seats" in page_text(english)
    assert checked_values(english, "seats") == ["5"]
    assert progress(english) == "Part 2 of 3"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_language_switch_refuses_foreign_targets(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_demo_wave_shows_the_demo_banner(client, make_wave, make_point):
    wave = make_wave(questionnaire=mini_questionnaire(), is_demo=True)
    point = make_point(wave.units[0])
    text = page_text(client.get(f"/s/{wave.code}/{point.code}"))
    assert "DỮ LIỆU MẪU / DEMO" in text


def test_no_demo_banner_on_a_real_wave(client, mini_link):
    assert "DỮ LIỆU MẪU" not in page_text(client.get("/s/%s/%s" % mini_link))


def test_a_bare_get_of_a_page_url_starts_over(client, mini_link):
    response = client.get("/s/%s/%s/p/2" % mini_link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/s/%s/%s" % mini_link


def test_state_and_csrf_fields_are_in_the_form(client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    assert hidden_value(start, "_state")
    assert form_action(start) == "/s/%s/%s/p/1" % mini_link


def visible_text(response) -> str:
    """Return the text a reader sees: tags, scripts and the language names removed."""
    body = re.sub(r"<script.*?</script>", " ", response.get_data(as_text=True), flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(body).replace("English", "")


def test_no_english_leaks_into_vietnamese_pages(client, mini_link):
    # The longest literal piece of every English message of two words or more.
    with VI_CATALOGUE.open("rb") as f:
        pieces = [max(re.split(r"%\(\w+\)s", m.id), key=len).strip()
                  for m in read_po(f) if m.id]
    english = [p for p in pieces if " " in p and len(p) >= 8]
    start = client.get("/s/%s/%s" % mini_link)
    error = post_page(client, start, {"channel": "in_person", "visits": "99"})
    premises = post_page(client, start, FIRST_PAGE)
    last = post_page(client, premises, {"seats": "4"})
    thanks = client.get(post_page(client, last, {"overall": "4"}).headers["Location"])
    missing = client.get("/s/nope/nope")
    for response in (start, error, premises, last, thanks, missing):
        text = visible_text(response)
        leaks = [piece for piece in english if piece in text]
        assert leaks == [], response.request.path
    # The same check sees English on an English page, so it would notice a leak.
    client.set_cookie("lang", "en")
    assert any(piece in visible_text(client.get("/s/%s/%s" % mini_link)) for piece in english)


def test_a_citizen_still_waiting_for_the_result_skips_the_result_questions(app, client, link,
                                                                           sipas):
    start = client.get("/s/%s/%s?field=land" % link)
    final, visited = answer_survey(client, start, sipas, {"result_received": "false"})
    assert final.status_code == 303
    results = [q.id for q in sipas.questions.values() if q.element_id == "results"]
    assert all(qid not in shown for shown in visited for qid in results + ["late", "apology"])
    row = stored(app)[0]
    assert row.answers["result_received"] is False
    assert not set(results + ["late", "apology"]) & set(row.answers)
    assert row.answers["respondent_type"] in ("individual", "organisation")
