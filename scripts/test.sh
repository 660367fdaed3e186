#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test through CTest;
# then the same tests built with AddressSanitizer and UndefinedBehaviorSanitizer (./build-asan),
# and every libFuzzer target for FUZZ_SECONDS (default 60) each (scripts/fuzz.sh).
# `--quick` runs only the first part (for iterating locally); other arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
args=()
for a in "$@"; do
  if [ "$a" = "--quick" ]; then quick=1; else args+=("$a"); fi
done
./scripts/deps.sh test
./scripts/build.sh
(cd build && ctest --output-on-failure --timeout 600 -j "$(nproc)" "${args[@]}")
[ "$quick" = 1 ] && exit 0

echo "== the tests again under ASan+UBSan (build-asan)"
# Warnings are enforced by the first build; sanitizer instrumentation adds false positives of its own.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIXROOM_SANITIZER=address,undefined \
  -DMIXROOM_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan --parallel "$(nproc)"
# Leak checking is off: Qt keeps process-lifetime allocations LeakSanitizer would report.
(cd build-asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure --timeout 900 -j "$(nproc)" "${args[@]}")

echo "== fuzzing"
./scripts/fuzz.sh
