#!/usr/bin/env bash
# Regenerates the screenshots under docs/ (offscreen platform, real server on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
MIXROOM_SCREENSHOT_DIR="$PWD/docs" QT_QPA_PLATFORM=offscreen ./build/tests/tst_desk screenshot
MIXROOM_SCREENSHOT_DIR="$PWD/docs" ./build/tests/tst_web screenshots
echo "written: docs/web-desktop.png docs/web-phone.png docs/desk-mixer.png docs/desk-eq.png docs/desk-compressor.png docs/desk-versions.png docs/desk-review.png"
