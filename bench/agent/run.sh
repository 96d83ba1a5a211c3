#!/usr/bin/env bash
# Agent benchmarks: publication latency (Docker start event -> first correct
# DNS answer, p50/p99 over 100 containers) and agent memory/CPU with 500
# published services. Starts its own private dockerd; rewrites the agent
# section of docs/BENCHMARKS.md.
#
#   bench/agent/run.sh [BUILD_DIR] [bench.py options, e.g. --containers 100]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="build"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then build="$1"; shift; fi
case "$build" in /*) ;; *) build="$root/$build" ;; esac
if [ ! -x "$build/ecssd" ]; then
  echo "run.sh: $build/ecssd not found; build it first (scripts/build.sh)" >&2
  exit 1
fi
export ECSSD_BIN="$build/ecssd"
export AWS_EC2_METADATA_DISABLED=true
exec python3 "$here/bench.py" --command "bench/agent/run.sh ${build#$root/} $*" "$@"
