"""How responses reached us (``Response.mode``): counts for the dashboard, API and report."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import MODES, ResponseTally, Wave


def mode_counts(wave: Wave, unit_ids) -> dict[str, int]:
    """Return the responses of ``unit_ids`` in ``wave`` by collection mode (every mode listed).

    Read from ``response_tallies`` (kept by triggers on ``responses``): a few rows per unit
    instead of every response of the units.
    """
    rows = db.session.execute(select(ResponseTally.mode, func.sum(ResponseTally.responses))
                              .where(ResponseTally.wave_id == wave.id,
                                     ResponseTally.unit_id.in_(list(unit_ids)))
                              .group_by(ResponseTally.mode))
    counts = dict.fromkeys(MODES, 0)
    counts.update({mode: int(n) for mode, n in rows})
    return counts
