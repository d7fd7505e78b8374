"""Keep long-lived objects out of the garbage collector's way.

A loaded app is some 300,000 long-lived objects (modules, SQLAlchemy and questionnaire
structures); the report renderer's warm-up adds a few thousand more. A full collection
walks all of them again each time it runs: a pause of 0.1-0.3 s inside whichever request
or report triggers it (a 12-page report triggers about one). :func:`freeze_long_lived`, called once a process has loaded what it
keeps for its whole life, collects once and moves what survives to the permanent
generation (``gc.freeze``), so later collections scan only what requests and jobs
allocate, which they free again.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_long_lived"]


def freeze_long_lived() -> int:
    """Collect, then freeze every object alive now; returns how many are frozen.

    Call it after start-up (app created, caches warmed), never after loading data that
    a later job replaces: frozen objects are never collected.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
