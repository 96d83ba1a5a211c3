#!/usr/bin/env bash
# Reaper benchmark: one reap pass over 10,000 owned records on loopback
# targets, 10% dead (half refused, half silent until the timeout), 2 s timeout,
# 3 tries; side by side with the original Lambda's sequential algorithm on a
# 1% sample with the same mix, in the same run. Rewrites the reaper section of
# docs/BENCHMARKS.md.
#
#   bench/reap/run.sh [BUILD_DIR] [bench.py options, e.g. --concurrency 256,1024]
#
# Builds bench_reap in BUILD_DIR (default build/) first (bench/lib.sh). Opens one socket per target: needs ulimit -n
# above 11,000 (raised here when the hard limit allows).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
tool="$build/bench/reap/bench_reap"
bench_need python3
bench_build bench_reap
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export ECSSD_BENCH_REAP="$tool"
exec python3 "$here/bench.py" --command "bench/reap/run.sh $build_arg${*:+ $*}" "$@"
