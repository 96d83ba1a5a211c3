#!/usr/bin/env bash
# Responder benchmark: ecssd's embedded responder vs Knot DNS, same records,
# same threads, same dnsperf run; rewrites the responder section of
# docs/BENCHMARKS.md.
#
#   bench/dns/run.sh [BUILD_DIR] [bench.py options, e.g. --duration 10 --threads 1,2]
#
# Builds ecssd_zone_server and bench_dns_answer in BUILD_DIR (default build/)
# first (bench/lib.sh). Needs knotd, kdig, dig and dnsperf
# (scripts/install-deps.sh); knotd runs as the current user on a free
# loopback port from a temporary folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
server="$build/tests/tools/ecssd_zone_server"
bench_need knotd kdig dig dnsperf python3
bench_build ecssd_zone_server bench_dns_answer
export ECSSD_ZONE_SERVER="$server"
# Optional: the CPU micro-benchmark, when the build has it (ECSSD_BUILD_BENCH).
export ECSSD_BENCH_ANSWER="$build/bench/dns/bench_dns_answer"
exec python3 "$here/bench.py" --command "bench/dns/run.sh $build_arg${*:+ $*}" "$@"
