"""Benchmark: dashboards of a 1,000,000-response PostgreSQL wave through the results cache.

Run from the repository root::

    .venv/bin/python bench/bench_dashboard.py [--rows 1000000] [--redis redis://127.0.0.1:6379/1]

Creates its own database ``bench_dash_<pid>`` (dropped at the end) with the synthetic
national wave of ``bench/national_wave.py`` (34 provinces, ~3,400 communes, 16 fields),
bulk-loaded with ``COPY … FROM STDIN``.  Then, each figure beside its anchor:

* reading the wave: ``survey.services.wave_data.read_wave_frame`` (rows/s) against a
  plain ``COPY (SELECT …) TO STDOUT`` of the same rows, read and thrown away — cold (the
  wave's segments being built) and warm (read from them);
* worker 1 (a process with its own app): the first view of a province's dashboard,
  which computes the wave's results and stores them in the shared cache;
* worker 2 (another process): its first request (the process also compiles the
  templates), then views of units no worker has viewed (two communes of the province,
  two other provinces, a commune of another province), then all of them again; each
  beside the anchor: the median of 20 GETs of a bare Flask endpoint in the same process
  (same test client, no database), and a plain SQL query (``SELECT 1``) round trip;
* one new response is inserted; a new worker's views right after it (the results of the
  previous data version while the new one is computed in the background) and the time
  until the new response shows in the figures.

``BENCH_PROFILE=<directory>`` writes a pyinstrument profile of each later view there.

Load only to 127.0.0.1; no server port is opened (the two workers are processes with
the app's test client: the whole Flask stack, sign-in, templates, charts).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
EMAIL, PASSWORD = "bench@example.org", "bench-password-123"


def _url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _app(url: str, redis_url: str | None, **extra):
    from survey import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                       "RESULTS_CACHE_URL": redis_url, "RESULTS_CACHE_PREFIX": f"bench-{os.getpid()}",
                       "RESULTS_CACHE_FRESHNESS": 0, "RATELIMIT_ENABLED": False, **extra})


def build(url: str, rows: int) -> dict:
    """Schema, units, points, fields, a wave of ``rows`` responses, populations, a user."""
    import msgspec
    import pandas as pd

    from national_wave import FIELDS, national_wave
    from survey.extensions import db
    from survey.models import ServiceField, Unit, Wave, utcnow
    from survey.models_accounts import User
    from survey.services.accounts import hash_password
    from survey.services.questionnaire_versions import register_version

    t0 = time.perf_counter()
    q, responses, units, pops = national_wave(rows)
    print(f"  generated {rows:,} responses in {time.perf_counter() - t0:.1f} s", flush=True)
    app = _app(url, None)
    with app.app_context():
        db.create_all()
        version = register_version(q)
        ids = {}
        for level in ("province", "commune"):
            for r in units[units["kind"] == level].itertuples():
                unit = Unit(code=r.code, name=r.name, name_en=r.name_en, kind=r.kind,
                            parent_id=ids.get(r.parent_code))
                db.session.add(unit)
                if level == "province":
                    db.session.flush()
                    ids[r.code] = unit.id
        db.session.flush()
        ids = dict(db.session.execute(db.select(Unit.code, Unit.id)).all())
        fields = {c: ServiceField(code=c, name=f"Lĩnh vực {c}") for c in FIELDS}
        db.session.add_all(fields.values())
        roots = db.session.scalars(db.select(Unit).where(Unit.parent_id.is_(None))).all()
        wave = Wave(code="NATIONAL", name="Đợt toàn quốc", status="open",
                    questionnaire_version_id=version.id, units=list(roots))
        db.session.add(wave)
        db.session.add(User(email=EMAIL, role="administrator", name="Bench", active=True,
                            password_hash=hash_password(PASSWORD)))
        db.session.commit()
        field_ids = {c: f.id for c, f in fields.items()}
        wave_id, version_id = wave.id, version.id
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cur:
            points = sorted(set(responses["service_point"]))
            with cur.copy("COPY service_points (code, name, unit_id, active) FROM STDIN") as copy:
                for code in points:
                    copy.write_row((code, f"Một cửa {code}", ids[code.rsplit("-", 1)[0]], True))
            cur.execute("SELECT code, id FROM service_points")
            point_ids = dict(cur.fetchall())
            with cur.copy("COPY populations (wave_id, unit_id, service_field_id, dossiers) FROM STDIN") as copy:
                for r in pops.itertuples():
                    copy.write_row((wave_id, ids[r.unit_code], field_ids[r.service_field], int(r.dossiers)))
            questions = [c for c in responses.columns if c not in
                         ("unit_code", "service_point", "service_field", "channel")]
            encode = msgspec.json.Encoder().encode
            rng = np.random.default_rng(7)
            t1 = time.perf_counter()
            submitted = (pd.Timestamp("2026-01-01")
                         + pd.to_timedelta(rng.integers(0, 90 * 24, rows), "h")).to_pydatetime()
            channel = np.where(responses["channel"].astype(str).str.startswith("online"),
                               "online", "in_person")
            cols = [responses[c].tolist() for c in questions]
            names = ["channel"] + questions
            chan_answers = responses["channel"].tolist()
            with cur.copy("COPY responses (wave_id, unit_id, service_point_id, service_field_id, "
                          "channel, mode, questionnaire_version_id, answers, submitted_at, "
                          "submission_id, flags, is_demo) FROM STDIN") as copy:
                for i, (u, p, f) in enumerate(zip(responses["unit_code"].tolist(),
                                                  responses["service_point"].tolist(),
                                                  responses["service_field"].tolist())):
                    values = [chan_answers[i]] + [c[i] for c in cols]
                    answers = {k: v for k, v in zip(names, values) if v is not None}
                    copy.write_row((wave_id, ids[u], point_ids[p], field_ids[f], channel[i], "web",
                                    version_id, encode(answers).decode(), submitted[i],
                                    str(uuid.uuid4()), "[]", False))
            raw.commit()
            cur.execute("ANALYZE")
        print(f"  loaded {rows:,} responses with COPY in {time.perf_counter() - t1:.1f} s", flush=True)
        province = units[units["kind"] == "province"]["code"].tolist()
        communes = units[units["parent_code"] == province[0]]["code"].tolist()
        elsewhere = units[units["parent_code"] == province[3]]["code"].tolist()
        db.engine.dispose()
    return {"wave": "NATIONAL", "province": province[0], "others": province[1:3],
            "communes": communes[:3], "elsewhere": elsewhere[:2], "now": str(utcnow())}


def read_speed(url: str) -> dict:
    """Rows/s of the wave reader (cold: segments being built; warm: read from them) and of
    a bare COPY of the same rows (the anchor)."""
    from sqlalchemy import select, text

    from survey.extensions import db
    from survey.models import Wave
    from survey.services import wave_data

    app = _app(url, None)
    with app.app_context():
        wave = db.session.scalar(select(Wave))
        query = wave_data._rows_query(wave, "postgresql", None, None, None, "vi")
        compiled = query.compile(dialect=db.session.connection().dialect,
                                 compile_kwargs={"render_postcompile": True})
        statement = f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv)"

        def anchor_once():
            raw = db.session.connection().connection.driver_connection
            t0, size = time.perf_counter(), 0
            with raw.cursor() as cur, cur.copy(statement, compiled.params) as copy:
                for block in copy:
                    size += len(block)
            seconds = time.perf_counter() - t0
            db.session.commit()
            return seconds, size

        def read_once():
            t0 = time.perf_counter()
            frame = wave_data.read_wave_frame(wave)
            seconds = time.perf_counter() - t0
            db.session.commit()
            return seconds, frame

        # After a bulk load autovacuum sets the visibility map in its own time; do it now,
        # so that the segment check (count and sum of ids per range) is index-only.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) responses")
        anchors = [anchor_once()]
        size = anchors[0][1]
        # Cold: no segment yet, every row is decoded from JSON and cut into segments on the
        # way; warm: the segments are read (the figure the goal is about).  The anchor and
        # the warm read alternate twice and the faster of each counts: the machine is shared.
        cold, cold_frame = read_once()
        segments = db.session.execute(text("SELECT count(*), coalesce(sum(length(data)), 0) "
                                           "FROM wave_segments")).one()
        warms = [read_once()[0]]
        anchors.append(anchor_once())
        seconds, frame = read_once()
        warms.append(seconds)
        anchor = min(seconds for seconds, _ in anchors)
        ours = min(warms)
        assert frame.equals(cold_frame)
        db.engine.dispose()
    return {"rows": len(frame), "ours": ours, "anchor": anchor, "mb": size / 2**20, "cold": cold,
            "segments": segments[0], "segment_mb": segments[1] / 2**20,
            "all": {"anchor": [round(s, 2) for s, _ in anchors], "warm": [round(s, 2) for s in warms]}}


def worker(url: str, redis_url: str | None, paths: list[str], label: str, until: str | None) -> None:
    unit = paths[0].split("/")[-1].split("?")[0]
    """One worker: sign in, then time each GET of ``paths`` (JSON lines on stdout)."""
    app = _app(url, redis_url, RESULTS_CACHE_SYNC_LIMIT=10**9 if label == "first" else 0)
    app.add_url_rule("/bench-anchor", "bench_anchor", lambda: "ok")
    client = app.test_client()
    r = client.post("/quan-ly/dang-nhap", data={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    profile_dir = os.environ.get("BENCH_PROFILE")
    for n, path in enumerate(paths):
        profiler = None
        if profile_dir and label != "first":
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        t0 = time.perf_counter()
        r = client.get(path)
        seconds = time.perf_counter() - t0
        if profiler is not None:
            profiler.stop()
            Path(profile_dir, f"{label}-{n}.txt").write_text(profiler.output_text(show_all=False))
        body = r.get_data(as_text=True)
        if r.status_code >= 500:
            print(body[-3000:], file=sys.stderr)
        print(json.dumps({"label": label, "path": path, "status": r.status_code, "seconds": seconds,
                          "bytes": len(body), "anchor": _anchors(app, client)}), flush=True)
    if until:
        # Poll (bounded) until the results count ``until`` responses: the delay of a new one.
        from survey.extensions import db
        from survey.models import Wave
        from survey.services import results_cache

        t0 = time.perf_counter()
        for _ in range(1200):
            with app.app_context():
                wave = db.session.scalar(db.select(Wave))
                try:
                    # The commune's part: a small read (the whole result is not loaded).
                    if results_cache.sipas(wave, wait=False, unit=unit).n_responses == int(until):
                        break
                except results_cache.Computing:
                    pass
            time.sleep(0.5)
        print(json.dumps({"label": "new-response-visible", "seconds": time.perf_counter() - t0}),
              flush=True)


def _anchors(app, client) -> dict:
    """Medians of 20 GETs of a bare Flask endpoint and of 20 ``SELECT 1`` round trips."""
    from sqlalchemy import text

    from survey.extensions import db

    flask_times, sql_times = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        client.get("/bench-anchor")
        flask_times.append(time.perf_counter() - t0)
    with app.app_context():
        for _ in range(20):
            t0 = time.perf_counter()
            db.session.execute(text("SELECT 1")).scalar()
            sql_times.append(time.perf_counter() - t0)
    return {"flask": float(np.median(flask_times)), "sql": float(np.median(sql_times))}


def _run_worker(args, url, paths, label, until=None) -> list[dict]:
    cmd = [sys.executable, __file__]
    if args.redis:
        cmd += ["--redis", args.redis]
    if until:
        cmd += ["--until", until]
    cmd += ["--worker", url, label, *paths]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode or '"status": 5' in done.stdout:
        print(done.stderr[-4000:])
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _print_view(who: str, what: str, r: dict) -> None:
    a = r["anchor"]
    print(f"{who} {r['path']} ({what}): {r['status']} in {r['seconds'] * 1000:.0f} ms;  "
          f"anchors: bare Flask endpoint {a['flask'] * 1000:.2f} ms (ratio {r['seconds'] / a['flask']:.0f}), "
          f"SELECT 1 {a['sql'] * 1000:.2f} ms (ratio {r['seconds'] / a['sql']:.0f})", flush=True)


def add_response(url: str, commune: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO responses (wave_id, unit_id, service_point_id, service_field_id, channel, mode,
                                   questionnaire_version_id, answers, submitted_at, submission_id,
                                   flags, is_demo)
            SELECT wave_id, (SELECT id FROM units WHERE code = :c), service_point_id, service_field_id,
                   channel, mode, questionnaire_version_id, answers, submitted_at, :sid, flags, is_demo
            FROM responses ORDER BY id LIMIT 1"""),
            {"sid": str(uuid.uuid4()), "c": commune})
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--redis", help="RESULTS_CACHE_URL (default: the database)")
    parser.add_argument("--until")
    parser.add_argument("--skip-read", action="store_true",
                        help="skip timing the wave reader (the dashboards' figures only)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        url, label, *paths = args.worker
        worker(url, args.redis, paths, label, args.until)
        return
    name = f"bench_dash_{os.getpid()}"
    _admin(f'CREATE DATABASE "{name}"')
    url = _url(name)
    try:
        t0 = time.perf_counter()
        info = build(url, args.rows)
        print(f"built in {time.perf_counter() - t0:.1f} s")
        if args.skip_read:
            speed = {"rows": args.rows, "ours": float("nan"), "anchor": float("nan"), "mb": float("nan")}
        else:
            speed = read_speed(url)
        print(f"read the wave: {speed['rows']:,} rows  ours {speed['ours']:.2f} s "
              f"({speed['rows'] / speed['ours']:,.0f} rows/s)  bare COPY {speed['anchor']:.2f} s "
              f"({speed['rows'] / speed['anchor']:,.0f} rows/s, {speed['mb']:.0f} MB)  "
              f"ratio {speed['anchor'] / speed['ours']:.2f}")
        print(f"read the wave cold (segments being built): {speed['cold']:.2f} s "
              f"({speed['rows'] / speed['cold']:,.0f} rows/s, ratio to bare COPY "
              f"{speed['anchor'] / speed['cold']:.2f}); warm: {speed['ours']:.2f} s from "
              f"{speed['segments']} segments of {speed['segment_mb']:.0f} MB (each run: {speed['all']})")
        base = "/quan-ly/don-vi/{}?wave=" + info["wave"]
        first = _run_worker(args, url, [base.format(info["province"])], "first")
        for r in first:
            print(f"worker 1 first view {r['path']}: {r['status']} in {r['seconds']:.2f} s")
        never = [info["communes"][0], info["communes"][1], *info["others"], info["elsewhere"][0]]
        paths = [base.format(c) for c in [info["province"], *never]]
        later = _run_worker(args, url, paths + paths, "later")
        for k, r in enumerate(later):
            what = ("first request of the process" if k == 0 else
                    "never viewed before" if k < len(paths) else "viewed again")
            _print_view("worker 2", what, r)
        add_response(url, info["communes"][0])
        t_insert = time.perf_counter()
        after = _run_worker(args, url, [base.format(info["communes"][0]), base.format(info["province"]),
                                        base.format(info["communes"][2])], "after",
                            until=str(speed["rows"] + 1))
        for k, r in enumerate(after):
            if r["label"] == "after":
                what = ("first request of the process, " if k == 0 else "") + (
                    "right after one new response: the previous version's results while the new "
                    "one is computed in the background")
                _print_view("worker 3", what, r)
            else:
                print(f"the new response showed {time.perf_counter() - t_insert:.1f} s after the insert "
                      f"(polled for {r['seconds']:.1f} s after the views above; anchor: the first "
                      f"view of worker 1, which computed the wave, {first[0]['seconds']:.1f} s)")
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
