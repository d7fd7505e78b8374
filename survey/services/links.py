"""Resolving a survey link ``/s/<wave>/<point>`` to the wave and the service point."""

import datetime as dt

from ..extensions import db
from ..models import ServicePoint, Wave
from .lookup import resolve

REASONS = ("unknown_wave", "unknown_point", "closed", "out_of_scope")


class SurveyLinkError(LookupError):
    """A survey link that cannot take answers; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_open(wave: Wave, point: ServicePoint, *, today: dt.date | None = None) -> None:
    """Raise ``SurveyLinkError`` unless ``wave`` takes answers today at ``point``.

    Answered from the cached look-up (``survey.services.lookup``), by the link's codes.
    """
    reason = resolve(wave.code, point.code).refusal(today)
    if reason is not None:
        raise SurveyLinkError(reason)


def find_survey(wave_code: str, point_code: str, *, today: dt.date | None = None) -> tuple[Wave, ServicePoint]:
    """Return the open wave and the active service point a survey link names (ORM rows).

    The hot paths (the API, the web survey) use ``survey.services.lookup.resolve``, which
    returns snapshots and costs no query when cached; this loads the rows besides.

    Raises
    ------
    SurveyLinkError
        ``unknown_wave``, ``unknown_point`` (also for a deactivated point), ``closed`` (not
        open, or ``today`` — default today in Vietnam — outside its dates) or
        ``out_of_scope`` (the point's unit is not under one of the wave's units).
    """
    link = resolve(wave_code, point_code)
    reason = link.refusal(today)
    if reason is not None:
        raise SurveyLinkError(reason)
    return db.session.get(Wave, link.wave.id), db.session.get(ServicePoint, link.point.id)
