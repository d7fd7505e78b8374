"""What an import would do (a :class:`Plan`: problems or changes) and applying it at once.

Every importer builds a plan by comparing the file with the database; it writes only when
asked to apply, only when there is no problem, and in one transaction (all or nothing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..extensions import db
from . import audit
from .setup_files import Problem

CHANGE_KINDS = ("created", "updated", "retired", "removed", "unchanged")


@dataclass(frozen=True)
class Change:
    """One row's fate: ``kind`` (created, updated, unchanged, retired, removed), its ``key``
    (a code, or ``unit / field``), the file ``row`` (None for rows the file does not list)
    and, for an update, ``diff`` as ``{column: (old, new)}``."""

    kind: str
    key: str
    row: int | None = None
    diff: dict = field(default_factory=dict)


@dataclass
class Plan:
    """The outcome of reading an import: its problems, or the changes it makes."""

    table: str
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    applied: bool = False
    # Writes the changes in the current session; called inside the transaction.
    writer: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when the file has no problem."""
        return not self.problems

    @property
    def counts(self) -> dict[str, int]:
        """Number of changes of each kind (every kind present, zero included)."""
        counter = Counter(c.kind for c in self.changes)
        return {kind: counter.get(kind, 0) for kind in CHANGE_KINDS}

    @property
    def has_changes(self) -> bool:
        """True when applying would write something."""
        return any(c.kind != "unchanged" for c in self.changes)

    def summary(self) -> dict:
        """The counts and keys of what changed (the audit record of an import)."""
        return {"table": self.table, **self.counts,
                "keys": {kind: [c.key for c in self.changes if c.kind == kind]
                         for kind in CHANGE_KINDS if kind != "unchanged"}}


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """Problems of the whole file first, then by row and column; one problem per cell (the
    first found: an unreadable cell is not also reported as empty)."""
    seen, out = set(), []
    for p in sorted(problems, key=lambda p: (p.row is not None, p.row or 0, p.column or "")):
        if p.row is not None and p.column is not None:
            if (p.row, p.column) in seen:
                continue
            seen.add((p.row, p.column))
        out.append(p)
    return out


def start(apply: bool) -> None:
    """Begin the transaction an import reads and (when applying) writes in.

    When applying on SQLite the write lock is taken first, so that what the plan compares
    against cannot change before it is written.
    """
    if apply:
        begin_write(db.session)


def finish(plan: Plan, *, apply: bool, details: dict | None = None) -> Plan:
    """Sort the plan's problems and, when asked and possible, write it in one transaction."""
    plan.problems = sorted_problems(plan.problems)
    if not apply or not plan.ok or not plan.has_changes:
        db.session.rollback()
        return plan
    try:
        plan.writer()
        # The audit line is part of the import's transaction: both are kept, or neither.
        _audit(f"{plan.table}.import", {**plan.summary(), **(details or {})})
        db.session.commit()
    except IntegrityError:
        # Someone else wrote the same rows since the plan was made (PostgreSQL, two
        # administrators at once): nothing of this import is kept; they may try again.
        db.session.rollback()
        current_app.logger.warning("setup: %s import lost a race; nothing written", plan.table)
        plan.problems.append(Problem(None, None, "conflict"))
        plan.changes.clear()
        return plan
    except BaseException:
        db.session.rollback()
        raise
    plan.applied = True
    return plan


def _audit(action: str, details: dict) -> None:
    """Add a set-up action (imports, wave open/close) to the audit log, uncommitted."""
    current_app.logger.info("setup: %s %s", action, details)
    audit.record(action, wave=details.get("wave"), details=details)
