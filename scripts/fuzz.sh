#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (./build-fuzz) and runs each for
# FUZZ_SECONDS (default 60) from its seed corpus in tests/fuzz/corpus/<target>. Prints executions
# per target; fails on any crash, leaving the reproducer in build-fuzz/crashes/<target>/. The seed
# is fixed (FUZZ_SEED, default 1) so that a CI run is repeatable; change it to explore further.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh test
seconds="${FUZZ_SECONDS:-60}"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMIXROOM_FUZZ=ON >/dev/null
targets=(fuzz_message fuzz_session fuzz_http_head fuzz_http_fields fuzz_stem)
cmake --build build-fuzz --parallel "$(nproc)" --target "${targets[@]}"
status=0
for t in "${targets[@]}"; do
  work="build-fuzz/corpus/$t"
  crashes="build-fuzz/crashes/$t"
  rm -rf "$work" "$crashes"
  mkdir -p "$work" "$crashes"
  cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  log="build-fuzz/$t.log"
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
     UBSAN_OPTIONS=print_stacktrace=1 \
     "./build-fuzz/tests/fuzz/$t" "$work" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
       -seed="${FUZZ_SEED:-1}" -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "$t: $runs executions in ${seconds} s, no crash"
  else
    echo "$t: CRASH (see $log and $crashes)" >&2
    tail -30 "$log" >&2
    status=1
  fi
done
exit $status
