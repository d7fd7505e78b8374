"""Benchmark: the full SIPAS table of a synthetic national wave.

Every criterion, element, overall index, indicator and expectation share, with SE, CI,
the test against the parent and flags, for the scope, 34 provinces and ~3,400 communes,
plus rankings and key drivers. Prints wall time and peak memory of ``compute_sipas``
(the wave is generated first and not timed). Targets on a 2-core machine: 20 s, 3 GB.

    .venv/bin/python bench/bench_sipas_table.py [-n 1000000] [--cluster]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _rss_mb() -> float:
    try:
        import psutil
        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRSS:
    """Samples the process RSS every 20 ms (ru_maxrss would include the generation)."""

    def __enter__(self):
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _rss_mb())


def main(argv=None) -> None:
    from national_wave import national_wave

    from analysis.sipas import SipasOptions, compute_sipas

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--cluster", action="store_true")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    q, responses, units, pops = national_wave(args.n)
    print(f"generated {len(responses):,} responses, {len(units):,} units, "
          f"{len(pops):,} population cells in {time.perf_counter() - t:.1f} s")
    gc.collect()
    base = _rss_mb()
    with PeakRSS() as mem:
        t, cpu = time.perf_counter(), time.process_time()
        result = compute_sipas(responses, q, units, pops,
                               options=SipasOptions(cluster=args.cluster))
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    rows = len(result.indices) + len(result.indicators) + len(result.expectations)
    load = os.getloadavg()[0]
    print(f"compute_sipas: {wall:.1f} s wall ({cpu:.1f} s CPU; load average {load:.1f} on "
          f"{os.cpu_count()} cores), peak RSS {mem.peak:,.0f} MB "
          f"({mem.peak - base:+,.0f} MB over the {base:,.0f} MB holding the wave)")
    print(f"{rows:,} estimates ({len(result.indices):,} indices, "
          f"{len(result.indicators):,} indicators, {len(result.expectations):,} expectations), "
          f"{len(result.rankings):,} ranking rows, drivers fitted: "
          f"{result.meta['drivers'].get('fitted')}")
    ok = wall <= 20 and mem.peak <= 3 * 1024
    print("targets (20 s, 3 GB):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
