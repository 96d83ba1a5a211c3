#!/usr/bin/env bash
# The fault suite (tests/faults, docs/RELIABILITY.md "The fault table"), full
# form: every fault during a burst of container changes, provider outages of
# 2 minutes, against a private dockerd, moto_server, BIND and the embedded
# responder. Then the measured table is written into docs/RELIABILITY.md
# between its markers, with this command and the date. Takes about 25 minutes.
#   scripts/faults.sh               everything (ctest -L faults), then the table
#   scripts/faults.sh -R outage     a subset (a ctest regex); the table then holds only those rows
# FAULTS_JOBS (default 2) tests run at a time. CI runs the quick form instead
# (ECSSD_FAULTS_QUICK=1, 15 s outages: scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export AWS_EC2_METADATA_DISABLED=true   # no test may reach 169.254.169.254
unset ECSSD_FAULTS_QUICK ECSSD_FAULTS_OUTAGE

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
  >/dev/null
ninja -C build -j"$(nproc)" ecssd

rows=build/faults/results.jsonl
mkdir -p build/faults
rm -f "$rows"
status=0
ECSSD_FAULTS_RESULTS="$PWD/$rows" ctest --test-dir build -L faults --output-on-failure -j"${FAULTS_JOBS:-2}" "$@" \
  || status=$?
python3 tests/faults/render_table.py "$rows" docs/RELIABILITY.md --command "scripts/faults.sh${*:+ $*}"
python3 tests/faults/render_table.py "$rows" -
echo "faults.sh: the table is in docs/RELIABILITY.md (rows: $rows)"
exit "$status"
