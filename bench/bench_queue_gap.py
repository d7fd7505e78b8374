"""Benchmark: the idle gap a queue worker leaves between two messages.

A worker (``flask --app wsgi worker``) holds one message at a time (prefetch 1), so it
fetches the next only after acknowledging the last, and Dramatiq's consumer notices the
acknowledgement when it next wakes from its idle sleep (``worker_timeout``). Every report
of a bulk job pays that gap. This bench runs ``--jobs`` busy messages of ``--work``
seconds each through a Redis broker (a namespace of its own) with one worker thread and
prints the gap between one message's end and the next one's, median and maximum, for
our ``survey.jobs.WORKER_TIMEOUT_MS`` beside Dramatiq's default (1,000 ms, the anchor)
and beside two messages prefetched (no gap, but a worker can hold a message another
idle worker could have run).

    .venv/bin/python bench/bench_queue_gap.py [--jobs 20] [--work 0.7] [--redis URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dramatiq  # noqa: E402
from dramatiq.brokers.redis import RedisBroker  # noqa: E402

from survey.jobs import WORKER_TIMEOUT_MS  # noqa: E402


def gaps(url: str, timeout_ms: int, prefetch: int, jobs: int, work: float) -> list[float]:
    """Seconds between the end of one message and the end of the next, less the work."""
    namespace = f"sipas-bench-gap-{uuid.uuid4().hex[:12]}"
    broker = RedisBroker(url=url, namespace=namespace)
    ends: list[float] = []

    def busy(_: int) -> None:
        start = time.perf_counter()
        while time.perf_counter() - start < work:    # holds the GIL, as a render does
            pass
        ends.append(time.perf_counter())

    actor = dramatiq.actor(busy, actor_name="busy", queue_name="gap", broker=broker,
                           max_retries=0)
    for i in range(jobs):
        actor.send(i)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=timeout_ms)
    worker.queue_prefetch = prefetch
    worker.start()
    try:
        deadline = time.monotonic() + jobs * (work + timeout_ms / 1000) * 3 + 30
        while len(ends) < jobs and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop()
        keys = list(broker.client.scan_iter(match=f"{namespace}*"))
        if keys:
            broker.client.delete(*keys)
    if len(ends) < jobs:
        raise RuntimeError(f"only {len(ends)} of {jobs} messages ran")
    return [b - a - work for a, b in zip(ends, ends[1:])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--work", type=float, default=0.7,
                        help="seconds of work per message (about one report)")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL",
                                                          "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    runs = [("Dramatiq's default (anchor)", 1000, 1), ("100 ms (before)", 100, 1),
            ("ours", WORKER_TIMEOUT_MS, 1), ("ours, 2 prefetched", WORKER_TIMEOUT_MS, 2)]
    print(f"{args.jobs} messages of {args.work:.2f} s, one worker thread; gap between messages:")
    anchor = None
    for name, timeout_ms, prefetch in runs:
        measured = gaps(args.redis, timeout_ms, prefetch, args.jobs, args.work)
        median = statistics.median(measured)
        anchor = median if anchor is None else anchor
        print(f"  {name:<28} timeout {timeout_ms:>5} ms, prefetch {prefetch}: median "
              f"{median * 1000:6.1f} ms, max {max(measured) * 1000:6.1f} ms "
              f"({median / anchor:4.2f} of the anchor)")


if __name__ == "__main__":
    main()
