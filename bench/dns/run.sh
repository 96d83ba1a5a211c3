#!/usr/bin/env bash
# Responder benchmark: ecssd's embedded responder vs Knot DNS, same records,
# same threads, same dnsperf run; rewrites the responder section of
# docs/BENCHMARKS.md.
#
#   bench/dns/run.sh [BUILD_DIR] [bench.py options, e.g. --duration 10 --threads 1,2]
#
# Builds nothing: BUILD_DIR (default build/) must hold tests/tools/ecssd_zone_server
# (built with the tests). Needs knotd, kdig, dig and dnsperf
# (scripts/install-deps.sh); knotd runs as the current user on a free
# loopback port from a temporary folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="build"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then build="$1"; shift; fi
case "$build" in /*) ;; *) build="$root/$build" ;; esac
server="$build/tests/tools/ecssd_zone_server"
if [ ! -x "$server" ]; then
  echo "run.sh: $server not found; build it first (ninja -C $build ecssd_zone_server)" >&2
  exit 1
fi
for tool in knotd kdig dig dnsperf python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found; run scripts/install-deps.sh" >&2; exit 1; }
done
export ECSSD_ZONE_SERVER="$server"
# Optional: the CPU micro-benchmark, when the build has it (ECSSD_BUILD_BENCH).
export ECSSD_BENCH_ANSWER="$build/bench/dns/bench_dns_answer"
exec python3 "$here/bench.py" --command "bench/dns/run.sh ${build#$root/} $*" "$@"
