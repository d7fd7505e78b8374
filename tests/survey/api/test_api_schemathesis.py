"""Schemathesis against the generated OpenAPI document: no operation answers 5xx.

Cases come from the document itself (random bodies, path parameters and headers); each is
sent as generated, then again with a valid kiosk credential and with a valid personal
token, so the checks behind the credentials are reached too.  Bounded: ``EXAMPLES`` cases
per operation.  Nothing is stored unless the API said 201.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response, User
from survey.services import api_tokens
from tests.factories import enrol_device
from tests.survey.public.helpers import mini_questionnaire

EXAMPLES = 60


@pytest.fixture
def app_config():
    # Hundreds of requests from one client: the limits have their own tests.
    return {"RATELIMIT_SUBMIT_PER_ADDRESS": "100000 per minute",
            "RATELIMIT_SUBMIT_PER_POINT": "100000 per minute",
            "RATELIMIT_SUBMIT_PER_DEVICE": "100000 per minute",
            "RATELIMIT_SUBMIT_PER_CODE": "100000 per minute",
            "RATELIMIT_API_PER_TOKEN": "100000 per minute"}


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_no_operation_answers_5xx(app, make_wave, make_point, make_user, create_response):
    wave = make_wave(questionnaire=mini_questionnaire())
    point = make_point(wave.units[0])
    create_response(wave, point)
    device = {"Authorization": f"Device {enrol_device(app, point)}"}
    user = make_user(role="administrator")
    with app.app_context():
        token = api_tokens.create_token(db.session.get(User, user.id), "schemathesis")[1]
    bearer = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /api/v1/responses",
                                               "GET /api/v1/units/{unit_code}/waves/{wave_code}/results",
                                               "GET /api/v1/waves/{wave_code}/questionnaire"}
    statuses: dict[int, int] = {}
    created = 0
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), credential=st.sampled_from([None, device, bearer]))
        def run(case, credential):
            nonlocal created
            if credential is not None:
                case.headers = {**(case.headers or {}), **credential}
            response = case.call()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            created += response.status_code == 201
            assert response.status_code < 500, (case.method, case.formatted_path,
                                                response.status_code, response.text[:500])
        run()
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 1 + created
    print(f"\nschemathesis: {sum(statuses.values())} requests, statuses {sorted(statuses.items())}")
