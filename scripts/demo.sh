#!/usr/bin/env bash
# Installs what is needed, builds a SQLite database with demo data (clearly marked as
# such) and serves the site on http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=wsgi
.venv/bin/flask demo --reset
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
