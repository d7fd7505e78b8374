"""Kiosk tablets: issue one-time enrolment codes, enrol a tablet with one, authenticate a
tablet by its credential, revoke it.

The credential is 256 random bits the tablet keeps and sends as ``Authorization: Device
<token>``; only its SHA-256 digest is stored.  Enrolment codes are short (typed on a
tablet), so their digest is keyed with the app's secret key: a copy of the database alone
does not let anyone try all codes offline.  Codes expire after ``ENROLMENT_MINUTES`` and
work once: redeeming is one conditional UPDATE, so of two tablets using one code at the
same moment exactly one is enrolled.  Enrolment and revocation are audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import ServicePoint, User, coarse_time, utcnow
from ..models_devices import DEVICE_QUESTIONNAIRES, Device, EnrolmentCode
from . import audit
from .short_codes import ALPHABET, format_code, keyed_hash, new_code, normalize_code  # noqa: F401 (format_code, normalize_code: used as devices.*)

ENROLMENT_MINUTES = 15
# No 0/O, 1/I/L: the code is read off a screen and typed on a tablet.
CODE_ALPHABET = ALPHABET
CODE_LENGTH = 8
MAX_NAME_LENGTH = 100
# "Authorization: Device <token>"
AUTH_SCHEME = "Device"
# The id of the bundled short questionnaire (questionnaires/desk.yaml).
DESK_QID = "desk"

DEVICE_ENROLLED = "device.enrolled"
DEVICE_REVOKED = "device.revoked"
ENROLMENT_CODE_ISSUED = "device.code_issued"


class DeviceError(ValueError):
    """A refused device operation; ``reason`` is a stable word, ``str()`` says more."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


def _code_hash(code: str) -> str:
    return keyed_hash(code)


def token_hash(token: str) -> str:
    """Return the stored digest of a device token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise DeviceError("name", f"a device name has 1 to {MAX_NAME_LENGTH} characters")
    return name


def create_enrolment_code(point: ServicePoint, *, name: str, questionnaire: str = "desk",
                          actor: User | None = None, minutes: int = ENROLMENT_MINUTES,
                          now: dt.datetime | None = None) -> tuple[EnrolmentCode, str]:
    """Issue a one-time code that enrols a tablet called ``name`` at ``point``; commit.

    Returns the stored row and the code in clear (shown once, never stored).
    ``questionnaire`` is ``"desk"`` (the short one) or ``"full"``.
    """
    if questionnaire not in DEVICE_QUESTIONNAIRES:
        raise DeviceError("questionnaire", f"questionnaire is one of {DEVICE_QUESTIONNAIRES}")
    if not point.active:
        raise DeviceError("inactive_point", "the service point is closed")
    if not 1 <= minutes <= 24 * 60:
        raise DeviceError("minutes", "a code lives 1 minute to 1 day")
    now = now or utcnow()
    code = new_code(CODE_LENGTH)
    row = EnrolmentCode(code_hash=_code_hash(code), service_point_id=point.id,
                        device_name=_check_name(name), questionnaire=questionnaire,
                        created_by_id=actor.id if actor is not None else None,
                        created_at=now, expires_at=now + dt.timedelta(minutes=minutes))
    db.session.add(row)
    db.session.flush()
    audit.record(ENROLMENT_CODE_ISSUED, actor=actor, unit=point.unit,
                 details={"point": point.code, "device": row.device_name,
                          "questionnaire": questionnaire, "code_id": row.id})
    db.session.commit()
    return row, code


def enrol(code: str, *, now: dt.datetime | None = None) -> tuple[Device, str]:
    """Redeem ``code``: create the device, commit, return it and its token (shown once).

    Raises ``DeviceError`` with reason ``invalid`` for an unknown, used or expired code
    (the three are not told apart: that would help guessing) and ``inactive_point`` when
    the point has been closed since.
    """
    now = now or utcnow()
    normalized = normalize_code(code)
    if not normalized or len(normalized) > 32:
        raise DeviceError("invalid")
    digest = _code_hash(normalized)
    # The conditional UPDATE is the lock: only one transaction sees a row it changed.
    claimed = db.session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.code_hash == digest, EnrolmentCode.used_at.is_(None),
               EnrolmentCode.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise DeviceError("invalid")
    row = db.session.scalar(select(EnrolmentCode).where(EnrolmentCode.code_hash == digest))
    point = db.session.get(ServicePoint, row.service_point_id)
    if not point.active:
        db.session.rollback()
        raise DeviceError("inactive_point")
    token = secrets.token_urlsafe(32)
    device = Device(name=row.device_name, service_point_id=point.id, token_hash=token_hash(token),
                    questionnaire=row.questionnaire, enrolled_at=now,
                    enrolled_by_id=row.created_by_id, last_seen_at=coarse_time(now))
    db.session.add(device)
    db.session.flush()
    row.device_id = device.id
    creator = db.session.get(User, row.created_by_id) if row.created_by_id else None
    audit.record(DEVICE_ENROLLED, actor=creator, unit=point.unit,
                 details={"point": point.code, "device": device.name, "device_id": device.id,
                          "questionnaire": device.questionnaire})
    db.session.commit()
    return device, token


def parse_authorization(header: str | None) -> str | None:
    """Return the token of an ``Authorization: Device <token>`` header, else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != AUTH_SCHEME.lower():
        return None
    token = token.strip()
    return token if 0 < len(token) <= 256 else None


def authenticate_device(token: str, *, now: dt.datetime | None = None) -> Device | None:
    """Return the active device whose credential is ``token``; None if unknown or revoked.

    Records the hour the device was last seen (a write at most once an hour per device).
    """
    if not isinstance(token, str) or not 0 < len(token) <= 256:
        return None
    device = db.session.scalar(select(Device).where(Device.token_hash == token_hash(token)))
    if device is None or device.revoked_at is not None:
        return None
    hour = coarse_time(now or utcnow())
    if device.last_seen_at != hour:
        db.session.execute(update(Device).where(Device.id == device.id)
                           .values(last_seen_at=hour).execution_options(synchronize_session=False))
        db.session.commit()
        device = db.session.get(Device, device.id)
    return device


@dataclass(frozen=True)
class DeviceInfo:
    """What a submission needs of an authenticated device (a snapshot, not an ORM row).

    A device's point and questionnaire never change after enrolment; only its revocation
    does, which the snapshot cannot show (see :func:`authenticate_device_cached`).
    """

    id: int
    service_point_id: int
    questionnaire: str


CACHE_KEY = "survey_devices"


class DeviceCache:
    """Devices authenticated in this process, by token hash, for the hour they were seen."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[str, tuple[DeviceInfo, dt.datetime]] = OrderedDict()
        self._lock = Lock()

    def get(self, digest: str, hour: dt.datetime) -> DeviceInfo | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry[1] != hour:
                return None
            self._entries.move_to_end(digest)
            return entry[0]

    def put(self, digest: str, info: DeviceInfo, hour: dt.datetime) -> None:
        with self._lock:
            self._entries[digest] = (info, hour)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)


def device_cache() -> DeviceCache:
    """Return the current app's cache of authenticated devices (made on first use)."""
    app = current_app._get_current_object()
    cache = app.extensions.get(CACHE_KEY)
    if cache is None:
        cache = app.extensions.setdefault(
            CACHE_KEY, DeviceCache(int(app.config.get("DEVICE_CACHE_SIZE", 4096))))
    return cache


def authenticate_device_cached(token: str, *, now: dt.datetime | None = None
                               ) -> tuple[DeviceInfo | None, bool]:
    """Return ``(device, from_cache)``: :func:`authenticate_device` without its query when
    this process authenticated the same token in the current hour.

    A cached answer may be stale about one thing, a revocation made since by another
    process (or another session); the caller must make that exact where it matters: the
    API's INSERT stores nothing for a revoked device (``survey.services.responses``), and
    its every other answer confirms the device with :func:`authenticate_device` first
    (``survey.api.views``).  The hourly ``last_seen_at`` write is never skipped: an entry
    is good for the hour it was written in.
    """
    if not isinstance(token, str) or not 0 < len(token) <= 256:
        return None, False
    digest = token_hash(token)
    hour = coarse_time(now or utcnow())
    cache = device_cache()
    info = cache.get(digest, hour)
    if info is not None:
        return info, True
    device = authenticate_device(token, now=now)
    if device is None:
        cache.forget(digest)
        return None, False
    info = DeviceInfo(device.id, device.service_point_id, device.questionnaire)
    cache.put(digest, info, hour)
    return info, False


def forget_device(token: str) -> None:
    """Drop ``token`` from this process's cache (its device was found revoked)."""
    device_cache().forget(token_hash(token))


class DeviceRevokedError(Exception):
    """The device that sent a submission was revoked (or is unknown): nothing was stored."""


def is_active_device(device_id: int) -> bool:
    """Return whether the device ``device_id`` exists and is not revoked (one query)."""
    revoked = db.session.execute(select(Device.revoked_at).where(Device.id == device_id)).first()
    return revoked is not None and revoked[0] is None


def revoke(device: Device, *, actor: User | None = None, now: dt.datetime | None = None) -> bool:
    """Revoke ``device`` (its credential stops working at once); commit.

    Returns False, changing nothing, when it was already revoked.
    """
    if device.revoked_at is not None:
        return False
    device.revoked_at = now or utcnow()
    point = db.session.get(ServicePoint, device.service_point_id)
    audit.record(DEVICE_REVOKED, actor=actor, unit=point.unit,
                 details={"point": point.code, "device": device.name, "device_id": device.id})
    db.session.commit()
    return True


def devices_of(point_ids) -> list[Device]:
    """Return the devices of the given service points, newest first."""
    query = select(Device).where(Device.service_point_id.in_(list(point_ids)))
    return list(db.session.scalars(query.order_by(Device.enrolled_at.desc(), Device.id.desc())))


def device_waves(device: Device, *, today: dt.date | None = None) -> list:
    """Return the open waves a device may answer, the preferred one first.

    The open waves covering the device's point whose questionnaire is the device's kind
    (``desk``: the desk questionnaire; ``full``: any other); when none is open, every open
    wave covering the point, so that a tablet is never left without a survey.
    """
    from ..models import Wave
    from .links import SurveyLinkError, check_open

    point = db.session.get(ServicePoint, device.service_point_id)
    if point is None or not point.active:
        return []
    waves = []
    for wave in db.session.scalars(select(Wave).where(Wave.status == "open").order_by(Wave.code)):
        try:
            check_open(wave, point, today=today)
        except SurveyLinkError:
            continue
        waves.append(wave)
    matching = [w for w in waves
                if (w.questionnaire_version.qid == DESK_QID) == (device.questionnaire == "desk")]
    return matching or waves
