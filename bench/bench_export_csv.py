"""Benchmark: streaming CSV export of a 1,000,000-response wave from SQLite.

Run from the repository root::

    .venv/bin/python bench/bench_export_csv.py [--rows 1000000] [--small 100000] [--keep DIR]

A temporary SQLite database gets one province of 300 communes with populations, a small
wave (``--small`` responses) and a large wave (``--rows`` responses) of synthetic SIPAS
answers, bulk-inserted with ``executemany``.  Each wave is then exported through the
streaming path (``survey.services.exports.iter_wave_csv``) in a fresh process, so that
its peak RSS is the export's alone; the script prints wall time, rows per second, file
size, and peak RSS above the process's RSS at start.  Flat memory shows as about the
same peak for both waves; the target is at most 60 s for 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import json
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


def build(db_path: Path, waves: dict[str, int]) -> None:
    """Create the schema, the unit tree, populations and the responses of ``waves``."""
    from analysis.synthetic import synthetic_responses
    from questionnaires import load_bundled
    from survey import create_app
    from survey.extensions import db
    from survey.models import Population, ServiceField, ServicePoint, Unit, Wave
    from survey.services.questionnaire_versions import register_version

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    q = load_bundled("sipas")
    rng = np.random.default_rng(2025)
    with app.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            # A throwaway database: no need to wait for the disk.
            conn.exec_driver_sql("PRAGMA journal_mode = OFF")
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
                # Raw executemany: the bench measures the export, not the ORM's inserts.
                conn.exec_driver_sql(sql, records)
                db.session.commit()
                conn = db.session.connection()
                print(f"  {code}: inserted {start + n:,} / {rows:,}", flush=True)
        db.engine.dispose()


def export(db_path: Path, wave_code: str, out: Path) -> None:
    """Export one wave to CSV through the streaming path and print one JSON line of figures."""
    from sqlalchemy import select

    from survey import create_app
    from survey.extensions import db
    from survey.models import Wave
    from survey.services.exports import iter_wave_csv

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Directory to keep the database and CSV files in.")
    parser.add_argument("--reuse", action="store_true",
                        help="Export the database already in --keep instead of building one.")
    parser.add_argument("--export", nargs=3, metavar=("DB", "WAVE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export(Path(args.export[0]), args.export[1], Path(args.export[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        db_path = where / "bench.sqlite3"
        waves = {"SMALL": args.small, "LARGE": args.rows}
        if not (args.reuse and db_path.exists()):
            db_path.unlink(missing_ok=True)
            t0 = time.perf_counter()
            build(db_path, waves)
            print(f"built {sum(waves.values()):,} responses in {time.perf_counter() - t0:.1f} s")
        for code in waves:
            out = where / f"{code.lower()}.csv"
            done = subprocess.run([sys.executable, __file__, "--export", str(db_path), code, str(out)],
                                  check=True, capture_output=True, text=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{code:>5}: {r['rows']:>9,} rows  {r['seconds']:6.1f} s  "
                  f"{r['rows'] / r['seconds']:>9,.0f} rows/s  {r['mb']:7.1f} MB  "
                  f"peak RSS {r['peak_rss_mb']:6.1f} MB (at start {r['start_rss_mb']:.1f} MB, "
                  f"+{r['peak_rss_mb'] - r['start_rss_mb']:.1f} MB)")


if __name__ == "__main__":
    main()
