"""Benchmark: concurrent API submissions to gunicorn on the embedded SQLite database.

Run from the repository root::

    .venv/bin/python bench/bench_concurrent_sqlite.py [--burst 50] [--connections 50] [--seconds 10]

A temporary SQLite demo database is built (``build_demo``); gunicorn (2 sync workers) then
serves, in turn, our app (``wsgi:app``) and the anchor: a bare Flask endpoint that inserts
the same JSON into a SQLite table in WAL mode with a busy timeout of the same length,
measured in the same run on the same machine.  Each gets ``--burst`` distinct submissions
released at once from as many threads, then a steady load of ``--connections`` client
threads posting distinct submissions for ``--seconds`` seconds (a new connection per
request, as phones behind a proxy do), after 4 warm-up requests.  Printed per server and phase: accepted, refused by
status, stored rows, requests/s, p50/p99 latency, and our req/s as a ratio of the anchor's.
Everything goes to 127.0.0.1; every loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ANCHOR = '''
import json, sqlite3, os
from flask import Flask, request
app = Flask(__name__)
PATH = os.environ["ANCHOR_DB"]

def connect():
    conn = sqlite3.connect(PATH, timeout=15)
    conn.execute("PRAGMA journal_mode = WAL")
    return conn

@app.post("/api/v1/responses")
def create():
    body = request.get_json()
    conn = connect()
    try:
        with conn:
            conn.execute("INSERT INTO responses (submission_id, body) VALUES (?, ?)",
                         (body["submission_id"], json.dumps(body)))
    finally:
        conn.close()
    return {"status": "created"}, 201
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_ours(db_path: Path) -> dict:
    """Build the demo database; return a valid body template (wave, point, answers)."""
    from sqlalchemy import select

    from survey import create_app
    from survey.demo import build_demo
    from survey.extensions import db
    from survey.models import Response

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    summary = build_demo(app, responses=200, seed=3, reset=True)
    with app.app_context():
        answers = db.session.scalar(select(Response.answers).limit(1))
        db.engine.dispose()
    return {"wave": summary.wave_code, "point": summary.point_code, "answers": answers}


def build_anchor(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE responses (id INTEGER PRIMARY KEY, "
                 "submission_id TEXT UNIQUE NOT NULL, body TEXT NOT NULL)")
    conn.commit()
    conn.close()


def stored(db_path: Path, table: str) -> int:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


class Server:
    """gunicorn with 2 sync workers on a free port, for the length of a ``with``."""

    def __init__(self, app: str, env: dict, cwd: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind",
             f"127.0.0.1:{self.port}", "--log-level", "warning", app],
            cwd=cwd, env={**os.environ, **env})

    def __enter__(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def post(port: int, body: dict) -> tuple[int, float]:
    payload = json.dumps(body)
    start = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/api/v1/responses", payload,
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        status = response.status
        conn.close()
    except OSError:
        status = 0                                   # connection refused or reset
    return status, time.perf_counter() - start


def burst(port: int, template: dict, n: int) -> list[tuple[int, float]]:
    barrier = threading.Barrier(n)

    def one(_):
        body = {**template, "submission_id": str(uuid.uuid4())}
        barrier.wait()
        return post(port, body)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def steady(port: int, template: dict, connections: int, seconds: float):
    deadline = time.monotonic() + seconds

    def client(_):
        results = []
        while time.monotonic() < deadline:
            results.append(post(port, {**template, "submission_id": str(uuid.uuid4())}))
        return results

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        results = [r for rs in pool.map(client, range(connections)) for r in rs]
    return results, time.perf_counter() - start


def summarize(name: str, results, elapsed: float, rows: int) -> float:
    statuses = Counter(status for status, _ in results)
    latencies = sorted(latency for _, latency in results)
    accepted = statuses.pop(201, 0)
    refused = ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items())) or "none"
    rate = len(results) / elapsed
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"{name:<22} sent {len(results):>5}  accepted {accepted:>5}  refused {refused:<14} "
          f"stored {rows:>5}  {rate:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:7.1f} ms")
    return rate


def run(label, port, template, db_path, table, before, args) -> float:
    # Warm both workers (imports, caches) so the burst measures storage, not start-up.
    for _ in range(4):
        post(port, {**template, "submission_id": str(uuid.uuid4())})
    before = stored(db_path, table)
    started = time.perf_counter()
    results = burst(port, template, args.burst)
    summarize(f"{label} burst", results, time.perf_counter() - started,
              stored(db_path, table) - before)
    before = stored(db_path, table)
    results, elapsed = steady(port, template, args.connections, args.seconds)
    return summarize(f"{label} steady", results, elapsed, stored(db_path, table) - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ours_db, anchor_db = tmp / "demo.sqlite3", tmp / "anchor.sqlite3"
        template = build_ours(ours_db)
        build_anchor(anchor_db)
        (tmp / "anchor_app.py").write_text(ANCHOR)
        print(f"{args.burst} concurrent distinct submissions, then {args.connections} "
              f"connections for {args.seconds:g} s; gunicorn, 2 sync workers, SQLite")
        env = {"DATABASE_URL": f"sqlite:///{ours_db}", "SECRET_KEY": "bench",
               # Throughput is measured here, not the limits: raise them out of the way
               # (the limiter's own cost is still paid on every request).
               "RATELIMIT_SUBMIT_PER_ADDRESS": "1000000 per minute",
               "RATELIMIT_SUBMIT_PER_POINT": "1000000 per minute"}
        with Server("wsgi:app", env, ROOT) as server:
            ours = run("ours", server.port, template, ours_db, "responses", 0, args)
        with Server("anchor_app:app", {"ANCHOR_DB": str(anchor_db)}, tmp) as server:
            anchor = run("anchor (bare Flask)", server.port, template, anchor_db,
                         "responses", 0, args)
        print(f"steady req/s, ours / anchor: {ours / anchor:.2f}")


if __name__ == "__main__":
    main()
