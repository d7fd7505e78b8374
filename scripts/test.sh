#!/usr/bin/env bash
# Installs what is needed, then runs the whole test suite (SQLite and PostgreSQL, browser
# tests in Debian's Chromium). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/services.sh
# Two workers: the machines this runs on have two cores.
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
