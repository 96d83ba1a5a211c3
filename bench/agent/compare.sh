#!/usr/bin/env bash
# Two agent binaries side by side (bench/agent/compare.py): publication
# latency and memory, alternating for ROUNDS rounds; writes the agent-compare
# section of docs/BENCHMARKS.md.
#
#   bench/agent/compare.sh OLD_BIN NEW_BIN [ROUNDS] [--label-old TEXT --label-new TEXT]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v dockerd >/dev/null || { echo "compare.sh: dockerd not found; run scripts/install-deps.sh" >&2; exit 1; }
exec python3 "$here/compare.py" --command "bench/agent/compare.sh $*" "$@"
