#!/usr/bin/env bash
# The test command: installs every dependency (apt-get), builds, and runs all
# tests under ctest: unit and integration tests on the normal build, then the
# unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# fuzz targets over their corpora (docs/RELIABILITY.md).
#   scripts/test.sh            everything
#   scripts/test.sh -R dns     only tests matching a ctest regex (normal build)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export AWS_EC2_METADATA_DISABLED=true   # no test may reach 169.254.169.254

# -g1 (line tables: backtraces and sanitizer reports keep file:line) instead of
# the full -g: a quarter less compile time on a 2-core CI machine.
BUILD_DIR=build scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"

if [ $# -gt 0 ]; then
  exec ctest --test-dir build --output-on-failure --timeout 600 -j2 "$@"
fi

ctest --test-dir build -L unit --output-on-failure --timeout 600 -j2

# Sanitizers: the unit tests again (integration tests start real servers and
# take their time on the normal build already). The integration tests mostly
# wait on dockerd, moto and DNS servers, so the sanitizer build runs beside
# them at the lowest CPU priority: the tests keep the CPU when they need it.
# It is one clang-14 build for the unit tests and the fuzz targets: the same
# objects, with libFuzzer's coverage (scripts/fuzz.sh configure).
scripts/fuzz.sh configure
nice -n 19 ninja -C build-asan -j"$(nproc)" unit_tests fuzz_targets >build-asan/build.log 2>&1 &
asan_build=$!
trap 'kill "$asan_build" 2>/dev/null || true' EXIT

ctest --test-dir build -L integration --output-on-failure --timeout 900 -j2

# --- the fault suite, quick form (tests/faults; scripts/faults.sh runs the full one): every fault
# during a burst, 15 s outages, 3 containers; about 3 minutes on 2 cores.
ECSSD_FAULTS_QUICK=1 ctest --test-dir build -L faults --output-on-failure -j2
# --- end of the fault suite

if ! wait "$asan_build"; then
  tail -n 100 build-asan/build.log
  echo "test.sh: the sanitizer build failed (build-asan/build.log)" >&2
  exit 1
fi
trap - EXIT
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j2

# --- fuzzing (issue 12): every fuzz target over its committed corpus and
# regressions, then the fresh executions of fuzz/quick_runs each (11-14 s each), two at a time (~1.5 min).
scripts/fuzz.sh quick
# --- end of fuzzing
