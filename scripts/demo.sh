#!/usr/bin/env bash
# Installs what is needed, builds a SQLite database with demo data (clearly marked as
# such) and serves the site on http://127.0.0.1:${PORT:-5000}.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=wsgi
# The port the site is served on; `flask demo` prints its survey link with it too.
export PORT=${PORT:-5000}
# The demo gets a database of its own, so that --reset never touches real data.
mkdir -p instance
export DATABASE_URL="sqlite:///$PWD/instance/demo.sqlite3"
# Officials' pages (/quan-ly/) need a password; the demo makes one up unless given one.
export OFFICIALS_PASSWORD=${OFFICIALS_PASSWORD:-demo-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')}
# Sessions and the survey progress are signed with SECRET_KEY: the demo makes one up too
# (the app refuses to start without one outside debug and testing).
export SECRET_KEY=${SECRET_KEY:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}
.venv/bin/flask demo --reset
echo "Officials' dashboard: http://127.0.0.1:${PORT}/quan-ly/  (password: $OFFICIALS_PASSWORD)"
exec .venv/bin/flask run --host 127.0.0.1 --port "$PORT"
