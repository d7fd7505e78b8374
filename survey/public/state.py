"""The survey's progress, carried by the browser in a signed hidden field.

Nothing is kept on the server between pages (the app scales out as stateless workers);
the signature makes the answers so far, the submission id and the start time
tamper-evident, so a changed state is refused instead of trusted.
"""

import uuid
from dataclasses import asdict, dataclass, field as dc_field
from datetime import datetime, timezone

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import BadRequest

SALT = "survey-state"


@dataclass
class SurveyState:
    """What a respondent has done so far on one survey link."""

    wave: str
    point: str
    submission_id: str
    started_at: str                 # ISO 8601, naive UTC
    field_page: bool                # whether the service-field page is part of the sequence
    field: str | None = None        # service field code, "unknown", or None (not asked yet)
    answers: dict = dc_field(default_factory=dict)
    code: str | None = None         # a one-time invitation code (survey.public.codes)
    # Paradata: seconds spent on each page so far (durations only), and when the page now
    # on screen was sent (to measure the next one; never stored with the response).
    pages: dict = dc_field(default_factory=dict)
    shown_at: str | None = None

    def mark_shown(self) -> None:
        """Remember that a page is being sent now."""
        self.shown_at = _now().isoformat()

    def count_page(self, key: str) -> None:
        """Add the seconds since the page was sent to page ``key`` (bounded, see quality)."""
        from ..services.quality import add_page_time

        if self.shown_at is None:
            return
        try:
            seconds = (_now() - datetime.fromisoformat(self.shown_at)).total_seconds()
        except (TypeError, ValueError):
            return
        self.pages = add_page_time(self.pages if isinstance(self.pages, dict) else {}, key, seconds)

    @classmethod
    def start(cls, wave_code: str, point_code: str, field_code: str | None):
        """Return a fresh state with a new submission id, started now."""
        now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        return cls(wave=wave_code, point=point_code, submission_id=str(uuid.uuid4()),
                   started_at=now.isoformat(), field_page=field_code is None,
                   field=field_code)

    def started_datetime(self) -> datetime:
        """Return ``started_at`` as a naive UTC datetime."""
        return datetime.fromisoformat(self.started_at)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def dump_state(state: SurveyState) -> str:
    """Return the signed token for ``state``."""
    return _serializer().dumps(asdict(state))


def load_state(token: str | None, wave_code: str, point_code: str) -> SurveyState:
    """Return the state from a signed token for this link; 400 when missing or tampered."""
    invalid = BadRequest(_("Your survey session is not valid or has been altered. "
                           "Please open the survey link again."))
    if not token:
        raise invalid
    try:
        data = _serializer().loads(token)
        state = SurveyState(**data)
        uuid.UUID(state.submission_id)
        state.started_datetime()
    except (BadSignature, TypeError, ValueError):
        raise invalid from None
    if (state.wave, state.point) != (wave_code, point_code) or not isinstance(
            state.answers, dict) or not isinstance(state.pages, dict) or not isinstance(
            state.code, (str, type(None))):
        raise invalid
    return state
