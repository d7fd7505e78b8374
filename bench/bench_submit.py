"""Benchmark: API submissions through gunicorn, ours beside a bare endpoint, on both databases.

Run from the repository root::

    .venv/bin/python bench/bench_submit.py [--seconds 10] [--connections 50] [--threads 2]
                                           [--backends sqlite,postgresql] [--port 18100]
                                           [--rounds 3]

For each database a demo database is built (``build_demo``; PostgreSQL: a database
``bench_submit_<pid>`` made and dropped on 127.0.0.1:5432 as user ``postgres``, or
``BENCH_PG_ADMIN_URL``; SQLite: a temporary file).  gunicorn (2 sync workers) then serves,
in turn, our app (``wsgi:app``) and the anchor: a bare Flask endpoint that parses the same
JSON and inserts it — with psycopg on one persistent connection per worker into the same
PostgreSQL database, or into a SQLite file in WAL mode with the same busy timeout.  Debian's
``wrk`` (``--threads`` threads, ``--connections`` connections, ``--seconds`` seconds) posts
the SIPAS answers of one demo response, each request under a new ``submission_id`` (a Lua
script), after 20 warm-up requests.  Printed per database and server: req/s, p50/p99
latency, accepted (201), refused (any other status, and socket errors), rows stored during
the run against accepted, the CPU each request cost the server's workers and (PostgreSQL)
the database server's processes, from ``/proc``, and our req/s as a ratio of the
anchor's — also by CPU per request (the anchor's over ours: what the ratio would be if
the machine's cores were the only limit; on SQLite, where writers queue for one lock,
req/s is not bound by CPU alone).  The two servers are
measured ``--rounds`` times (3 by default), alternately and in alternating order, each
round on the same database (what a round stored is deleted after it); the median of the
rounds' ratios is the figure to read: on a shared machine one 10-second run of each can
differ by a factor of two either way.

The submission rate limits are raised out of the way through their settings
(``RATELIMIT_SUBMIT_PER_ADDRESS``/``_PER_POINT`` = 1000000 per minute: every request comes
from 127.0.0.1 to one point); the limiter's own cost is still paid on every request.
Everything goes to 127.0.0.1 on ports ``--port`` and up (two per round and database);
wrk stops after ``--seconds``; servers and the database are removed at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HIGH_LIMITS = {"RATELIMIT_SUBMIT_PER_ADDRESS": "1000000 per minute",
               "RATELIMIT_SUBMIT_PER_POINT": "1000000 per minute",
               "RATELIMIT_SUBMIT_PER_DEVICE": "1000000 per minute"}

ANCHOR = '''
import json, os, sqlite3
from flask import Flask, request

app = Flask(__name__)
URL = os.environ["ANCHOR_URL"]
_conn = None


def connection():
    # One persistent connection per (sync) worker: a pool of 2 across the 2 workers.
    global _conn
    if _conn is None:
        if URL.startswith("postgresql"):
            import psycopg
            _conn = psycopg.connect(URL)
        else:
            _conn = sqlite3.connect(URL, timeout=15, isolation_level=None)
            _conn.execute("PRAGMA journal_mode = WAL")
    return _conn


@app.post("/api/v1/responses")
def create():
    body = request.get_json()
    conn = connection()
    if URL.startswith("postgresql"):
        with conn.transaction():
            conn.execute("INSERT INTO bench_anchor (submission_id, body) VALUES (%s, %s)",
                         (body["submission_id"], json.dumps(body)))
    else:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench_anchor (submission_id, body) VALUES (?, ?)",
                     (body["submission_id"], json.dumps(body)))
        conn.execute("COMMIT")
    return {"status": "created"}, 201
'''

# wrk: a new UUID per request; status counts gathered from every thread at the end.
WRK_SCRIPT = r'''
local template = [==[%(template)s]==]
local authorization = [==[%(authorization)s]==]
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads * 7919)
end

function init(args)
  math.randomseed(os.time() + seed + math.floor(os.clock() * 1000000))
  created, duplicate, refused4, refused5, other, sent = 0, 0, 0, 0, 0, 0
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    return string.format("%%x", c == "x" and math.random(0, 15) or math.random(8, 11))
  end))
end

function request()
  sent = sent + 1
  local body = string.gsub(template, "__SID__", uuid4())
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = authorization}, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 200 then duplicate = duplicate + 1
  elseif status >= 500 then refused5 = refused5 + 1
  elseif status >= 400 then refused4 = refused4 + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local c, d, r4, r5, o, s = 0, 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); d = d + t:get("duplicate"); r4 = r4 + t:get("refused4")
    r5 = r5 + t:get("refused5"); o = o + t:get("other"); s = s + t:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"created": %%d, "duplicate": %%d, "status_4xx": %%d, "status_5xx": %%d, "other": %%d, ' ..
    '"socket_errors": %%d, "sent": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    c, d, r4, r5, o, e.connect + e.read + e.write + e.timeout, s))
end
'''


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Server:
    """gunicorn with 2 sync workers on ``port``, for the length of a ``with``."""

    def __init__(self, app: str, env: dict, cwd: Path, port: int):
        if not port_is_free(port):
            raise RuntimeError(f"port {port} is in use")
        self.port = port
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--worker-class", "sync",
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
            cwd=cwd, env={**os.environ, **env})

    def __enter__(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def post(port: int, body: dict, authorization: str = "") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/responses", json.dumps(body),
                     {"Content-Type": "application/json", "Authorization": authorization})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def cpu_seconds(pids) -> float:
    """User + system CPU seconds the processes ``pids`` have used (Linux ``/proc``)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:                 # ended meanwhile
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (gunicorn's workers)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (backends and background ones)."""
    found = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def run_wrk(port: int, template: dict, args, tmp: Path, server_pid: int,
            on_postgresql: bool) -> dict:
    """Warm the server up, then load it with wrk; return wrk's figures.

    Also the CPU seconds the server's workers (the children of ``server_pid``) and, on
    PostgreSQL, the database server's processes (its backends for the workers exist once
    the warm-up is over) used during the load.

    Submissions come from an enrolled kiosk (``template["authorization"]``, the header the
    API requires); the bare endpoint receives the same header and ignores it.
    """
    authorization = template["authorization"]
    template = {k: v for k, v in template.items() if k != "authorization"}
    for _ in range(20):
        status = post(port, {**template, "submission_id": str(uuid.uuid4())}, authorization)
        if status != 201:
            raise RuntimeError(f"warm-up request answered {status}")
    body = json.dumps({**template, "submission_id": "__SID__"}, ensure_ascii=False)
    script = tmp / "submit.lua"
    script.write_text(WRK_SCRIPT % {"template": body, "authorization": authorization})
    workers = child_pids(server_pid)
    database_pids = postgres_pids() if on_postgresql else []
    before = cpu_seconds(workers), cpu_seconds(database_pids)
    completed = subprocess.run(
        ["wrk", "--threads", str(args.threads), "--connections", str(args.connections),
         "--duration", f"{args.seconds:g}s", "--timeout", "10s", "--script", str(script),
         f"http://127.0.0.1:{port}/api/v1/responses"],
        capture_output=True, text=True, timeout=args.seconds + 120, check=True)
    line = next(l for l in completed.stdout.splitlines() if l.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["cpu_workers"] = cpu_seconds(workers) - before[0]
    result["cpu_database"] = cpu_seconds(database_pids) - before[1]
    return result


class Database:
    """Our demo database and the anchor's table on one backend; ``count`` reads rows."""

    def __init__(self, backend: str, tmp: Path):
        self.backend = backend
        self.tmp = tmp
        self.pg_name = None

    def __enter__(self):
        if self.backend == "sqlite":
            self.ours_url = f"sqlite:///{self.tmp / 'ours.sqlite3'}"
            self.anchor_url = str(self.tmp / "anchor.sqlite3")
            conn = sqlite3.connect(self.anchor_url)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("CREATE TABLE bench_anchor (id INTEGER PRIMARY KEY, "
                         "submission_id TEXT UNIQUE NOT NULL, body TEXT NOT NULL)")
            conn.commit()
            conn.close()
            return self
        import psycopg

        self.pg_name = f"bench_submit_{os.getpid()}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.pg_name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        self.anchor_url = f"{base}/{self.pg_name}"
        self.ours_url = self.anchor_url
        return self

    def create_anchor_table(self) -> None:
        """Add the anchor's table beside our schema (after the demo, which drops all)."""
        if self.backend == "sqlite":
            return
        import psycopg

        with psycopg.connect(self.anchor_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_anchor (id bigserial PRIMARY KEY, "
                         "submission_id varchar(36) UNIQUE NOT NULL, body jsonb NOT NULL)")

    def __exit__(self, *exc):
        if self.pg_name is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def _execute(self, table: str, sql: str, params=()):
        if self.backend == "sqlite":
            path = self.anchor_url if table == "bench_anchor" else self.ours_url[len("sqlite:///"):]
            conn = sqlite3.connect(path, timeout=30)
            try:
                with conn:
                    cursor = conn.execute(sql.replace("%s", "?"), params)
                    return cursor.fetchone() if cursor.description else None
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.anchor_url) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchone() if cursor.description else None

    def last_id(self, table: str) -> int:
        return self._execute(table, f"SELECT coalesce(max(id), 0) FROM {table}")[0]

    def delete_after(self, table: str, last_id: int) -> None:
        self._execute(table, f"DELETE FROM {table} WHERE id > %s", (last_id,))

    def count(self, table: str) -> int:
        return self._execute(table, f"SELECT count(*) FROM {table}")[0]


def build_ours(url: str) -> dict:
    """Build the demo in ``url``; return a valid body (wave, point, field, answers)."""
    from sqlalchemy import select

    from survey import create_app
    from survey.demo import build_demo
    from survey.extensions import db
    from survey.models import Response, ServiceField, ServicePoint
    from survey.services import devices

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    summary = build_demo(app, responses=200, seed=3, reset=True)
    with app.app_context():
        answers, field = db.session.execute(
            select(Response.answers, ServiceField.code)
            .outerjoin(ServiceField, ServiceField.id == Response.service_field_id)
            .where(Response.service_field_id.is_not(None)).limit(1)).one()
        # A tablet enrolled at the point: the API takes answers from a kiosk or a code only.
        point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == summary.point_code))
        _, code = devices.create_enrolment_code(point, name="bench", questionnaire="full")
        _, token = devices.enrol(code)
        db.engine.dispose()
    return {"wave": summary.wave_code, "point": summary.point_code, "field": field,
            "answers": answers, "authorization": f"Device {token}"}


def measure(label: str, server_app: str, env: dict, cwd: Path, port: int, table: str,
            database: Database, template: dict, args, tmp: Path) -> dict:
    with Server(server_app, env, cwd, port) as server:
        run = run_wrk(port, template, args, tmp, server.process.pid,
                      database.backend == "postgresql")
        time.sleep(0.5)                       # the last answers reach the database
    run["label"] = label
    run["stored_total"] = database.count(table)
    return run


def row(backend: str, result: dict) -> tuple:
    """One server's line: its rate and figures, refused and stored against accepted."""
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    refused = (result["requests"] - result["created"] - result["duplicate"]
               + result["socket_errors"])
    # Requests wrk sent but had no answer to when it stopped: the server may still have
    # stored them, so stored lies in accepted .. accepted + these.
    in_flight = max(0, result["sent"] - result["requests"] - result["socket_errors"])
    consistent = result["created"] <= result["stored"] <= result["created"] + in_flight
    requests = max(result["requests"], 1)
    return (backend, result["label"], result["rate"], result["p50_us"] / 1000,
            result["p99_us"] / 1000, result["created"], refused, result["stored"], in_flight,
            "yes" if consistent else "NO", result["cpu_workers"] / requests * 1000,
            result["cpu_database"] / requests * 1000)


def print_rows(rows) -> None:
    """Print one backend's lines of the table."""
    for backend, label, rate, *figures in rows:
        if not figures:
            print(f"{backend:<11} {label:<16} {rate:8.2f}", flush=True)
            continue
        p50, p99, accepted, refused, stored, in_flight, consistent, cpu, cpu_db = figures
        db_cpu = f"{cpu_db:9.3f}" if backend == "postgresql" else f"{'-':>9}"
        print(f"{backend:<11} {label:<16} {rate:8.1f} {p50:8.1f} {p99:8.1f} "
              f"{accepted:9d} {refused:8d} {stored:8d} {in_flight:10d} {consistent:>16} "
              f"{cpu:9.3f} {db_cpu}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--port", type=int, default=18100)
    parser.add_argument("--rounds", type=int, default=3,
                        help="ours and the anchor measured alternately this many times "
                             "(the median ratio is printed)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (scripts/setup.sh installs it: apt-get install wrk)")

    print(f"wrk {args.threads} threads, {args.connections} connections, {args.seconds:g} s; "
          f"gunicorn 2 sync workers; one new submission_id per request")
    print(f"{'database':<11} {'server':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'accepted':>9} {'refused':>8} {'stored':>8} {'in flight':>10} {'stored=accepted':>16} "
          f"{'CPU ms/r':>9} {'db ms/r':>9}", flush=True)
    for n, backend in enumerate(args.backends.split(",")):
        with tempfile.TemporaryDirectory() as tmp, Database(backend, Path(tmp)) as database:
            tmp = Path(tmp)
            template = build_ours(database.ours_url)
            database.create_anchor_table()
            (tmp / "anchor_app.py").write_text(ANCHOR)
            servers = (("ours", "wsgi:app", {"DATABASE_URL": database.ours_url,
                                             "SECRET_KEY": "bench", **HIGH_LIMITS},
                        ROOT, "responses"),
                       ("bare Flask", "anchor_app:app", {"ANCHOR_URL": database.anchor_url},
                        tmp, "bench_anchor"))
            ratios, cpu_ratios = [], []
            for round_ in range(args.rounds):
                # Alternate which server goes first: a machine that slows down or speeds
                # up during a round weighs on both sides equally over two rounds.
                order = servers if round_ % 2 == 0 else servers[::-1]
                results = {}
                for i, (label, app_name, env, cwd, table) in enumerate(order):
                    before = database.count(table)
                    last_id = database.last_id(table)
                    port = args.port + 2 * (n * args.rounds + round_) + i
                    result = measure(label, app_name, env, cwd, port, table, database,
                                     template, args, tmp)
                    # The 20 warm-up requests are stored too.
                    result["stored"] = result.pop("stored_total") - before - 20
                    results[label] = result
                    # Every round starts from the same database: the thousands of answers
                    # of one point and hour a round stores would otherwise make the next
                    # round's first submissions judge (and flag) a bigger burst.
                    database.delete_after(table, last_id)
                rows = [row(backend, results[label]) for label in ("ours", "bare Flask")]
                ratio = results["ours"]["rate"] / results["bare Flask"]["rate"]
                ratios.append(ratio)
                # The same ratio by CPU: what the bare endpoint's requests cost (server
                # workers and, on PostgreSQL, its server processes) over what ours cost.
                cpu = {label: sum(rows[i][-2:]) for i, label in enumerate(("ours", "bare"))}
                cpu_ratios.append(cpu["bare"] / cpu["ours"] if cpu["ours"] else float("nan"))
                rows.append((backend, "ratio ours/bare", ratio))
                # Printed before the database is dropped (a drop may wait on other sessions).
                print_rows(rows)
                print(f"{backend:<11} {'CPU ratio':<16} {cpu_ratios[-1]:8.2f}  (bare/ours, CPU "
                      f"per request, server and database)", flush=True)
            if args.rounds > 1:
                print(f"{backend:<11} {'median ratio':<16} {statistics.median(ratios):8.2f}  "
                      f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}); by CPU "
                      f"{statistics.median(cpu_ratios):.2f} "
                      f"({', '.join(f'{r:.2f}' for r in cpu_ratios)})", flush=True)

    print("stored=accepted: every accepted submission stored, and nothing else but answers "
          "still in flight when wrk stopped (accepted <= stored <= accepted + in flight)")


if __name__ == "__main__":
    main()
