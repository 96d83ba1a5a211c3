#!/usr/bin/env bash
# A fleet on one zone (issue 12 §4): 100 `ecssd agent --provider route53`
# processes, each on its own simulated engine (tests/tools/ecssd_fake_engines),
# all writing one moto_server zone through a token-bucket proxy that answers
# Route 53's `Throttling` beyond the account limit (once at 5 requests/s, once
# at a 50-request burst refilling at 10/s); a rolling deploy of all 2,000
# containers over 5 minutes, 10 hosts SIGKILLed midway, then `ecssd reap`.
# Rewrites the fleet section of docs/BENCHMARKS.md.
#
#   bench/fleet/run.sh [BUILD_DIR] [bench.py options, e.g. --agents 10 --containers-per-agent 5
#                      --deploy-seconds 60 --kill 2 --bucket 5:5 --no-doc]
#
# Builds ecssd and ecssd_fake_engines in BUILD_DIR (default build/) first
# (bench/lib.sh). Needs moto_server and python3 with boto3
# (scripts/install-deps.sh); no dockerd. Everything runs on loopback.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
bench_need moto_server python3
bench_build ecssd ecssd_fake_engines
export ECSSD_BIN="$build/ecssd"
export ECSSD_FAKE_ENGINES="$build/tests/tools/ecssd_fake_engines"
# Nothing may reach the real instance metadata service.
export AWS_EC2_METADATA_DISABLED=true
exec python3 "$here/bench.py" --command "bench/fleet/run.sh $build_arg${*:+ $*}" "$@"
