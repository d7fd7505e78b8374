"""Flagging unusual bursts of responses at one service point ("burst" in ``Response.flags``).

Rule (settings in ``survey/config.py``): a response is part of a burst when its service
point has received, in the current hour, more than ``BURST_MIN_PER_HOUR`` responses and
more than ``BURST_FACTOR`` times its usual hourly count: the median count of the hours in
which it received answers during the previous ``BURST_HISTORY_DAYS`` days (0 without
history).  The window is the clock hour because ``submitted_at`` is stored to the hour.
Every response of that point and hour is then flagged, so that stuffing shows on the
officials' dashboard instead of being counted silently.

Cost on the submission path: one count on the index (service_point_id, submitted_at); the
history and the flagging run only once that count exceeds ``BURST_MIN_PER_HOUR``.
"""

import datetime as dt
import statistics

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Response

BURST_FLAG = "burst"


def usual_hourly_count(point_id: int, hour: dt.datetime, days: int) -> float:
    """Return the median responses per active hour at the point in the ``days`` before ``hour``."""
    counts = db.session.scalars(
        select(func.count(Response.id))
        .where(Response.service_point_id == point_id,
               Response.submitted_at >= hour - dt.timedelta(days=days),
               Response.submitted_at < hour)
        .group_by(Response.submitted_at)).all()
    return float(statistics.median(counts)) if counts else 0.0


def is_burst(point_id: int, hour: dt.datetime) -> bool:
    """Return whether one more response at ``point_id`` in ``hour`` makes a burst."""
    config = current_app.config
    minimum = int(config["BURST_MIN_PER_HOUR"])
    count = 1 + db.session.scalar(
        select(func.count(Response.id))
        .where(Response.service_point_id == point_id, Response.submitted_at == hour))
    if count <= minimum:
        return False
    usual = usual_hourly_count(point_id, hour, int(config["BURST_HISTORY_DAYS"]))
    return count > float(config["BURST_FACTOR"]) * usual


def flag_hour(point_id: int, hour: dt.datetime) -> int:
    """Add the burst flag to the point's responses of ``hour``; return how many changed."""
    rows = db.session.scalars(
        select(Response)
        .where(Response.service_point_id == point_id, Response.submitted_at == hour)).all()
    changed = 0
    for row in rows:
        if BURST_FLAG not in (row.flags or []):
            row.flags = [*(row.flags or []), BURST_FLAG]
            changed += 1
    return changed
