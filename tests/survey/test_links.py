"""Resolving survey links: every reason a link cannot take answers."""

import datetime as dt

import pytest

from survey.extensions import db
from survey.models import ServicePoint
from survey.services.links import SurveyLinkError, find_survey


def _reason(wave_code, point_code, **kwargs):
    with pytest.raises(SurveyLinkError) as caught:
        find_survey(wave_code, point_code, **kwargs)
    return caught.value.reason


def test_open_wave_and_point_below_its_unit(app, make_unit, make_wave, make_point):
    with app.app_context():
        province = make_unit(kind="province")
        commune = make_unit(kind="commune", parent=province)
        wave = make_wave("W2026", units=[province])
        point = make_point(commune, code="DESK-1")
        found_wave, found_point = find_survey("W2026", "DESK-1")
        assert (found_wave.id, found_point.id) == (wave.id, point.id)


def test_unknown_wave_and_point(app, make_wave, make_point):
    with app.app_context():
        wave = make_wave("W1")
        make_point(wave.units[0], code="P1")
        assert _reason("NOPE", "P1") == "unknown_wave"
        assert _reason("W1", "NOPE") == "unknown_point"


def test_inactive_point_is_unknown(app, make_wave, make_point):
    with app.app_context():
        wave = make_wave("W1")
        make_point(wave.units[0], code="P1", active=False)
        assert _reason("W1", "P1") == "unknown_point"


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_wave_not_open(app, make_wave, make_point, status):
    with app.app_context():
        wave = make_wave("W1", status=status)
        make_point(wave.units[0], code="P1")
        assert _reason("W1", "P1") == "closed"


def test_wave_dates_bound_the_open_period(app, make_wave, make_point):
    with app.app_context():
        wave = make_wave("W1", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 31))
        make_point(wave.units[0], code="P1")
        assert _reason("W1", "P1", today=dt.date(2026, 2, 28)) == "closed"
        assert _reason("W1", "P1", today=dt.date(2026, 4, 1)) == "closed"
        assert find_survey("W1", "P1", today=dt.date(2026, 3, 31))[0].code == "W1"


def test_point_outside_the_wave_scope(app, make_unit, make_wave, make_point):
    with app.app_context():
        province = make_unit(kind="province")
        elsewhere = make_unit(kind="province")
        make_wave("W1", units=[province])
        make_point(make_unit(parent=elsewhere), code="FAR")
        # A point of the province itself, above nothing in scope, is inside.
        make_point(province, code="NEAR")
        assert _reason("W1", "FAR") == "out_of_scope"
        assert find_survey("W1", "NEAR")[1].code == "NEAR"


def test_point_moved_into_scope_is_accepted(app, make_unit, make_wave, make_point):
    with app.app_context():
        province = make_unit(kind="province")
        make_wave("W1", units=[province])
        point = make_point(make_unit(kind="commune"), code="P1")
        assert _reason("W1", "P1") == "out_of_scope"
        db.session.get(ServicePoint, point.id).unit.parent_id = province.id
        db.session.commit()
        assert find_survey("W1", "P1")[1].code == "P1"
