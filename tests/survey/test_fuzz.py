"""Standing fuzz test (hypothesis): random and malformed requests to every public route.

Bodies, form fields, query arguments, headers, cookies and paths are generated at random
(arbitrary bytes percent-encoded into URLs, JSON of any shape, lone surrogates, NUL, huge
and tiny numbers) and sent to the home page, the survey link, the field page and the
element pages (form posts with a real signed state), the thank-you page, the language
switch, the JSON API and random paths — on both databases.  Every answer must be below
500, and a request that was not accepted (201 from the API, 303 to the thank-you page)
must store nothing.  The number of requests is printed at the end of the module (run
with ``-s`` to see it), with the count of each status code.
"""

import json
from collections import Counter
import re
import uuid
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from survey.extensions import db
from survey.models import Response
from tests.factories import enrol_device
from tests.survey.public.helpers import hidden_value, mini_questionnaire

API = "/api/v1/responses"
QUESTION_IDS = list(mini_questionnaire().questions)
# Bounded so that the module stays within about a minute per database backend.
FUZZ = settings(max_examples=250, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
TRIED = {"requests": 0, "5xx": 0}
STATUSES = Counter()


@pytest.fixture
def app_config():
    # Thousands of requests from one address: the limits have their own tests.
    return {"RATELIMIT_SUBMIT_PER_ADDRESS": "100000 per minute",
            "RATELIMIT_SUBMIT_PER_POINT": "100000 per minute",
            "RATELIMIT_SUBMIT_PER_DEVICE": "100000 per minute"}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES.items()))
    print(f"\nfuzz: {TRIED['requests']} requests tried, {TRIED['5xx']} answered 5xx "
          f"(statuses {statuses})")


@pytest.fixture
def site(app, client, make_wave, make_point, make_field):
    """The mini questionnaire's link, a field, the signed states of a fresh survey (with and
    without the field page), and one stored submission id (for duplicates)."""
    wave = make_wave(questionnaire=mini_questionnaire())
    point = make_point(wave.units[0])
    make_field("TP", name="Tư pháp")
    # The API is reached as a kiosk of the point (unless a drawn header replaces it).
    client.environ_base["HTTP_AUTHORIZATION"] = f"Device {enrol_device(app, point)}"
    with_field = client.get(f"/s/{wave.code}/{point.code}")
    without = client.get(f"/s/{wave.code}/{point.code}?field=TP")
    stored_id = str(uuid.uuid4())
    body = {"wave": wave.code, "point": point.code, "submission_id": stored_id,
            "answers": {"channel": "in_person", "visits": 2, "late": False, "seats": 4,
                        "overall": 5}}
    assert client.post(API, json=body).status_code == 201
    return {"wave": wave.code, "point": point.code, "stored_id": stored_id,
            "states": [hidden_value(with_field, "_state"), hidden_value(without, "_state")]}


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


def check(app, client, method, url, **kwargs):
    """Send one request; assert no 5xx and nothing stored unless it was accepted."""
    # The test client would read "//x" as a host name (the server sees a path either way).
    url = "/" + url.lstrip("/")
    before = count(app)
    response = client.open(url, method=method, **kwargs)
    TRIED["requests"] += 1
    STATUSES[response.status_code] += 1
    if response.status_code >= 500:
        TRIED["5xx"] += 1
    assert response.status_code < 500, (method, url, kwargs, response.get_data(as_text=True)[:500])
    added = count(app) - before
    accepted = response.status_code == 201 or (
        response.status_code == 303 and "/cam-on" in response.headers.get("Location", ""))
    assert added == (1 if response.status_code == 201 else added if accepted else 0), (
        method, url, kwargs, response.status_code)
    assert added in (0, 1)
    return response


# --- strategies ---------------------------------------------------------------------------
raw_bytes = st.binary(max_size=40)
segment = st.one_of(raw_bytes.map(lambda b: quote(b, safe="")), st.text(max_size=20).map(
    lambda t: quote(t.encode("utf-8", "surrogatepass"), safe="")))
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                        any_text, st.sampled_from([10**400, -1, 0, 13, 21, "na", "", "x\ud800y",
                                                   "\x00", "in_person", "online_full"]))
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(any_text, inner, max_size=4), max_leaves=12)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
headers = st.fixed_dictionaries({}, optional={
    "Accept-Language": st.one_of(header_text, st.sampled_from(["vi", "en", "fr", "*", "en;q=x"])),
    "Content-Type": st.one_of(header_text, st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded",
         "multipart/form-data; boundary=x", "application/json; charset=latin-1"])),
    "X-Forwarded-For": header_text, "Cookie": header_text.map(lambda t: "lang=" + t),
})
# Mostly no query: random bytes in one are refused at once, and the fuzz should go deeper.
query = st.one_of(st.just(""), st.just(""), st.lists(st.tuples(raw_bytes, raw_bytes), max_size=4).map(
    lambda pairs: "?" + urlencode(pairs) if pairs else ""))
form_names = st.one_of(st.sampled_from(QUESTION_IDS + ["field", "_nav", "csrf_token", "_state"]),
                       st.text(max_size=10))
choices = st.sampled_from(["1", "2", "5", "13", "na", "true", "false", "in_person", "online_full",
                          "info", "staff", "TP", "unknown", "next", "back", "lang_en", ""])
form_values = st.one_of(choices, choices, choices, st.text(max_size=30),
                        st.text(max_size=3).map(lambda t: t + "\x00"))
navs = st.one_of(st.sampled_from(["next", "next", "back", "lang_en", "lang_vi"]), form_values)


def encode_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


@st.composite
def api_bodies(draw, site):
    """A body near the real shape (some fields replaced or dropped), or anything at all."""
    kind = draw(st.sampled_from(["near", "near", "near", "json", "raw"]))
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return encode_json(draw(json_value))
    body = {"wave": site["wave"], "point": site["point"], "field": "TP",
            "submission_id": draw(st.one_of(st.uuids().map(str), st.just(site["stored_id"]),
                                            any_text)),
            "started_at": draw(st.one_of(st.none(), st.datetimes().map(lambda d: d.isoformat()),
                                         any_text)),
            "answers": draw(st.dictionaries(st.one_of(st.sampled_from(QUESTION_IDS), any_text),
                                            json_value, max_size=8))}
    for key in draw(st.lists(st.sampled_from(list(body)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del body[key]
        else:
            body[key] = draw(json_value)
    if not draw(st.integers(0, 5)):
        body[draw(any_text)] = draw(json_value)
    return encode_json(body)


# --- the tests ----------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_fuzz_api(app, client, site, data):
    body = data.draw(api_bodies(site))
    extra = data.draw(headers)
    if data.draw(st.integers(0, 4)):       # mostly the right type, to reach the checks
        extra["Content-Type"] = "application/json"
    check(app, client, "POST", API + data.draw(query), data=body, headers=extra)


@FUZZ
@given(data=st.data())
def test_fuzz_survey_pages(app, client, site, data):
    """Form posts to the field page and the element pages, with a real or a broken state."""
    state = data.draw(st.one_of(st.sampled_from(site["states"]), st.sampled_from(site["states"]),
                                st.sampled_from(site["states"]), st.text(max_size=30)))
    names = st.one_of(st.sampled_from(QUESTION_IDS + ["field"]), form_names)
    fields = data.draw(st.lists(st.tuples(names, form_values), max_size=8))
    form = [("_state", state), ("_nav", data.draw(navs))] + fields
    number = data.draw(st.one_of(st.integers(0, 7), st.integers()))
    wave = data.draw(st.one_of(st.just(site["wave"]), st.just(site["wave"]), segment))
    url = f"/s/{wave}/{site['point']}/p/{number}"
    check(app, client, "POST", url + data.draw(query), data=MultiDict(form),
          headers={k: v for k, v in data.draw(headers).items() if k != "Content-Type"})


@FUZZ
@given(data=st.data())
def test_fuzz_gets(app, client, site, data):
    """The home page, survey links, thank-you, language switch and random paths."""
    w, p = site["wave"], site["point"]
    wave = data.draw(st.one_of(st.just(w), st.just(w), segment))
    point = data.draw(st.one_of(st.just(p), st.just(p), segment))
    url = data.draw(st.sampled_from([
        "/", f"/s/{wave}/{point}", f"/s/{wave}/{point}/cam-on", f"/lang/{wave}",
        f"/lang/en", f"/s/{wave}/{point}/p/1", "/" + "/".join([wave, point]),
        "/static-q/expressions.js", f"/static/{point}"]))
    method = data.draw(st.sampled_from(["GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]))
    args = data.draw(st.one_of(query, st.just(f"?field={quote(data.draw(raw_bytes))}"),
                               st.just("?next=" + quote(data.draw(raw_bytes)))))
    check(app, client, method, url + args, headers=data.draw(headers))


def test_fuzz_counted(site):
    """Guards the tests above against passing vacuously."""
    assert TRIED["requests"] > 0 and TRIED["5xx"] == 0
