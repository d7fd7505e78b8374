"""Fewer garbage collections while a report renders.

A report's render allocates a large graph of objects that lives until the PDF is written
(the parsed HTML, the styles of every element, the boxes of twelve laid-out pages) and is
then freed at once. At the collector's default threshold (a young collection every 700
net allocations) the collector walks that growing graph some 150 times per report and
promotes it into older generations, which a full collection then walks again: about a
fifth of a report's time went to it. :func:`fewer_collections` raises the young
generation's threshold while any render runs, so a commune's report sees no collection
and most of its objects are freed by their reference counts before one is ever scanned.
The collector still runs (cyclic garbage stays bounded by the threshold), and the
process's thresholds come back when the last render in it ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RENDER_THRESHOLD", "fewer_collections"]

# Young-generation threshold while rendering. Measured on one commune's report
# (bench/bench_report_gc.py, 2026-12-03): the default 700 makes ~117 young, ~11 middle and
# one full collection; 5,000-50,000 save 10-20% of the report's CPU time; from 100,000
# there is no collection left in the report (14-25% saved). The price is memory: the
# render's cyclic garbage waits for the collection after it, +33 MB at the peak of a
# rendering process of ~340 MB at 100,000 (+51 MB at 500,000).
RENDER_THRESHOLD = 100_000

_lock = threading.Lock()
_active = 0
_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections(threshold: int = RENDER_THRESHOLD) -> Iterator[None]:
    """Run the block with the young generation's threshold at least ``threshold``.

    Nested and concurrent uses (several threads rendering) share one raised threshold;
    the thresholds in force before the first use are restored when the last one ends.
    """
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            if _saved[0] and _saved[0] < threshold:      # 0 means collection is off: keep it
                gc.set_threshold(threshold, *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_saved)
