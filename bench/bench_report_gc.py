"""Benchmark: one commune's report under the collector's default thresholds and raised ones.

Why ``analysis.report.collector.RENDER_THRESHOLD`` is what it is. A synthetic wave (a
province of 30 communes, ``-n`` responses) is computed once; then one commune's report
is rendered ``--repeat`` times per threshold, the thresholds taking turns (the order
reversed every round) so that all see the same load, as a queue worker renders it: the
app's start-up objects frozen, the renderer warmed up. Printed per young-generation
threshold: the median CPU time of a report, its ratio to the default (700, the anchor),
and the collections per report by generation.

    .venv/bin/python bench/bench_report_gc.py [--repeat 8] [-n 6000] [--thresholds 700,5000,...]
"""

from __future__ import annotations

import argparse
import gc
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from analysis.report import build_report, charts, render_pdf, warm_up  # noqa: E402
from analysis.report.collector import RENDER_THRESHOLD, fewer_collections  # noqa: E402
from analysis.sipas import compute_sipas  # noqa: E402
from analysis.synthetic import synthetic_responses  # noqa: E402
from questionnaires import load_bundled  # noqa: E402

FIELDS = ["TP", "DD", "XD"]
WAVE = {"code": "2026", "name": "Khảo sát SIPAS năm 2026", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31"}


def _context(n: int) -> dict:
    q = load_bundled("sipas")
    rows = [("P", "Tỉnh Thử Nghiệm", None, "province", None)]
    rows += [(f"P-X{i:02d}", f"Xã Thử Nghiệm Số {i}", None, "commune", "P") for i in range(30)]
    units = pd.DataFrame(rows, columns=["code", "name", "name_en", "kind", "parent_code"])
    answering = pd.DataFrame({"unit_code": units["code"][1:]})
    pops = pd.DataFrame([(c, f, 300) for c in answering["unit_code"] for f in FIELDS],
                        columns=["unit_code", "service_field", "dossiers"])
    result = compute_sipas(synthetic_responses(q, answering, n, seed=5, fields=FIELDS),
                           q, units, pops, wave="2026")
    return build_report(result, "P-X01", questionnaire=q, units=units, lang="vi", wave=WAVE)


class _Collections:
    """Counts the collector's runs by generation (a gc callback)."""

    def __init__(self):
        self.counts = [0, 0, 0]
        gc.callbacks.append(self)

    def __call__(self, phase, info):
        if phase == "stop":
            self.counts[info["generation"]] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("-n", type=int, default=6000, help="responses in the wave")
    parser.add_argument("--thresholds", default=f"700,5000,20000,50000,{RENDER_THRESHOLD},500000")
    args = parser.parse_args()
    thresholds = [int(t) for t in args.thresholds.split(",")]

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    context = _context(args.n)
    charts.warm_up()
    gc.collect()
    gc.freeze()                                  # as `flask --app wsgi worker` does
    warm_up()
    render_pdf(context)                          # the thread's first report, untimed
    counter = _Collections()
    seconds = {t: [] for t in thresholds}
    collections = {t: [0, 0, 0] for t in thresholds}
    for round_ in range(args.repeat):
        for threshold in thresholds if round_ % 2 == 0 else thresholds[::-1]:
            before = list(counter.counts)
            start = time.process_time()
            # render_pdf's own raise, nested in this one, keeps this threshold.
            with fewer_collections(threshold):
                render_pdf(context)
            seconds[threshold].append(time.process_time() - start)
            for g in range(3):
                collections[threshold][g] += counter.counts[g] - before[g]
    anchor = statistics.median(seconds[thresholds[0]])
    print(f"one commune's report, CPU seconds, median of {args.repeat} "
          f"(Python {sys.version.split()[0]}; the anchor is the first threshold)")
    print(f"  {'young threshold':>16} {'CPU s':>8} {'ratio':>6}   collections per report (gen 0/1/2)")
    for threshold in thresholds:
        median = statistics.median(seconds[threshold])
        per = "/".join(f"{c / args.repeat:.1f}" for c in collections[threshold])
        mark = "  <- RENDER_THRESHOLD" if threshold == RENDER_THRESHOLD else ""
        print(f"  {threshold:>16,} {median:8.3f} {median / anchor:6.2f}   {per}{mark}")


if __name__ == "__main__":
    main()
