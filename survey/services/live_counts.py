"""Responses today and this week per service point, with how many carry flags.

Days and weeks are Vietnam's (UTC+7, weeks from Monday); ``submitted_at`` is naive UTC to
the hour, so local midnight is a whole UTC hour and the counts are exact.  One grouped
query on the (service_point_id, submitted_at) index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import case, func, select

from ..extensions import db
from ..models import Response, ServicePoint, local_today
from .flags import _flag_count_expression

UTC_OFFSET = dt.timedelta(hours=7)


def period_starts(today: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Return the naive-UTC starts of today and of this week (Monday) in Vietnam."""
    today = today or local_today()
    monday = today - dt.timedelta(days=today.weekday())
    to_utc = lambda d: dt.datetime.combine(d, dt.time()) - UTC_OFFSET   # noqa: E731
    return to_utc(today), to_utc(monday)


def point_counts(unit_ids: Collection[int] | None, today: dt.date | None = None) -> list[dict]:
    """Return one row per active service point in ``unit_ids`` (None: all), by code.

    Each row: ``point, unit, today, week, flagged_today, flagged_week``.
    """
    day_start, week_start = period_starts(today)
    flagged = _flag_count_expression(db.session.get_bind().dialect.name) > 0
    is_today = Response.submitted_at >= day_start
    counts = (select(Response.service_point_id.label("point_id"),
                     func.count(Response.id).label("week"),
                     func.sum(case((is_today, 1), else_=0)).label("today"),
                     func.sum(case((flagged, 1), else_=0)).label("flagged_week"),
                     func.sum(case((is_today & flagged, 1), else_=0)).label("flagged_today"))
              .where(Response.submitted_at >= week_start)
              .group_by(Response.service_point_id).subquery())
    query = (select(ServicePoint, counts.c.today, counts.c.week, counts.c.flagged_today,
                    counts.c.flagged_week)
             .outerjoin(counts, counts.c.point_id == ServicePoint.id)
             .where(ServicePoint.active).order_by(ServicePoint.code))
    if unit_ids is not None:
        query = query.where(ServicePoint.unit_id.in_(list(unit_ids)))
    rows = []
    for point, n_today, n_week, f_today, f_week in db.session.execute(query):
        rows.append({"point": point, "unit": point.unit, "today": int(n_today or 0),
                     "week": int(n_week or 0), "flagged_today": int(f_today or 0),
                     "flagged_week": int(f_week or 0)})
    return rows
