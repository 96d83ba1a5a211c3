#!/usr/bin/env bash
# Agent benchmarks: publication latency (Docker start event -> first correct
# DNS answer, p50/p99 over 100 containers), agent memory/CPU with 500
# published services, and the health checks: endpoint healthy -> record
# served (p50/p99 over 100 containers) and CPU with 500 TCP-checked services
# at a 10 s interval. Starts its own private dockerd; rewrites the agent and
# agent-health sections of docs/BENCHMARKS.md.
#
#   bench/agent/run.sh [BUILD_DIR] [bench.py options, e.g. --containers 100]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
bench_need dockerd python3
bench_build ecssd
export ECSSD_BIN="$build/ecssd"
export AWS_EC2_METADATA_DISABLED=true
exec python3 "$here/bench.py" --command "bench/agent/run.sh $build_arg${*:+ $*}" "$@"
