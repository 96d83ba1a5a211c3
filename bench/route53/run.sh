#!/usr/bin/env bash
# Route 53 burst benchmark: 200 containers started together then stopped
# together; `ecssd agent --provider route53` vs the original agent's call
# pattern (bench/route53/original_agent.py), both against one moto_server
# behind a counting proxy; rewrites the Route 53 section of docs/BENCHMARKS.md.
#
#   bench/route53/run.sh [BUILD_DIR] [bench.py options, e.g. --containers 50 --no-doc]
#
# Builds nothing: BUILD_DIR (default build/) must hold the ecssd binary. Needs
# root (a private dockerd), docker.io, busybox-static and moto_server
# (scripts/install-deps.sh). Everything runs on loopback and a private socket.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="build"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then build="$1"; shift; fi
case "$build" in /*) ;; *) build="$root/$build" ;; esac
bin="$build/src/ecssd"
[ -x "$bin" ] || bin="$build/ecssd"
if [ ! -x "$bin" ]; then
  echo "run.sh: no ecssd binary in $build; build it first (ninja -C $build ecssd)" >&2
  exit 1
fi
for tool in dockerd moto_server python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found; run scripts/install-deps.sh" >&2; exit 1; }
done
export ECSSD_BIN="$bin"
# Nothing may reach the real instance metadata service.
export AWS_EC2_METADATA_DISABLED=true
exec python3 "$here/bench.py" --command "bench/route53/run.sh ${build#$root/} $*" "$@"
