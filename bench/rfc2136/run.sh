#!/usr/bin/env bash
# RFC 2136 benchmarks against BIND 9 (named) on loopback, with a private
# dockerd: publication latency (start event -> record served by BIND, p50/p99
# over 100 containers), a burst of 200 starts then 200 stops beside the naive
# pattern (one nsupdate per container) in the same run, and the bytes a zone
# read costs on a 10,000-record zone with 10 changes (serial check + IXFR
# against a full AXFR). Rewrites the rfc2136 section of docs/BENCHMARKS.md.
#
#   bench/rfc2136/run.sh [BUILD_DIR] [bench.py options, e.g. --containers 200]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
bench_need dockerd named nsupdate kdig python3
bench_build ecssd ecssd_xfr
export ECSSD_BIN="$build/ecssd"
export AWS_EC2_METADATA_DISABLED=true
exec python3 "$here/bench.py" --command "bench/rfc2136/run.sh $build_arg${*:+ $*}" "$@"
