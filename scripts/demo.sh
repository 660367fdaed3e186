#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and starts the session server with
# the built-in demo session (SQLite in ~/.local/share/mixroom), printing a token and the join
# command for each role. Extra arguments go to `mixroomd serve` (e.g. --listen 0.0.0.0:7870).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
exec ./build/server/mixroomd serve --demo "$@"
