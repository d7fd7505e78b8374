"""Confirming and clearing data-quality flags, and which responses the analysis leaves out.

A review never deletes anything: the flag stays in ``Response.flags``, the decision is a
``FlagReview`` row (changed in place, so the latest decision counts) and every decision is
an audit line (``flag.confirmed`` / ``flag.cleared``) with the response id, the flag and
the previous decision, so a cleared flag keeps its record.

Exclusion (``QUALITY_EXCLUDE``): ``"confirmed"`` (default) leaves out responses with at
least one confirmed flag, ``"flagged"`` every response with a flag that was not cleared,
``"none"`` nothing.  Confirmation by a methodologist is the default because a rule only
raises a suspicion: an elderly citizen who likes everything is not a fraud.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from flask import current_app, has_app_context
from sqlalchemy import exists, select

from ..extensions import db
from ..models import FLAG_DECISIONS, FlagReview, Response, Wave, utcnow
from . import audit
from .flags import flagged_clause
from .results_cache import bump_version

EXCLUDE_MODES = ("confirmed", "flagged", "none")
FLAG_CONFIRMED = "flag.confirmed"
FLAG_CLEARED = "flag.cleared"


def exclude_mode() -> str:
    """The configured ``QUALITY_EXCLUDE`` mode (``confirmed`` outside an app)."""
    mode = current_app.config.get("QUALITY_EXCLUDE", "confirmed") if has_app_context() else "confirmed"
    if mode not in EXCLUDE_MODES:
        raise ValueError(f"QUALITY_EXCLUDE must be one of {', '.join(EXCLUDE_MODES)}, not {mode!r}")
    return mode


def review(response: Response, flag: str, decision: str) -> FlagReview:
    """Record ``decision`` (confirmed/cleared) on ``flag`` of ``response``; audit it; commit."""
    if decision not in FLAG_DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    if flag not in (response.flags or []):
        raise ValueError(f"response {response.id} has no flag {flag!r}")
    row = db.session.scalar(select(FlagReview).where(FlagReview.response_id == response.id,
                                                     FlagReview.flag == flag))
    previous = row.decision if row is not None else None
    actor = audit._current_user()
    if row is None:
        row = FlagReview(response_id=response.id, flag=flag)
        db.session.add(row)
    row.decision = decision
    row.reviewer_id = actor.id if actor is not None else None
    row.reviewed_at = utcnow()
    audit.record(FLAG_CONFIRMED if decision == "confirmed" else FLAG_CLEARED,
                 unit=response.unit, wave=response.wave,
                 details={"response": response.id, "flag": flag, "previous": previous})
    # Which responses the analysis leaves out may have changed: cached results are stale.
    bump_version(response.wave_id)
    db.session.commit()
    return row


def decisions(response_ids: Collection[int]) -> dict[tuple[int, str], str]:
    """Return ``{(response_id, flag): decision}`` for the given responses."""
    if not response_ids:
        return {}
    rows = db.session.execute(select(FlagReview.response_id, FlagReview.flag, FlagReview.decision)
                              .where(FlagReview.response_id.in_(list(response_ids))))
    return {(r, f): d for r, f, d in rows}


def _status(flags, reviewed: dict[str, str]) -> tuple[set[str], set[str]]:
    """(confirmed flags, open flags) of one response."""
    flags = set(flags) if isinstance(flags, list) else set()
    confirmed = {f for f in flags if reviewed.get(f) == "confirmed"}
    open_ = {f for f in flags if f not in reviewed}
    return confirmed, open_


def is_excluded(flags, reviewed: dict[str, str], mode: str) -> bool:
    """Whether a response with ``flags`` and these decisions is left out under ``mode``."""
    confirmed, open_ = _status(flags, reviewed)
    if mode == "confirmed":
        return bool(confirmed)
    if mode == "flagged":
        return bool(confirmed or open_)
    return False


def excluded_ids(wave: Wave, mode: str | None = None) -> set[int]:
    """Return the ids of ``wave``'s responses the analysis leaves out under ``mode``."""
    mode = mode or exclude_mode()
    if mode == "none":
        return set()
    query = select(Response.id, Response.flags).where(Response.wave_id == wave.id)
    if mode == "confirmed":
        query = query.where(exists().where(FlagReview.response_id == Response.id,
                                           FlagReview.decision == "confirmed"))
    rows = [(i, f) for i, f in db.session.execute(query) if isinstance(f, list) and f]
    reviewed = _by_response(decisions([i for i, _ in rows]))
    return {i for i, f in rows if is_excluded(f, reviewed.get(i, {}), mode)}


def _by_response(flat: dict[tuple[int, str], str]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for (rid, flag), decision in flat.items():
        out.setdefault(rid, {})[flag] = decision
    return out


def summary(wave: Wave, unit_ids: Collection[int] | None = None,
            mode: str | None = None) -> dict:
    """What the analysis did with flagged responses of ``wave`` (in ``unit_ids``).

    ``{"mode", "excluded", "excluded_by_flag", "included", "included_by_flag"}``: how many
    flagged responses were left out / kept, and how many of each carried each flag.
    """
    mode = mode or exclude_mode()
    # Only flagged responses (the partial index ix_responses_flagged finds them).
    query = select(Response.id, Response.flags).where(
        Response.wave_id == wave.id, flagged_clause(db.session.get_bind().dialect.name))
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_(list(unit_ids)))
    rows = [(i, f) for i, f in db.session.execute(query) if isinstance(f, list) and f]
    reviewed = _by_response(decisions([i for i, _ in rows]))
    out = {"mode": mode, "excluded": 0, "included": 0}
    by = {"excluded": Counter(), "included": Counter()}
    for rid, flags in rows:
        decided = reviewed.get(rid, {})
        side = "excluded" if is_excluded(flags, decided, mode) else "included"
        out[side] += 1
        # Cleared flags are no longer counted as flags of the kept response.
        by[side].update(f for f in set(flags) if decided.get(f) != "cleared")
    out["excluded_by_flag"] = dict(sorted(by["excluded"].items()))
    out["included_by_flag"] = dict(sorted(by["included"].items()))
    return out
