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
# Links printed outside a request (password-reset links) point at the port served.
export BASE_URL="http://127.0.0.1:${PORT:-5000}"
# Sessions and the survey progress are signed with SECRET_KEY: the demo makes one up too
# (the app refuses to start without one outside debug and testing).
export SECRET_KEY=${SECRET_KEY:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}
# Prints the demo's accounts (an administrator, one official per level) with passwords.
.venv/bin/flask demo --reset
echo "Management pages: http://127.0.0.1:${PORT}/quan-ly/  (sign in with an account above)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT}"
