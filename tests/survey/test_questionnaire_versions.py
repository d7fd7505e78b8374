"""Registering questionnaire versions: idempotent, immutable, read back from the database."""

import dataclasses

import pytest
from sqlalchemy import func, select

from questionnaires import load_bundled
from survey.extensions import db
from survey.models import QuestionnaireVersion
from survey.services.questionnaire_versions import VersionConflict, load_version, register_version


def test_register_is_idempotent(app):
    q = load_bundled("sipas")
    with app.app_context():
        first = register_version(q)
        again = register_version(load_bundled("sipas"))
        assert again.id == first.id
        assert db.session.scalar(select(func.count(QuestionnaireVersion.id))) == 1
        assert (first.qid, first.version, first.content_hash) == (q.id, q.version, q.content_hash)
        assert first.title == q.title["vi"] and first.published_at is not None


def test_changed_content_under_the_same_version_is_refused(app):
    q = load_bundled("desk")
    changed = dataclasses.replace(q, title={**q.title, "vi": q.title["vi"] + " (sửa)"})
    assert changed.content_hash != q.content_hash
    with app.app_context():
        register_version(q)
        with pytest.raises(VersionConflict):
            register_version(changed)
        # A new version of the changed definition is fine.
        assert register_version(dataclasses.replace(changed, version="2")).version == "2"


def test_load_version_round_trips_and_is_cached(app):
    q = load_bundled("sipas")
    with app.app_context():
        row_id = register_version(q).id
    with app.app_context():
        row = db.session.get(QuestionnaireVersion, row_id)
        loaded = load_version(row)
        assert loaded.content_hash == q.content_hash == row.content_hash
        assert list(loaded.questions) == list(q.questions)
        assert load_version(row) is loaded
