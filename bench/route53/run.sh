#!/usr/bin/env bash
# Route 53 burst benchmark: 200 containers started together then stopped
# together; `ecssd agent --provider route53` vs the original agent's call
# pattern (bench/route53/original_agent.py), both against one moto_server
# behind a counting proxy; rewrites the Route 53 section of docs/BENCHMARKS.md.
#
#   bench/route53/run.sh [BUILD_DIR] [bench.py options, e.g. --containers 50 --no-doc]
#
# Builds ecssd in BUILD_DIR (default build/) first (bench/lib.sh). Needs
# root (a private dockerd), docker.io, busybox-static and moto_server
# (scripts/install-deps.sh). Everything runs on loopback and a private socket.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
bench_need dockerd moto_server python3
bench_build ecssd
bin="$build/ecssd"
export ECSSD_BIN="$bin"
# Nothing may reach the real instance metadata service.
export AWS_EC2_METADATA_DISABLED=true
exec python3 "$here/bench.py" --command "bench/route53/run.sh $build_arg${*:+ $*}" "$@"
