"""Benchmark: PDF reports — one unit, a province with 100 child units, and 100 in bulk.

The waves are synthetic (``analysis.synthetic``) and computed once, untimed apart from the
printed compute time; the timings are ``build_report`` + ``render_pdf``. Targets: one
unit's report 3 s, the province report 15 s; the bulk rate (``render_many``, contexts
built in this process, PDFs in worker processes, the pool's start-up included) is printed
for each ``--workers`` count.

    .venv/bin/python bench/bench_reports.py [--children 100] [--bulk 100] [-n 20000] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from analysis.report import build_report, render_many, render_pdf  # noqa: E402
from analysis.sipas import compute_sipas  # noqa: E402
from analysis.synthetic import synthetic_responses  # noqa: E402
from questionnaires import load_bundled  # noqa: E402

FIELDS = ["TP", "DD", "XD", "KD", "HKD", "LD"]
WAVE = {"code": "2026", "name": "Khảo sát SIPAS năm 2026", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31"}


def _province(children: int) -> pd.DataFrame:
    rows = [("P", "Tỉnh Thử Nghiệm", "Test Province", "province", None)]
    rows += [(f"P-X{i:03d}", f"Xã Thử Nghiệm Số {i}", None, "commune", "P") for i in range(children)]
    return pd.DataFrame(rows, columns=["code", "name", "name_en", "kind", "parent_code"])


def _timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t
    print(f"{label:<46} {elapsed:7.2f} s")
    return out, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100)
    parser.add_argument("--bulk", type=int, default=100)
    parser.add_argument("-n", type=int, default=20000, help="responses per wave")
    parser.add_argument("--workers", default="1,2", help="worker counts for the bulk run, comma-separated")
    args = parser.parse_args()

    q = load_bundled("sipas")
    units = _province(args.children)
    answering = pd.DataFrame({"unit_code": units["code"][1:]})
    pops = pd.DataFrame([(c, f, 300) for c in answering["unit_code"] for f in FIELDS],
                        columns=["unit_code", "service_field", "dossiers"])
    prev, _ = _timed("compute previous wave", lambda: compute_sipas(
        synthetic_responses(q, answering, args.n, seed=1, fields=FIELDS), q, units, pops, wave="2025"))
    result, _ = _timed("compute wave (with rank changes)", lambda: compute_sipas(
        synthetic_responses(q, answering, args.n, seed=2, fields=FIELDS), q, units, pops,
        previous=prev, wave="2026"))

    def context(code):
        return build_report(result, code, questionnaire=q, units=units, compare=prev, wave=WAVE)

    def report(code):
        return render_pdf(context(code))

    report("P-X000")            # warm-up: fonts, templates, chart font metrics
    pdf, one = _timed("one unit's report (commune, vi)", lambda: report("P-X001"))
    print(f"{'':<46} {len(pdf) / 1024:7.0f} KiB  target 3 s: {'ok' if one <= 3 else 'SLOW'}")
    pdf, prov = _timed(f"province report with {args.children} child units", lambda: report("P"))
    print(f"{'':<46} {len(pdf) / 1024:7.0f} KiB  target 15 s: {'ok' if prov <= 15 else 'SLOW'}")
    codes = list(answering["unit_code"][: args.bulk])
    for workers in (int(w) for w in args.workers.split(",")):
        _, bulk = _timed(f"bulk: {len(codes)} unit reports, workers={workers}",
                         lambda: list(render_many((context(c) for c in codes), workers=workers)))
        print(f"{'':<46} {len(codes) / bulk:7.2f} reports/s ({bulk / len(codes):.2f} s each)")


if __name__ == "__main__":
    main()
