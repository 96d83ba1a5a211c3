#!/usr/bin/env bash
# Bounded under abuse (issue 12): the agent's memory (VmRSS, VmHWM) after a
# 10,000-event burst from the engine beside its memory with 10,000 running
# containers; a flood of malformed engine events and DNS queries (log lines);
# idle TCP connections held against the responder. The engine is the unit
# tests' fake (tests/tools/ecssd_fake_engine), the agent the real binary on
# the embedded provider. Rewrites the "Bounded under abuse" figures in
# docs/RELIABILITY.md.
#
#   bench/abuse/run.sh [BUILD_DIR] [bench.py options, e.g. --containers 10000 --events 10000]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
bench_need python3
bench_build ecssd ecssd_fake_engine
export ECSSD_BIN="$build/ecssd"
export ECSSD_FAKE_ENGINE="$build/tests/tools/ecssd_fake_engine"
export AWS_EC2_METADATA_DISABLED=true
exec python3 "$here/bench.py" --command "bench/abuse/run.sh $build_arg${*:+ $*}" "$@"
