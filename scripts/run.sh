#!/usr/bin/env bash
# Set up (first run) and run the receptionist on its embedded defaults: SQLite, the in-process ACD, local
# speech models, the offline brain, no API key, no network. It prints the URL to open and the demo logins.
# Extra arguments go to `receptionist serve` (e.g. --port 8080, --profile my-business.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh voice
exec .venv/bin/receptionist serve "$@"
