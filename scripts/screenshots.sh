#!/usr/bin/env bash
# Regenerates the screenshots under docs/ (offscreen platform, real server on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
MIXROOM_SCREENSHOT_DIR="$PWD/docs" QT_QPA_PLATFORM=offscreen ./build/tests/tst_desk screenshot
echo "written: docs/desk-mixer.png docs/desk-eq.png docs/desk-compressor.png docs/desk-versions.png docs/desk-review.png"
