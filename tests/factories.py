"""Model factories behind the ``make_*`` and ``create_response`` fixtures.

Each factory commits, so what it makes is visible to the test client and to other
threads.  Called inside an app context it uses that context's session (the objects stay
attached); called outside, it works in a short context of its own and returns objects
whose columns are loaded but which are detached (use ``db.session.get(Model, obj.id)`` in
a later context to work with relationships).
"""

import datetime as dt
import itertools
import uuid
from contextlib import contextmanager

import numpy as np
import pandas as pd
from flask import has_app_context
from sqlalchemy import delete, text

from analysis.synthetic import synthetic_responses
from questionnaires import Questionnaire, load_bundled
from survey.extensions import db
from survey.models import Response, ServiceField, ServicePoint, Unit, User, Wave, coarse_time, utcnow
from survey.models_accounts import SQLITE_APPEND_ONLY
from survey.services.accounts import hash_password
from survey.services.questionnaire_versions import load_version, register_version

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """Return a code not used before in this test session."""
    return f"{prefix}{next(_counter):04d}"


def empty_tables() -> None:
    """Delete every row of every table (children first); needs an app context."""
    # DELETE beats TRUNCATE on tables this small, and works the same on both backends.
    for table in reversed(db.metadata.sorted_tables):
        if table.name == "audit_events":
            _empty_audit_log()
        else:
            db.session.execute(delete(table))
    db.session.commit()


def _empty_audit_log() -> None:
    # The log refuses DELETE (triggers): only the test harness lifts that, to start empty.
    # TRUNCATE fires no row trigger on PostgreSQL; SQLite has none, so drop and recreate.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE audit_events"))
        return
    for name in ("audit_events_no_update", "audit_events_no_delete"):
        db.session.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    db.session.execute(text("DELETE FROM audit_events"))
    for statement in SQLITE_APPEND_ONLY:
        db.session.execute(text(statement))


USER_PASSWORD = "mật khẩu thử nghiệm 2026"
_hashes: dict[str, str] = {}


class UserFactory:
    """``make_user(email=None, *, role="official", units=(), password=USER_PASSWORD,
    active=True, name="")``: a user whose scope is ``units`` (Unit objects)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, email=None, *, role="official", units=(), password=USER_PASSWORD,
                 active=True, name="") -> User:
        email = email or f"{unique('user')}@test.example".lower()
        if password not in _hashes:
            # argon2 is slow on purpose: hash each test password once per session.
            _hashes[password] = hash_password(password)
        with _context(self.app):
            user = User(email=email, role=role, name=name, active=active,
                        password_hash=_hashes[password],
                        units=[db.session.get(Unit, u.id) for u in units])
            _saved(user)
            user.units  # noqa: B018
            return user


@contextmanager
def _context(app):
    if has_app_context():
        yield
    else:
        with app.app_context():
            yield


def _saved(obj):
    db.session.add(obj)
    db.session.commit()
    # Load the columns now so they stay readable once the session is gone.
    db.session.refresh(obj)
    return obj


class UnitFactory:
    """``make_unit(code=None, *, name=None, kind="commune", parent=None, name_en=None)``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, code=None, *, name=None, kind="commune", parent=None, name_en=None) -> Unit:
        code = code or unique("U")
        with _context(self.app):
            return _saved(Unit(code=code, name=name or f"Đơn vị {code}", name_en=name_en, kind=kind,
                               parent_id=parent.id if parent is not None else None))


class FieldFactory:
    """``make_field(code=None, *, name=None)``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, code=None, *, name=None) -> ServiceField:
        code = code or unique("F")
        with _context(self.app):
            return _saved(ServiceField(code=code, name=name or f"Lĩnh vực {code}"))


class PointFactory:
    """``make_point(unit=None, *, code=None, name=None, active=True)``."""

    def __init__(self, app, make_unit):
        self.app = app
        self.make_unit = make_unit

    def __call__(self, unit=None, *, code=None, name=None, active=True) -> ServicePoint:
        unit = unit if unit is not None else self.make_unit()
        code = code or unique("P")
        with _context(self.app):
            return _saved(ServicePoint(code=code, name=name or f"Bộ phận Một cửa {code}",
                                       unit_id=unit.id, active=active))


class WaveFactory:
    """``make_wave(code=None, *, questionnaire="sipas", units=None, status="open",
    starts_on=None, ends_on=None, name=None, is_demo=False)``."""

    def __init__(self, app, make_unit):
        self.app = app
        self.make_unit = make_unit

    def __call__(self, code=None, *, questionnaire="sipas", units=None, status="open",
                 starts_on: dt.date | None = None, ends_on: dt.date | None = None, name=None,
                 is_demo=False) -> Wave:
        code = code or unique("W")
        units = list(units) if units is not None else [self.make_unit(kind="province")]
        q = questionnaire if isinstance(questionnaire, Questionnaire) else load_bundled(questionnaire)
        with _context(self.app):
            version = register_version(q)
            wave = Wave(code=code, name=name or f"Đợt khảo sát {code}", status=status,
                        starts_on=starts_on, ends_on=ends_on, questionnaire_version_id=version.id,
                        is_demo=is_demo)
            wave.units = [db.session.get(Unit, u.id) for u in units]
            _saved(wave)
            # Load what tests read most while the object is still attached.
            wave.questionnaire_version  # noqa: B018
            wave.units  # noqa: B018
            return wave


def synthetic_answers(q: Questionnaire, seed: int) -> dict:
    """Return one believable, valid answer set of ``q`` (unanswered questions absent)."""
    frame = synthetic_responses(q, pd.DataFrame({"unit_code": ["X"]}), 1, seed=seed, fields=["f"])
    row = frame.iloc[0]
    answers = {}
    for qid in q.questions:
        if qid not in frame:
            continue
        value = row[qid]
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        answers[qid] = value.item() if isinstance(value, np.generic) else value
    return answers


class ResponseFactory:
    """``create_response(wave=None, point=None, *, answers=None, **columns)``."""

    def __init__(self, app, make_wave, make_point):
        self.app = app
        self.make_wave = make_wave
        self.make_point = make_point

    def __call__(self, wave=None, point=None, *, answers=None, **columns) -> Response:
        wave = wave if wave is not None else self.make_wave()
        if point is None:
            with _context(self.app):
                root_id = db.session.get(Wave, wave.id).units[0].id
            point = self.make_point(_Ref(root_id))
        with _context(self.app):
            if answers is None:
                version = db.session.get(Wave, wave.id).questionnaire_version
                answers = synthetic_answers(load_version(version), seed=next(_counter))
            values = {
                "wave_id": wave.id,
                "unit_id": point.unit_id,
                "service_point_id": point.id,
                "questionnaire_version_id": wave.questionnaire_version_id,
                "answers": answers,
                "submission_id": str(uuid.uuid4()),
                "duration_seconds": 240,
                "submitted_at": coarse_time(utcnow()),
                "channel": "in_person",
                "mode": "web",
                "flags": [],
            }
            values.update(columns)
            return _saved(Response(**values))


class _Ref:
    """Stands for a model object when only its id is known."""

    def __init__(self, id):
        self.id = id


def enrol_device(app, point, *, name="Máy tính bảng", questionnaire="desk") -> str:
    """Enrol a kiosk tablet at ``point``; return its credential (for ``Authorization: Device``)."""
    from survey.services import devices

    with _context(app):
        _, code = devices.create_enrolment_code(db.session.get(ServicePoint, point.id), name=name,
                                                questionnaire=questionnaire)
        _, token = devices.enrol(code)
        return token
