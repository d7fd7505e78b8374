"""Data quality: paradata, the flag rules, the batch that applies them, reviews of flags.

Rules (settings in ``survey/config.py``; every flag is added, never deleted):

- ``too_fast``: the answering took less than ``QUALITY_FAST_SECONDS_PER_ANSWER`` seconds
  (default 2) per answered question.  Reading a short item and tapping one of five
  options takes a person several seconds; under two seconds an item the answers cannot
  have been read.  The threshold grows with the number of questions answered, so a
  short desk form and the full form are judged alike.
- ``straightline``: the same value on every answered scale question, with at least
  ``QUALITY_STRAIGHTLINE_MIN`` (default 8) scale answers ("not applicable" does not count).
- ``burst``: the point's responses of one hour are far above its usual rate
  (``survey.services.flags``).
- ``burst_device``: the responses one kiosk device (``Response.device_id``) sent in one
  hour are far above that device's own usual rate, by the same rule and settings as per
  point.  A point with several tablets can stay calm while one of them is misused (or
  stuck resubmitting); only the batch applies it, so the submission path is unchanged.
- ``near_duplicate``: two responses at one service point submitted within
  ``QUALITY_DUPLICATE_HOURS`` hours (times are kept to the hour) that agree on at least
  ``QUALITY_DUPLICATE_SHARE`` of the questions either answered, with at least
  ``QUALITY_DUPLICATE_MIN`` answers; both are flagged.

``too_fast`` and ``straightline`` need only the submission itself and are computed by the
submission paths (:func:`answer_flags`); ``burst`` at submission too (one indexed count).
``burst_device`` and ``near_duplicate`` compare responses with each other and run in
:func:`flag_wave` (``flask --app wsgi quality flag WAVE``), which applies every rule to a whole wave and is
idempotent: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from functools import partial

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import MAX_DURATION, Response, Wave
from .exports import wave_questionnaire
from .flags import BURST_FLAG, usual_device_hourly_count, usual_hourly_count
from .results_cache import bump_version

TOO_FAST = "too_fast"
STRAIGHTLINE = "straightline"
NEAR_DUPLICATE = "near_duplicate"
DEVICE_BURST = "burst_device"
RULE_FLAGS = (TOO_FAST, STRAIGHTLINE, BURST_FLAG, DEVICE_BURST, NEAR_DUPLICATE)
# Paradata are small: at most this many pages, page names of at most this many characters.
MAX_PAGES = 100
MAX_PAGE_NAME = 64


class ParadataError(ValueError):
    """Paradata that are not a mapping of page names to bounded whole seconds."""


def clean_paradata(raw) -> dict | None:
    """Return ``{"pages": {name: seconds}}`` from untrusted input; raise ParadataError.

    Seconds must be whole numbers 0..MAX_DURATION; names short strings; nothing else.
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"pages"}:
        raise ParadataError("paradata must be an object with only the key “pages”")
    pages = raw.get("pages") or {}
    if not isinstance(pages, Mapping) or len(pages) > MAX_PAGES:
        raise ParadataError(f"“pages” must be an object of at most {MAX_PAGES} pages")
    out = {}
    for name, seconds in pages.items():
        if not isinstance(name, str) or not 0 < len(name) <= MAX_PAGE_NAME:
            raise ParadataError("page names must be short strings")
        if type(seconds) is not int or not 0 <= seconds <= MAX_DURATION:
            raise ParadataError(f"page seconds must be whole numbers from 0 to {MAX_DURATION}")
        out[name] = seconds
    return {"pages": out}


def add_page_time(pages: dict, name: str, seconds: float) -> dict:
    """Return ``pages`` with ``seconds`` (bounded) added to page ``name``."""
    total = int(pages.get(name, 0)) + max(int(seconds), 0)
    return {**pages, name: min(total, MAX_DURATION)}


def _scale_ids(questionnaire) -> list[str]:
    return [qid for qid, q in questionnaire.questions.items() if q.type == "scale"]


def is_too_fast(duration_seconds: int | None, answered: int, per_answer: float) -> bool:
    """Whether ``duration_seconds`` is under ``per_answer`` seconds per answered question."""
    if duration_seconds is None or answered == 0:
        return False
    return duration_seconds < per_answer * answered


def is_straightline(answers: Mapping[str, object], scale_ids, minimum: int) -> bool:
    """Whether every scale answer (not "na") is the same value, with ``minimum`` or more."""
    values = [answers[qid] for qid in scale_ids
              if isinstance(answers.get(qid), int) and not isinstance(answers.get(qid), bool)]
    return len(values) >= minimum and len(set(values)) == 1


def _answered(answers: Mapping[str, object]) -> int:
    return sum(1 for v in answers.values() if v not in (None, "", []))


def answer_flags(questionnaire, answers: Mapping[str, object],
                 duration_seconds: int | None) -> list[str]:
    """Return the flags a submission earns on its own: ``too_fast``, ``straightline``."""
    config = current_app.config
    flags = []
    if is_too_fast(duration_seconds, _answered(answers),
                   float(config["QUALITY_FAST_SECONDS_PER_ANSWER"])):
        flags.append(TOO_FAST)
    if is_straightline(answers, _scale_ids(questionnaire), int(config["QUALITY_STRAIGHTLINE_MIN"])):
        flags.append(STRAIGHTLINE)
    return flags


def similarity(a: Mapping[str, object], b: Mapping[str, object]) -> tuple[float, int]:
    """Return the share of questions answered by either on which ``a`` and ``b`` agree,
    and how many questions that is."""
    keys = {k for k, v in a.items() if v is not None} | {k for k, v in b.items() if v is not None}
    if not keys:
        return 0.0, 0
    same = sum(1 for k in keys if a.get(k) == b.get(k))
    return same / len(keys), len(keys)


def _near_duplicates(rows: list[Response]) -> set[int]:
    """Ids among ``rows`` (one point, ordered by hour) with a near-identical neighbour."""
    config = current_app.config
    window = dt.timedelta(hours=int(config["QUALITY_DUPLICATE_HOURS"]))
    share, minimum = float(config["QUALITY_DUPLICATE_SHARE"]), int(config["QUALITY_DUPLICATE_MIN"])
    found = set()
    for i, row in enumerate(rows):
        for other in rows[i + 1:]:
            if other.submitted_at - row.submitted_at > window:
                break
            if other.questionnaire_version_id != row.questionnaire_version_id:
                continue
            agree, n = similarity(row.answers or {}, other.answers or {})
            if n >= minimum and agree >= share:
                found.update((row.id, other.id))
    return found


def _bursts(rows: list[Response], usual) -> set[int]:
    """Ids among ``rows`` (one point, or one device) in an hour far above the usual rate
    ``usual(hour, days)`` of that point or device."""
    config = current_app.config
    minimum, factor = int(config["BURST_MIN_PER_HOUR"]), float(config["BURST_FACTOR"])
    by_hour = defaultdict(list)
    for row in rows:
        by_hour[row.submitted_at].append(row.id)
    found = set()
    for hour, ids in by_hour.items():
        if len(ids) <= minimum:
            continue
        if len(ids) > factor * usual(hour, int(config["BURST_HISTORY_DAYS"])):
            found.update(ids)
    return found


def _device_bursts(rows: list[Response]) -> set[int]:
    """Ids among ``rows`` (one point) sent by a kiosk device in an hour far above that
    device's own usual rate (``burst_device``)."""
    by_device = defaultdict(list)
    for row in rows:
        if row.device_id is not None:
            by_device[row.device_id].append(row)
    found = set()
    for device_id, own in by_device.items():
        found |= _bursts(own, partial(usual_device_hourly_count, device_id))
    return found


def flag_wave(wave: Wave) -> dict[str, int]:
    """Apply every rule to ``wave``'s responses; return how many flags were added per rule.

    Flags are only added, never removed (a methodologist clears them), so running it again
    adds nothing.  Reads the wave point by point; commits once.
    """
    q = wave_questionnaire(wave)
    config = current_app.config
    per_answer = float(config["QUALITY_FAST_SECONDS_PER_ANSWER"])
    minimum = int(config["QUALITY_STRAIGHTLINE_MIN"])
    scale_ids = _scale_ids(q)
    added = dict.fromkeys(RULE_FLAGS, 0)
    points = db.session.scalars(select(Response.service_point_id).distinct()
                                .where(Response.wave_id == wave.id)).all()
    for point_id in points:
        rows = list(db.session.scalars(
            select(Response).where(Response.wave_id == wave.id,
                                   Response.service_point_id == point_id)
            .order_by(Response.submitted_at, Response.id)))
        duplicates = _near_duplicates(rows)
        bursts = _bursts(rows, partial(usual_hourly_count, point_id))
        device_bursts = _device_bursts(rows)
        for row in rows:
            answers = row.answers if isinstance(row.answers, dict) else {}
            earned = []
            if is_too_fast(row.duration_seconds, _answered(answers), per_answer):
                earned.append(TOO_FAST)
            if is_straightline(answers, scale_ids, minimum):
                earned.append(STRAIGHTLINE)
            if row.id in bursts:
                earned.append(BURST_FLAG)
            if row.id in device_bursts:
                earned.append(DEVICE_BURST)
            if row.id in duplicates:
                earned.append(NEAR_DUPLICATE)
            current = list(row.flags) if isinstance(row.flags, list) else []
            new = [f for f in earned if f not in current]
            if new:
                row.flags = current + new
                for flag in new:
                    added[flag] += 1
    if any(added.values()):
        # Under QUALITY_EXCLUDE=flagged the analysed responses changed: cached results are stale.
        bump_version(wave.id)
    db.session.commit()
    return added
