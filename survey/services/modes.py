"""How responses reached us (``Response.mode``): counts for the dashboard, API and report."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import MODES, Response, Wave


def mode_counts(wave: Wave, unit_ids) -> dict[str, int]:
    """Return the responses of ``unit_ids`` in ``wave`` by collection mode (every mode listed)."""
    rows = db.session.execute(select(Response.mode, func.count(Response.id))
                              .where(Response.wave_id == wave.id,
                                     Response.unit_id.in_(list(unit_ids)))
                              .group_by(Response.mode))
    counts = dict.fromkeys(MODES, 0)
    counts.update({mode: n for mode, n in rows})
    return counts
