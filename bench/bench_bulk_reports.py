"""Benchmark: bulk reports on the task queue with 1 and 2 workers, and one report's time.

Run from the repository root (Redis at 127.0.0.1:6379, or ``--redis URL``)::

    .venv/bin/python bench/bench_bulk_reports.py [--units 100] [-n 20000] [--keep DIR]
    # one report alone: --units 3 --skip anchor --workers ""
    # and 20 different communes once each: add --communes 20

A temporary SQLite database gets one province of 300 communes and a wave of ``-n``
synthetic responses (``bench_export_csv.build``). Then, on the same ``--units`` communes:

- anchor: ``reports.bulk_reports`` with a pool of 2 processes (the ``flask report-bulk``
  path; the issue measured 100 reports in 68 s with it);
- ``report-bulk`` on the queue (Redis, a namespace of its own) with 1, then 2 worker
  processes (``flask --app wsgi worker``), started before the job and timed from the
  job's start to its ZIP; the ratio 2 workers / 1 worker (goal >= 1.8);
- one commune's report in this process, median of ``--repeat``, split into its steps,
  beside the same steps of the pipeline as it was before issue 13 (automatic table layout,
  fonts and stylesheet per report, matplotlib charts (bench/before_charts.py) laid out
  by constrained layout, inline SVG, the cover a flex column, the contents' page numbers
  after leader dots, the collector's default thresholds, SVG chart labels drawn one code
  point at a time), measured in the same run
  (goal <= 0.6 s; the issue measured 1.17 s).
  Both run on this interpreter: scripts/setup.sh's choice of it is not in the ratio.
- with ``--communes N``: N different communes' whole reports, once each, in this process
  with nothing else in between (median, mean, range).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _app(db_url: str, jobs_dir: Path, redis_url: str, namespace: str):
    from survey import create_app
    from survey.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": db_url,
                      "JOBS_DIR": str(jobs_dir), "JOBS_BROKER_URL": redis_url,
                      "JOBS_NAMESPACE": namespace})
    with app.app_context():
        db.create_all()             # a kept database from an older schema gets the new tables
    return app


def _units(app, count: int):
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Unit, Wave

    wave = db.session.scalar(select(Wave).where(Wave.code == "BULK"))
    units = list(db.session.scalars(select(Unit).where(Unit.kind == "commune")
                                    .order_by(Unit.code).limit(count)))
    return wave, units


def _interpreter() -> str:
    """This Python's version and build: its libpython linked in or loaded as a shared library
    (scripts/pick_python.sh prefers the first; a report renders ~20% faster on it)."""
    executable = os.path.realpath(sys.executable)
    try:
        linked = subprocess.run(["ldd", executable], capture_output=True, text=True,
                                timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        linked = ""
    build = "shared libpython" if "libpython" in linked else "libpython linked in"
    return f"Python {sys.version.split()[0]} ({executable}, {build})"


def _start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    workers = []
    for _ in range(count):
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        # Ready once it says so (imports and app creation are not part of the run).
        line = process.stderr.readline()
        if "Worker running" not in line:
            raise RuntimeError(f"worker did not start: {line}{process.stderr.read()}")
        workers.append(process)
    return workers


def _stop(workers: list[subprocess.Popen]) -> None:
    for process in workers:
        process.terminate()
    for process in workers:
        process.wait(timeout=120)
        process.stderr.close()


def queue_run(app, n_workers: int, n_units: int, env: dict) -> float:
    """Seconds from the start of a ``report-bulk`` job to its ZIP, with ``n_workers``."""
    from survey.extensions import db
    from survey.models_jobs import Job
    from survey.services import jobs

    workers = _start_workers(n_workers, env)
    try:
        with app.app_context():
            wave, units = _units(app, n_units)
            t0 = time.perf_counter()
            job = jobs.start_bulk_reports(None, wave, units)
            job_id = job.id
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                # A new transaction per look: a SQLite reader keeps its snapshot otherwise.
                db.session.rollback()
                job = db.session.get(Job, job_id)
                if job.status in ("ready", "failed"):
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - t0
            if job.status != "ready":
                raise RuntimeError(f"job {job_id} ended {job.status}: {job.error}")
    finally:
        _stop(workers)
    return elapsed


def pool_run(app, n_units: int, out: Path) -> float:
    """Seconds of ``reports.bulk_reports`` with a pool of 2 processes (the anchor)."""
    from survey.services import reports

    with app.app_context():
        wave, units = _units(app, n_units)
        t0 = time.perf_counter()
        reports.bulk_reports(wave, units, out, workers=2)
        return time.perf_counter() - t0


# The report pipeline as it was before issue 13 (the "before" column, measured in the same
# run): automatic table layout, fonts and stylesheet loaded for every report, the charts
# drawn by matplotlib (bench/before_charts.py), each laid out by constrained layout, inline
# in the HTML, the cover a flex column, the
# contents' page numbers after leader(".") dots, and the collector's default thresholds.
_BEFORE_CSS = """
table { table-layout: auto; } td.num, th.num { white-space: nowrap; }
.cover { display: flex; flex-direction: column; }
.cover .kicker { margin: 28mm 0 2.5mm; } .cover h1 { margin: 6mm 0 12mm; }
.cover dl { margin: 1em 0; }
.toc li { border-bottom: none; } .toc a, .toc a span { display: inline; width: auto; }
.toc a::after { content: leader(".") target-counter(attr(href), page); display: inline;
                width: auto; }
"""


def _steps_before(context, R, charts, weasyprint, FontConfiguration, AssetFetcher) -> list[float]:
    from analysis.report import (compression, font_keys, normal_flow, style_values, svg_text,
                                 teardown, text_layouts, used_lengths)

    # WeasyPrint's and pydyf's own code where analysis.report puts its stand-ins
    # (patching.py): SVG text glyph by glyph, zlib level 9, and the rest.
    replaced = (svg_text, compression, used_lengths, style_values, text_layouts, font_keys,
                normal_flow, teardown)
    for module in replaced:
        module.uninstall()
    try:
        return _steps_before_timed(context, R, charts, weasyprint, FontConfiguration,
                                   AssetFetcher)
    finally:
        for module in replaced:
            module.install()


def _before_process_start() -> None:
    """Set up the process that runs the old pipeline: its chart fonts loaded and the heap
    frozen, as the main process is for the new one."""
    import logging

    import before_charts

    from analysis.report import render  # noqa: F401  (what the new pipeline imports)
    from survey.heap import freeze_long_lived

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    before_charts.warm_up()
    freeze_long_lived()


def _before_round(context: dict) -> tuple[float, list[float]]:
    """One report by the old pipeline, in its own process: its whole time and its steps."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    import before_charts

    from analysis.report import render as R
    from analysis.report.fetcher import AssetFetcher

    gc.collect()
    t0 = time.perf_counter()
    steps = _steps_before(context, R, before_charts, weasyprint, FontConfiguration,
                          AssetFetcher)
    return time.perf_counter() - t0, steps


def _steps_before_timed(context, R, charts, weasyprint, FontConfiguration,
                        AssetFetcher) -> list[float]:
    base = "sipas-asset:templates/"
    t = [time.perf_counter()]
    charts._AXES_BOUNDS.clear()
    drawn = {"elements": charts.element_chart(context["element_chart"], "vi")}
    if context.get("drivers"):
        drawn["drivers"] = charts.drivers_chart(context["drivers"], "vi", constrained=True)
    t.append(time.perf_counter())
    html = R._environment().get_template("report.html").render(**context, charts=drawn)
    t.append(time.perf_counter())
    fetcher, fonts = AssetFetcher(), FontConfiguration()
    css = weasyprint.CSS(string=R._stylesheet_text() + _BEFORE_CSS, url_fetcher=fetcher,
                         font_config=fonts, base_url=base)
    t.append(time.perf_counter())
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=base).render(
        stylesheets=[css], font_config=fonts, pdf_variant=R.PDF_VARIANT)
    t.append(time.perf_counter())
    document.write_pdf(pdf_variant=R.PDF_VARIANT, finisher=R.header_scopes)
    t.append(time.perf_counter())
    return [b - a for a, b in zip(t, t[1:])]


def _steps_after(context, R, weasyprint) -> list[float]:
    from analysis.report.collector import fewer_collections

    with fewer_collections():                    # as render_pdf renders
        return _steps_after_timed(context, R, weasyprint)


def _steps_after_timed(context, R, weasyprint) -> list[float]:
    t = [time.perf_counter()]
    drawn = R.draw_charts(context)
    t.append(time.perf_counter())
    html = R.render_html(context, charts_markup=drawn)
    t.append(time.perf_counter())
    fetcher, fonts, css = R._styles(None)
    t.append(time.perf_counter())
    fetcher.charts = {name: str(svg).encode("utf-8") for name, svg in drawn.items()}
    R.teardown.expect()
    document = R.html_tree.document(html, url_fetcher=fetcher, base_url=R._BASE_URL).render(
        stylesheets=[css], font_config=fonts, pdf_variant=R.PDF_VARIANT)
    t.append(time.perf_counter())
    document.write_pdf(pdf_variant=R.PDF_VARIANT, finisher=R.header_scopes)
    R.teardown.tear_down(document)               # as render_pdf does, after writing
    t.append(time.perf_counter())
    R.teardown.forget()
    fetcher.charts = {}
    return [b - a for a, b in zip(t, t[1:])]


STEPS = ("charts (SVG)", "HTML template", "CSS + fonts (@font-face)",
         "WeasyPrint: parse, styles, layout", "WeasyPrint: PDF (draw incl. SVG, fonts)")


def one_report(app, repeat: int) -> dict[str, tuple[float, float]]:
    """Median seconds of each step of one commune's report, before and after issue 13's
    changes (after a warm-up report), as ``{step: (before, after)}``.

    The steps are those of ``analysis.report.render_pdf``, timed one by one; the two
    pipelines alternate in each repeat so that both see the same load. "whole report" is
    timed around each pipeline as a whole (the "after" one is ``unit_report_from``), so it
    also holds what falls between and after the steps, such as the collection that frees a
    render's garbage when its raised threshold is given back. The old pipeline runs in a
    process of its own (spawned once, fed the same context): in this one, its fonts made
    anew for every report and its garbage at the default thresholds slowed the new
    pipeline's next report by ~10 %, which a queue worker, running only the new one, does
    not pay.
    """
    import logging
    import multiprocessing

    import weasyprint

    from analysis.report import charts, warm_up
    from analysis.report import render as R
    from survey.extensions import db
    from survey.heap import freeze_long_lived
    from survey.services import reports

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    before: dict[str, list[float]] = {}
    after: dict[str, list[float]] = {}
    with app.app_context():
        # The state of a queue worker (``flask --app wsgi worker``) when its first message
        # arrives: the app and the chart fonts loaded and frozen out of the garbage
        # collector's scans, then the thread's report fonts and stylesheet loaded
        # (survey.jobs.WarmRenderer); the wave's results are then loaded by the job.
        charts.warm_up()
        freeze_long_lived()
        warm_up()
        wave, units = _units(app, 3)
        results = reports.wave_results(wave)
        reports.unit_report_from(results, units[0], wave)             # warm-up
        old = multiprocessing.get_context("spawn").Pool(1, initializer=_before_process_start)
        warm = reports._report_context(*results, units[0].code, wave, None, "vi")
        old.apply(_before_round, (warm,))                             # its warm-up
        for _ in range(repeat):
            # Each timed part starts from a collected heap, so no part pays for another's
            # garbage (the old pipeline's, promoted at the default thresholds, would
            # otherwise fall into the next full collection, inside another part's time).
            gc.collect()
            t0 = time.perf_counter()
            context = reports._report_context(*results, units[1].code, wave, None, "vi")
            elapsed = time.perf_counter() - t0
            seconds, steps = old.apply(_before_round, (context,))
            before.setdefault("whole report", []).append(elapsed + seconds)
            for name, seconds in zip(STEPS, steps):
                before.setdefault(name, []).append(seconds)
            gc.collect()
            for name, seconds in zip(STEPS, _steps_after(context, R, weasyprint)):
                after.setdefault(name, []).append(seconds)
            gc.collect()
            t0 = time.perf_counter()
            reports.unit_report_from(results, units[1], wave)
            after.setdefault("whole report", []).append(time.perf_counter() - t0)
            before.setdefault("context (plain data)", []).append(elapsed)
            after.setdefault("context (plain data)", []).append(elapsed)
        old.close()
        old.join()
        db.session.remove()
    order = ("context (plain data)", *STEPS, "whole report")
    return {name: (statistics.median(before[name]), statistics.median(after[name]))
            for name in order}


def many_communes(app, count: int) -> list[float]:
    """Seconds of each of ``count`` different communes' whole reports (``unit_report_from``,
    context included), each rendered once in this process, in the state of a queue
    worker, with no other pipeline in between: the spread a bulk job sees."""
    import logging

    from analysis.report import charts, warm_up
    from survey.extensions import db
    from survey.heap import freeze_long_lived
    from survey.services import reports

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    seconds = []
    with app.app_context():
        charts.warm_up()
        freeze_long_lived()
        warm_up()
        wave, units = _units(app, count + 1)
        results = reports.wave_results(wave)
        reports.unit_report_from(results, units[0], wave)             # warm-up
        for unit in units[1:]:
            gc.collect()
            t0 = time.perf_counter()
            reports.unit_report_from(results, unit, wave)
            seconds.append(time.perf_counter() - t0)
        db.session.remove()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("-n", type=int, default=20_000, help="responses in the wave")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", default="1,2",
                        help='queue worker counts, comma-separated ("" runs no queue part)')
    parser.add_argument("--skip", default="", help="parts to skip: one,anchor (comma-separated)")
    parser.add_argument("--communes", type=int, default=0,
                        help="also render this many different communes once each and print "
                             "their spread")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--keep", type=Path, help="Directory to keep the database in (reused).")
    args = parser.parse_args()

    import redis

    from bench_export_csv import build

    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        db_path = where / "bulk.sqlite3"
        if not db_path.exists():
            t0 = time.perf_counter()
            build(db_path, {"BULK": args.n})
            print(f"built {args.n:,} responses in {time.perf_counter() - t0:.1f} s")
        db_url = f"sqlite:///{db_path}"
        namespace = f"sipas-bench-{uuid.uuid4().hex[:12]}"
        app = _app(db_url, Path(tmp) / "jobs", args.redis, namespace)
        env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench", "FLASK_APP": "wsgi",
               "JOBS_BROKER_URL": args.redis, "JOBS_NAMESPACE": namespace,
               "JOBS_DIR": str(Path(tmp) / "jobs")}
        try:
            skip = set(args.skip.split(","))
            if "one" not in skip:
                steps = one_report(app, args.repeat)
                print(f"one commune's report, median of {args.repeat} (issue: 1.17 s; goal <= 0.6 s); "
                      "before = the pipeline before issue 13, same run, on " + _interpreter() + ":")
                print(f"  {'step':<40} {'before':>8} {'after':>8} {'after/before':>13}")
                for name, (b, a) in steps.items():
                    print(f"  {name:<40} {b:6.3f} s {a:6.3f} s {a / b if b else 0:12.2f}")
            if args.communes:
                spread = many_communes(app, args.communes)
                print(f"{len(spread)} different communes, one report each in this process: "
                      f"median {statistics.median(spread):.3f} s, mean "
                      f"{statistics.fmean(spread):.3f} s, {min(spread):.3f}-{max(spread):.3f} s "
                      f"(goal <= 0.6 s)", flush=True)
            if "anchor" not in skip:
                anchor = pool_run(app, args.units, Path(tmp) / "pool")
                print(f"anchor: bulk_reports, pool of 2 processes: {args.units} reports in {anchor:6.1f} s "
                      f"({args.units / anchor:5.2f} reports/s; issue: 100 in 68 s, 1.47/s)", flush=True)
            times = {}
            for count in (int(w) for w in args.workers.split(",") if w.strip()):
                times[count] = queue_run(app, count, args.units, env)
                print(f"queue, {count} worker(s): {args.units} reports in {times[count]:6.1f} s "
                      f"({args.units / times[count]:5.2f} reports/s)", flush=True)
            if 1 in times and 2 in times:
                print(f"ratio 2 workers / 1 worker: {times[1] / times[2]:4.2f}x (goal >= 1.8x)")
        finally:
            connection = redis.Redis.from_url(args.redis)
            keys = list(connection.scan_iter(match=f"{namespace}*"))
            if keys:
                connection.delete(*keys)
            with app.app_context():
                from survey.extensions import db

                db.engine.dispose()


if __name__ == "__main__":
    main()
