#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, renders the built-in demo session
# and prints its loudness report.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
out="${1:-demo-mix.wav}"
exec ./build/server/mixroomd render --demo --out "$out"
