#!/usr/bin/env bash
# Reaper benchmark: one reap pass over 10,000 owned records on loopback
# targets, 10% dead (half refused, half silent until the timeout), 2 s timeout,
# 3 tries; side by side with the original Lambda's sequential algorithm on a
# 1% sample with the same mix, in the same run. Rewrites the reaper section of
# docs/BENCHMARKS.md.
#
#   bench/reap/run.sh [BUILD_DIR] [bench.py options, e.g. --concurrency 256,1024]
#
# Builds nothing: BUILD_DIR (default build/) must hold bench/reap/bench_reap
# (ninja -C build bench_reap). Opens one socket per target: needs ulimit -n
# above 11,000 (raised here when the hard limit allows).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="build"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then build="$1"; shift; fi
case "$build" in /*) ;; *) build="$root/$build" ;; esac
tool="$build/bench/reap/bench_reap"
if [ ! -x "$tool" ]; then
  echo "run.sh: $tool not found; build it first (ninja -C $build bench_reap)" >&2
  exit 1
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export ECSSD_BENCH_REAP="$tool"
exec python3 "$here/bench.py" --command "bench/reap/run.sh ${build#$root/}${*:+ $*}" "$@"
