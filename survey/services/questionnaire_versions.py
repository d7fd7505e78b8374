"""Registering questionnaire versions in the database and reading them back."""

from collections import OrderedDict
from threading import Lock

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from questionnaires import Questionnaire

from ..extensions import db
from ..models import QuestionnaireVersion, utcnow

_CACHE_SIZE = 32
_cache: OrderedDict[str, Questionnaire] = OrderedDict()
_cache_lock = Lock()


class VersionConflict(ValueError):
    """A (qid, version) already published with different content: published versions are immutable."""


def _check_same(row: QuestionnaireVersion, q: Questionnaire) -> QuestionnaireVersion:
    if row.content_hash != q.content_hash:
        raise VersionConflict(
            f"questionnaire {q.id!r} version {q.version!r} is already published with other "
            f"content; give the changed definition a new version"
        )
    return row


def register_version(q: Questionnaire, *, publish: bool = True, commit: bool = True) -> QuestionnaireVersion:
    """Store ``q`` as a version (once) and commit (unless ``commit=False``); return its row.

    Registering the same definition again returns the existing row.  Raises
    ``VersionConflict`` when (id, version) exists with a different content hash.
    """
    query = select(QuestionnaireVersion).where(
        QuestionnaireVersion.qid == q.id, QuestionnaireVersion.version == q.version
    )
    row = db.session.scalar(query)
    if row is not None:
        return _check_same(row, q)
    now = utcnow()
    row = QuestionnaireVersion(
        qid=q.id,
        version=q.version,
        title=q.text(q.title, "vi")[:500],
        definition=q.to_dict(),
        content_hash=q.content_hash,
        created_at=now,
        published_at=now if publish else None,
    )
    # Two workers registering the bundled definition at start-up race on (qid, version).
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        existing = db.session.scalar(query)
        if existing is None:
            raise
        return _check_same(existing, q)
    if commit:
        db.session.commit()
    return row


def load_version(row: QuestionnaireVersion) -> Questionnaire:
    """Return the definition a version row stores, parsed once per content hash."""
    with _cache_lock:
        q = _cache.get(row.content_hash)
        if q is not None:
            _cache.move_to_end(row.content_hash)
            return q
    q = Questionnaire.from_dict(row.definition)
    with _cache_lock:
        _cache[row.content_hash] = q
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return q


def compiled_version(version_id: int, content_hash: str | None = None) -> Questionnaire:
    """Return the definition of version ``version_id``, compiled once per content hash.

    With the ``content_hash`` (the cached survey-link look-up carries it) a compiled
    definition costs no query at all; otherwise, or the first time, the row is read.
    """
    if content_hash is not None:
        with _cache_lock:
            q = _cache.get(content_hash)
            if q is not None:
                _cache.move_to_end(content_hash)
                return q
    return load_version(db.session.get(QuestionnaireVersion, version_id))
