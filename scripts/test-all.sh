#!/usr/bin/env bash
# Runs the full pytest suite with the real services it needs: a PostgreSQL
# server (started here), Debian's Chromium and mpv (installed here when missing).
# On a machine where this script cannot install or start them, the matching
# tests skip and say why; under CI=true they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/services.sh
ensure_chromium || true
ensure_mpv || true
ensure_postgres || true

exec .venv/bin/pytest -q "$@"
