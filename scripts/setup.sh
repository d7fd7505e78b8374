#!/usr/bin/env bash
# Installs everything the project needs on a Debian machine (idempotent):
# Debian packages (Chromium for browser tests, Pango for WeasyPrint, fonts with full
# Vietnamese diacritics), a virtual environment in .venv with the project and its test
# extras, and the compiled translation catalogues.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(python3-venv python3-dev chromium poppler-utils fonts-noto-core fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 nodejs wrk)

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
    fi
fi

# The interpreter: $PYTHON if set, else the fastest Python >= 3.11 found (scripts/pick_python.sh
# says why the distribution's build usually wins: a report renders ~20% faster on it).
PYTHON=${PYTHON:-$(scripts/pick_python.sh)}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last successful install.
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
    echo "setup: installing Python packages into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi
.venv/bin/pybabel -q compile -d translations
