#!/usr/bin/env bash
# Runs the benchmarks and prints their figures (several minutes on a 2-core machine).
# With an argument, runs only the benchmarks whose file name contains it: scripts/bench.sh sipas
# bench_bulk_reports.py needs Redis (127.0.0.1:6379, or BENCH_REDIS_URL) for its queue
# workers; bench_export_csv.py runs on SQLite and on PostgreSQL (BENCH_PG_ADMIN_URL).

# scripts/bench.sh submit: submissions through gunicorn against a bare endpoint, on SQLite
# and PostgreSQL (needs wrk, installed by setup.sh, and PostgreSQL on 127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
for bench in bench/bench_*.py; do
    case "$bench" in *"${1:-}"*) ;; *) continue ;; esac
    echo "=== $bench"
    .venv/bin/python "$bench"
done
