"""Database triggers that the models declare: created with the tables, on each dialect.

The set-up version (``models_setup``), the response tallies (``models_results``) and the
columnar cache (``models_wave_segments``) are kept by triggers that sit on other tables,
so they are created once every table exists (``metadata.create_all``'s ``after_create``).
Their statements are idempotent (``CREATE OR REPLACE`` / ``IF NOT EXISTS``), so that
``create_all`` on an existing database works.  ``drop_all`` drops the tables and their
triggers; PostgreSQL's trigger functions are dropped after it.  Migrations write the same
statements out (migrations are frozen).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import DDL, event

from .extensions import db

__all__ = ["create_with_tables"]


def create_with_tables(postgresql: Iterable[str], sqlite: Iterable[str],
                       functions: Iterable[str] = ()) -> None:
    """Run ``postgresql`` / ``sqlite`` statements once every table of the metadata exists,
    and drop the PostgreSQL trigger ``functions`` (names, no arguments) after ``drop_all``."""
    for statement in postgresql:
        # DDL formats its text with %: a literal % (in PL/pgSQL) must be doubled.
        event.listen(db.metadata, "after_create",
                     DDL(statement.replace("%", "%%")).execute_if(dialect="postgresql"))
    for statement in sqlite:
        event.listen(db.metadata, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for name in functions:
        event.listen(db.metadata, "after_drop",
                     DDL(f"DROP FUNCTION IF EXISTS {name}()").execute_if(dialect="postgresql"))
