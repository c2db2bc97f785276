#!/usr/bin/env bash
# Set up (first run) and talk to the receptionist on its embedded defaults: SQLite, the offline brain,
# no API key, no network. Any extra arguments go to `receptionist chat`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
exec .venv/bin/receptionist chat --profile "${PROFILE:-examples/dental-clinic.yaml}" "$@"
