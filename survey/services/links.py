"""Resolving a survey link ``/s/<wave>/<point>`` to the wave and the service point."""

import datetime as dt

from sqlalchemy import select

from ..extensions import db
from ..models import ServicePoint, Wave

REASONS = ("unknown_wave", "unknown_point", "closed", "out_of_scope")


class SurveyLinkError(LookupError):
    """A survey link that cannot take answers; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_open(wave: Wave, point: ServicePoint, *, today: dt.date | None = None) -> None:
    """Raise ``SurveyLinkError`` unless ``wave`` takes answers today at ``point``."""
    if not wave.is_open(today):
        raise SurveyLinkError("closed")
    if not wave.covers(point.unit):
        raise SurveyLinkError("out_of_scope")


def find_survey(wave_code: str, point_code: str, *, today: dt.date | None = None) -> tuple[Wave, ServicePoint]:
    """Return the open wave and the active service point a survey link names.

    Raises
    ------
    SurveyLinkError
        ``unknown_wave``, ``unknown_point`` (also for a deactivated point), ``closed`` (not
        open, or ``today`` — default today in Vietnam — outside its dates) or
        ``out_of_scope`` (the point's unit is not under one of the wave's units).
    """
    wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise SurveyLinkError("unknown_wave")
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == point_code))
    if point is None or not point.active:
        raise SurveyLinkError("unknown_point")
    check_open(wave, point, today=today)
    return wave, point
