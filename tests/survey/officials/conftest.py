"""Fixtures of the officials' pages: a signed-in client and a small province.

The province has two communes, two service fields and two waves (2025 and 2026) with
responses in both, so that filters, previous-wave arrows and rank changes have data.
"""

import datetime as dt
from dataclasses import dataclass

import pytest

import numpy as np
import pandas as pd

from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled
from survey.extensions import db
from survey.models import Population
from survey.public.flow import channel_of

from tests.factories import USER_PASSWORD as PASSWORD

PER_COMMUNE = 40        # enough for a commune's figures to pass the presentation standard


def sign_in(client, email, password=PASSWORD, next_url=None):
    """Post the sign-in form; return the response (not followed)."""
    data = {"email": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/quan-ly/dang-nhap", data=data)


@pytest.fixture
def official(client, sign_in_as):
    """``client`` signed in as a methodologist (who reads the results of every unit);
    scoped officials are tested in ``test_authorisation`` and ``test_scope``."""
    return sign_in_as("methodologist", client=client)


@dataclass
class Province:
    """What ``province`` made: units, fields and the two waves."""

    root: object
    communes: list
    points: list
    fields: list
    waves: list        # oldest first
    empty: object      # a commune without any responses


def answer_rows(q, n, seed):
    """Return ``n`` believable answer sets of ``q`` (one synthetic frame, then its rows)."""
    frame = synthetic_responses(q, pd.DataFrame({"unit_code": ["X"]}), n, seed=seed, fields=["f"])
    rows = []
    for _, row in frame.iterrows():
        answers = {}
        for qid in q.questions:
            value = row.get(qid)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            answers[qid] = value.item() if isinstance(value, np.generic) else value
        rows.append(answers)
    return rows


def _populate(app, wave, units, fields, dossiers=400):
    with app.app_context():
        for unit in units:
            for field in fields:
                db.session.add(Population(wave_id=wave.id, unit_id=unit.id,
                                          service_field_id=field.id, dossiers=dossiers))
        db.session.commit()


@pytest.fixture
def province(app, make_unit, make_point, make_field, make_wave, create_response):
    """Build the province described in the module docstring."""
    root = make_unit("TINH", name="Tỉnh Thử Nghiệm", kind="province", name_en="Test Province")
    communes = [make_unit("XA-A", name="Xã Đông Hưng", parent=root),
                make_unit("XA-B", name="Phường Bắc Sơn", parent=root)]
    empty = make_unit("XA-C", name="Xã Tân Lập", parent=root)
    points = [make_point(u) for u in communes]
    fields = [make_field("DD", name="Đất đai"), make_field("TP", name="Tư pháp")]
    waves = [make_wave("2025", units=[root], status="closed", name="Năm 2025",
                       starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31)),
             make_wave("2026", units=[root], name="Năm 2026", starts_on=dt.date(2026, 1, 1))]
    q = load_bundled("sipas")
    for w, wave in enumerate(waves):
        _populate(app, wave, communes + [empty], fields)
        answer_sets = iter(answer_rows(q, 2 * PER_COMMUNE, seed=w + 1))
        for point in points:
            for i in range(PER_COMMUNE):
                answers = next(answer_sets)
                create_response(wave, point, answers=answers,
                                service_field_id=fields[i % 2].id,
                                channel=channel_of(answers))
    return Province(root=root, communes=communes, points=points, fields=fields,
                    waves=waves, empty=empty)
