#!/usr/bin/env bash
# Prints the Python interpreter that scripts/setup.sh builds .venv with: the first of the
# candidates that is Python >= 3.11, can make a virtual environment, and has its
# interpreter linked into its executable rather than loaded from a shared libpython;
# failing that, the first that qualifies otherwise; failing that, "python3".
#
# Why the linking matters: an interpreter built with --enable-shared (pyenv's default
# build, without --enable-optimizations) calls its own functions through the shared
# library's indirection and lacks profile-guided optimisation; Debian's /usr/bin/python3
# is linked statically and built with PGO and LTO. The same report renders about 20%
# faster on Debian's 3.11 than on a default pyenv 3.11 on our 2-core machines (README,
# "Scaling"); submissions and dashboards gain alike.
set -uo pipefail

candidates=(/usr/bin/python3 "$(command -v python3 || true)" "$(command -v python3.11 || true)")
fallback=""
for candidate in "${candidates[@]}"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    executable=$("$candidate" -c '
import sys
if sys.version_info < (3, 11):
    raise SystemExit(1)
import ensurepip, venv
print(sys.executable)' 2>/dev/null) || continue
    if ! ldd "$executable" 2>/dev/null | grep -q 'libpython'; then
        echo "$candidate"
        exit 0
    fi
    [ -n "$fallback" ] || fallback=$candidate
done
echo "${fallback:-python3}"
