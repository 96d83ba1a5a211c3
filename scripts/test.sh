#!/usr/bin/env bash
# The test command: installs every dependency (apt-get), builds, and runs all
# tests under ctest: unit and integration tests on the normal build, then the
# unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            everything
#   scripts/test.sh -R dns     only tests matching a ctest regex (normal build)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export AWS_EC2_METADATA_DISABLED=true   # no test may reach 169.254.169.254

# -g1 (line tables: backtraces and sanitizer reports keep file:line) instead of
# the full -g: a quarter less compile time on a 2-core CI machine.
BUILD_DIR=build scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
ctest --test-dir build --output-on-failure --timeout 600 -j2 "$@"

if [ $# -eq 0 ]; then
  # Sanitizers: unit tests only (integration tests start real servers and take
  # their time on the normal build already).
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1" -DECSSD_SANITIZE=ON \
    -DECSSD_BUILD_BENCH=OFF >/dev/null
  ninja -C build-asan -j"$(nproc)" unit_tests
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -L unit --output-on-failure -j2
fi
