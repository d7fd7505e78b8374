"""The ``memory://`` storage of the rate limits, without a timer thread per few requests.

``limits``' ``MemoryStorage`` (the per-process counters of ``RATELIMIT_STORAGE_URI =
memory://``, the default) sweeps expired counters on a ``threading.Timer`` of 10 ms that it
starts again on the first increment after the previous one ended: under steady load a new
thread every few requests, each start waiting until the new thread has been scheduled —
milliseconds on a busy machine, paid inside the request.  Expired counters are already
dropped when read (``get``, which every increment calls first), so the sweep only frees
memory: here it runs inline, at most once every ``SWEEP_SECONDS``.  Counting is unchanged.

The class registers itself for the ``memory`` scheme (``limits``' registry keeps the
last class registered for a scheme), so ``memory://`` means this storage in this app;
the module is imported by ``survey.extensions``, before Flask-Limiter makes its storage.
"""

from __future__ import annotations

import time

from limits.storage import MemoryStorage

SWEEP_SECONDS = 1.0


class SweepingMemoryStorage(MemoryStorage):
    """``limits``' memory storage, its expired entries swept inline instead of by a timer."""

    STORAGE_SCHEME = ["memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._swept_at = time.monotonic()

    # Replaces MemoryStorage.__schedule_expiry (name-mangled), called before each change.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            self._MemoryStorage__expire_events()
