"""Benchmark: streaming CSV export of a 1,000,000-response wave, from SQLite and PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/bench_export_csv.py [--rows 1000000] [--small 100000] [--keep DIR]
        [--backend sqlite|postgresql|both]

A temporary database (a SQLite file; on PostgreSQL a database ``sipas_bench_*`` made on
the server of ``BENCH_PG_ADMIN_URL`` and dropped at the end) gets one province of 300 communes with populations, a small
wave (``--small`` responses) and a large wave (``--rows`` responses) of synthetic SIPAS
answers, bulk-inserted with ``executemany``.  Each wave is then exported through the
streaming path (``survey.services.exports.iter_wave_csv``) in a fresh process, so that
its peak RSS is the export's alone; the script prints wall time, rows per second, file
size, and peak RSS above the process's RSS at start.  Flat memory shows as about the
same peak for both waves; the target is at most 60 s for 1,000,000 rows.  Each wave is
exported twice: cold (the first read builds the wave's columnar cache) and warm.

On PostgreSQL the anchor, in the same run, is a plain ``COPY (SELECT ... FROM responses
WHERE wave_id = ...) TO STDOUT (FORMAT csv)`` of the same rows through psycopg: what the
server can stream when nothing is decoded, weighted or labelled.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 100_000
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FIELDS = ["tu_phap", "dat_dai", "xay_dung", "ho_tich", "kinh_doanh"]


def _memory_mb(field: str) -> float:
    """``VmRSS`` or ``VmHWM`` (peak) of this process from /proc, in MB (ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    # ru_maxrss of a child starts at its parent's size (fork), so the peak is read from
    # /proc and reset once the imports are done: it then measures the export alone.
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def build(db_path: Path | str, waves: dict[str, int]) -> None:
    """Create the schema, the unit tree, populations and the responses of ``waves``.

    ``db_path`` is a SQLite file or a database URL (PostgreSQL: rows go in by ``COPY``).
    """
    from analysis.synthetic import synthetic_responses
    from questionnaires import load_bundled
    from survey import create_app
    from survey.extensions import db
    from survey.models import Population, ServiceField, ServicePoint, Unit, Wave
    from survey.services.questionnaire_versions import register_version

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": _url(db_path)})
    q = load_bundled("sipas")
    rng = np.random.default_rng(2025)
    with app.app_context():
        db.create_all()
        postgres = db.engine.dialect.name == "postgresql"
        version = register_version(q)
        province = Unit(code="P01", name="Tỉnh Thử Nghiệm", kind="province")
        db.session.add(province)
        db.session.flush()
        communes = [Unit(code=f"X{k:03d}", name=f"Xã số {k}", kind="commune", parent_id=province.id)
                    for k in range(300)]
        fields = [ServiceField(code=c, name=c) for c in FIELDS]
        db.session.add_all(communes + fields)
        db.session.flush()
        points = {}
        for unit in communes:
            for k in (1, 2, 3):
                point = ServicePoint(code=f"{unit.code}-{k}", name=f"Một cửa {unit.code}-{k}", unit_id=unit.id)
                db.session.add(point)
                points[point.code] = point
        db.session.flush()
        unit_ids = {u.code: u.id for u in communes}
        field_ids = {f.code: f.id for f in fields}
        point_ids = {code: p.id for code, p in points.items()}
        units = pd.DataFrame({"unit_code": list(unit_ids), "dossiers": rng.lognormal(7, 0.6, 300)})
        for w, (code, rows) in enumerate(waves.items()):
            wave = Wave(code=code, name=f"Đợt {code}", status="closed", questionnaire_version_id=version.id)
            wave.units = [province]
            db.session.add(wave)
            db.session.flush()
            for unit in communes:
                for field in fields:
                    db.session.add(Population(wave_id=wave.id, unit_id=unit.id, service_field_id=field.id,
                                              dossiers=int(rng.integers(50, 5000))))
            db.session.commit()
            questions = [qid for qid, x in q.questions.items() if x.type != "note"]
            conn = db.session.connection()
            sql = ("INSERT INTO responses (wave_id, unit_id, service_point_id, service_field_id, channel, "
                   "mode, questionnaire_version_id, answers, submitted_at, submission_id, flags, is_demo) "
                   "VALUES (?, ?, ?, ?, ?, 'web', ?, ?, ?, ?, '[]', 0)")
            for start in range(0, rows, BATCH):
                n = min(BATCH, rows - start)
                frame = synthetic_responses(q, units, n, seed=w * 1000 + start // BATCH, fields=FIELDS)
                answers = [json.dumps({k: v for k, v in zip(questions, values) if v is not None},
                                      ensure_ascii=False)
                           for values in zip(*(frame[qid].tolist() for qid in questions))]
                submitted = (pd.Timestamp("2025-07-01")
                             + pd.to_timedelta(rng.integers(0, 90 * 86400, n), "s")).strftime("%Y-%m-%d %H:%M:%S.000000")
                channel = np.where(frame["channel"].astype(str).str.startswith("online"), "online", "in_person")
                records = list(zip(
                    [wave.id] * n, frame["unit_code"].map(unit_ids).tolist(),
                    frame["service_point"].map(point_ids).tolist(),
                    frame["service_field"].map(field_ids).tolist(), channel.tolist(), [version.id] * n,
                    answers, list(submitted), [str(uuid.uuid4()) for _ in range(n)]))
                # Raw executemany (COPY on PostgreSQL): the bench measures the export, not
                # the ORM's inserts.
                if postgres:
                    _copy_in(conn, records)
                else:
                    conn.exec_driver_sql(sql, records)
                db.session.commit()
                conn = db.session.connection()
                print(f"  {code}: inserted {start + n:,} / {rows:,}", flush=True)
        db.engine.dispose()


def _url(db: Path | str) -> str:
    return str(db) if "://" in str(db) else f"sqlite:///{db}"


def _copy_in(conn, records) -> None:
    columns = ("wave_id, unit_id, service_point_id, service_field_id, channel, mode, "
               "questionnaire_version_id, answers, submitted_at, submission_id, flags, is_demo")
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY responses ({columns}) FROM STDIN") as copy:
        for (wave, unit, point, field, channel, version, answers, submitted, sid) in records:
            copy.write_row((wave, unit, point, field, channel, "web", version, answers, submitted,
                            sid, "[]", False))


def create_pg_database() -> str:
    """Make an empty PostgreSQL database for the run; return its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sipas_bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def copy_anchor(db_url: str, wave_code: str, out: Path) -> None:
    """The anchor: the wave's rows as CSV straight from ``COPY ... TO STDOUT`` (one JSON line)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(db_url).set(drivername="postgresql")
    _reset_peak()
    start_rss = _memory_mb("VmRSS")
    t0 = time.perf_counter()
    size = lines = 0
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn, conn.cursor() as cur:
        wave_id = cur.execute("SELECT id FROM waves WHERE code = %s", (wave_code,)).fetchone()[0]
        query = ("COPY (SELECT r.id, u.code, sp.code, sf.code, r.channel, r.submitted_at, r.answers "
                 "FROM responses r JOIN units u ON u.id = r.unit_id "
                 "JOIN service_points sp ON sp.id = r.service_point_id "
                 "LEFT JOIN service_fields sf ON sf.id = r.service_field_id "
                 f"WHERE r.wave_id = {int(wave_id)}) TO STDOUT (FORMAT csv, HEADER)")
        with open(out, "wb") as fh, cur.copy(query) as copy:
            for piece in copy:
                fh.write(piece)
                size += len(piece)
                lines += bytes(piece).count(b"\n")
    seconds = time.perf_counter() - t0
    # Lines, not rows: an answer never holds a line break (synthetic JSON), so they agree.
    print(json.dumps({"wave": wave_code, "rows": lines - 1, "seconds": seconds, "mb": size / 2**20,
                      "start_rss_mb": start_rss, "peak_rss_mb": _memory_mb("VmHWM")}))


def export(db_path: Path | str, wave_code: str, out: Path) -> None:
    """Export one wave to CSV through the streaming path and print one JSON line of figures."""
    from sqlalchemy import select

    from survey import create_app
    from survey.extensions import db
    from survey.models import Wave
    from survey.services.exports import iter_wave_csv

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": _url(db_path)})
    with app.app_context():
        wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
        _reset_peak()
        start_rss = _memory_mb("VmRSS")
        t0 = time.perf_counter()
        lines = size = 0
        with open(out, "wb") as fh:
            for piece in iter_wave_csv(wave):
                fh.write(piece)
                size += len(piece)
                lines += piece.count(b"\r\n")
        seconds = time.perf_counter() - t0
    print(json.dumps({"wave": wave_code, "rows": lines - 1, "seconds": seconds, "mb": size / 2**20,
                      "start_rss_mb": start_rss, "peak_rss_mb": _memory_mb("VmHWM")}))


def _run(mode: str, db: str, code: str, out: Path) -> dict:
    # A fresh process per export: its peak RSS is the export's alone.
    done = subprocess.run([sys.executable, __file__, f"--{mode}", db, code, str(out)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(label: str, r: dict) -> None:
    print(f"{label:<24} {r['rows']:>9,} rows  {r['seconds']:6.1f} s  "
          f"{r['rows'] / r['seconds']:>9,.0f} rows/s  {r['mb']:7.1f} MB  "
          f"peak RSS {r['peak_rss_mb']:6.1f} MB (at start {r['start_rss_mb']:.1f} MB, "
          f"+{r['peak_rss_mb'] - r['start_rss_mb']:.1f} MB)")


def bench(backend: str, where: Path, waves: dict[str, int], reuse: bool) -> None:
    """Build the waves on ``backend`` and print each export (and the COPY anchor on PostgreSQL)."""
    print(f"--- {backend}")
    if backend == "sqlite":
        db = str(where / "bench.sqlite3")
        if not (reuse and Path(db).exists()):
            Path(db).unlink(missing_ok=True)
            t0 = time.perf_counter()
            build(Path(db), waves)
            print(f"built {sum(waves.values()):,} responses in {time.perf_counter() - t0:.1f} s")
    else:
        db = create_pg_database()
    try:
        if backend == "postgresql":
            t0 = time.perf_counter()
            build(db, waves)
            print(f"built {sum(waves.values()):,} responses in {time.perf_counter() - t0:.1f} s")
        for code in waves:
            # The first export of a wave decodes its JSON answers and builds the wave's
            # columnar cache (survey/services/wave_segments.py); the second reads the cache.
            cold = _run("export", db, code, where / f"{backend}-{code.lower()}.csv")
            _line(f"{code} export, cold", cold)
            ours = _run("export", db, code, where / f"{backend}-{code.lower()}.csv")
            _line(f"{code} export, warm", ours)
            if backend == "postgresql":
                anchor = _run("anchor", db, code, where / f"{backend}-{code.lower()}-copy.csv")
                _line(f"{code} COPY TO STDOUT", anchor)
                print(f"{'':<24} export / COPY: {ours['rows'] / ours['seconds'] / (anchor['rows'] / anchor['seconds']):.2f} "
                      f"of the anchor's rows/s")
    finally:
        if backend == "postgresql":
            drop_pg_database(db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--keep", type=Path, help="Directory to keep the SQLite database and CSV files in.")
    parser.add_argument("--reuse", action="store_true",
                        help="Export the SQLite database already in --keep instead of building one.")
    parser.add_argument("--export", nargs=3, metavar=("DB", "WAVE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--anchor", nargs=3, metavar=("DB", "WAVE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export(args.export[0], args.export[1], Path(args.export[2]))
        return
    if args.anchor:
        copy_anchor(args.anchor[0], args.anchor[1], Path(args.anchor[2]))
        return
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        for backend in backends:
            bench(backend, where, {"SMALL": args.small, "LARGE": args.rows}, args.reuse)


if __name__ == "__main__":
    main()
