"""The dashboard's filters (wave, service field, channel) read from GET parameters.

A wrong value is the official's typo or a stale bookmark, so it gets a 400 that says
which value is wrong and what is allowed, never a 500 or a silently ignored filter.
"""

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from ..extensions import db
from ..models import CHANNELS, MODES, ServiceField, Unit, Wave

CHANNEL_LABELS = {
    "in_person": _l("In person"),
    "online": _l("Online"),
    "post": _l("By post"),
}


# Response.mode: how the response reached us ("web" is the reusable public link).
MODE_LABELS = {
    "web": _l("Public link (posters)"),
    "code": _l("One-time code (receipt slip)"),
    "kiosk": _l("Kiosk at the desk"),
    "api": _l("Other software (API)"),
}


@dataclass(frozen=True)
class Filters:
    """The wave shown and the optional subset of responses (service field, channel)."""

    wave: Wave
    field: ServiceField | None = None
    channel: str | None = None
    mode: str | None = None

    @property
    def field_code(self) -> str | None:
        """The service field's code, or None for every field."""
        return self.field.code if self.field is not None else None

    def args(self, **changes) -> dict:
        """Return the GET parameters of these filters, with ``changes`` applied."""
        out = {"wave": self.wave.code, "field": self.field_code, "channel": self.channel,
               "mode": self.mode}
        out.update(changes)
        return {k: v for k, v in out.items() if v}


def waves_of(unit: Unit) -> list[Wave]:
    """Return the waves whose scope covers ``unit``, oldest first."""
    waves = db.session.scalars(select(Wave).where(Wave.status != "draft"))
    covering = [w for w in waves if w.covers(unit)]
    return sorted(covering, key=lambda w: (w.starts_on or dt.date.min, w.id))


def parse_filters(unit: Unit, args, waves: list[Wave]) -> Filters | None:
    """Return the filters named by ``args`` for ``unit``; None when no wave covers it.

    Raises
    ------
    BadRequest
        An unknown wave (or one that does not cover the unit), field or channel.
    """
    wave_code = (args.get("wave") or "").strip()
    if wave_code:
        wave = next((w for w in waves if w.code == wave_code), None)
        if wave is None:
            raise BadRequest(_("There is no survey wave “%(code)s” covering this unit. "
                               "Choose a wave from the list.", code=wave_code))
    elif waves:
        wave = waves[-1]
    else:
        wave = None

    field = None
    field_code = (args.get("field") or "").strip()
    if field_code:
        field = db.session.scalar(select(ServiceField).where(ServiceField.code == field_code))
        if field is None:
            raise BadRequest(_("There is no service field “%(code)s”. Choose a field from "
                               "the list.", code=field_code))

    channel = (args.get("channel") or "").strip() or None
    if channel is not None and channel not in CHANNELS:
        allowed = ", ".join(CHANNELS)
        raise BadRequest(_("There is no channel “%(value)s”; the channels are %(allowed)s.",
                           value=channel, allowed=allowed))
    mode = (args.get("mode") or "").strip() or None
    if mode is not None and mode not in MODES:
        raise BadRequest(_("There is no collection mode “%(value)s”; the modes are %(allowed)s.",
                           value=mode, allowed=", ".join(MODES)))
    if wave is None:
        return None
    return Filters(wave=wave, field=field, channel=channel, mode=mode)


def service_fields() -> list[ServiceField]:
    """Return every service field, by code (the choices of the field filter)."""
    return list(db.session.scalars(select(ServiceField).order_by(ServiceField.code)))
