#!/usr/bin/env bash
# Set up (first run) and run the whole test suite: ruff, mypy and pytest (all tiers, including the
# model, PostgreSQL and Redis tests). PostgreSQL and Redis: running servers are used when they answer,
# otherwise scripts/services.py starts private ones; it says which. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh dev
. scripts/system_packages.sh
envfile="$(mktemp -t receptionist-services.XXXXXX)"
cleanup() { .venv/bin/python scripts/services.py stop --env-file "$envfile" >/dev/null 2>&1 || true; }
trap cleanup EXIT
.venv/bin/python scripts/services.py ensure --env-file "$envfile"
set -a; . "$envfile"; set +a
echo "== ruff" && .venv/bin/ruff check receptionist tests scripts benchmarks
echo "== mypy" && .venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
