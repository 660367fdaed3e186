#!/usr/bin/env bash
# Installs what is missing, configures with Ninja and builds everything into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
extra=()
[ "${CI:-}" = "true" ] && extra+=(-DMIXROOM_WERROR=ON)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" >/dev/null
cmake --build build --parallel "$(nproc)"
