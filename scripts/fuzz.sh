#!/usr/bin/env bash
# The libFuzzer targets of fuzz/ (docs/RELIABILITY.md), on the clang-14
# sanitizer build that the unit tests share (build-asan, or $FUZZ_BUILD_DIR).
#   scripts/fuzz.sh quick         build, then every target over its committed corpus
#                                 and regressions plus the executions fuzz/quick_runs
#                                 gives it (11-14 s each here; at most 60 s) of fresh
#                                 fuzzing with seed $FUZZ_SEED (1), two at a time
#                                 (ctest -L fuzz): what CI runs. $FUZZ_SECONDS=N:
#                                 N seconds fresh instead of the table's count
#   scripts/fuzz.sh long [N [NAME...]]  every target (or those named) for N executions
#                                 (10 million), one after another at nice 19; writes
#                                 their rows of the table in docs/RELIABILITY.md
#                                 ($FUZZ_MAX_SECONDS: stop each after that long;
#                                 $FUZZ_FORK=N: libFuzzer's fork mode, N worker
#                                 processes counting their executions together)
#   scripts/fuzz.sh run NAME      one target as quick runs it (what ctest calls)
#   scripts/fuzz.sh configure     configures the sanitizer build (scripts/test.sh uses it)
#   scripts/fuzz.sh merge NAME    adds to fuzz/corpus/NAME the long run's inputs that reach coverage the corpus does not
# A crash leaves its input in $FUZZ_BUILD_DIR/fuzz-artifacts/NAME/; reproduce it with
# $FUZZ_BUILD_DIR/fuzz/fuzz_NAME FILE, fix it, and commit FILE to fuzz/NAME/regressions/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$(realpath -m "${FUZZ_BUILD_DIR:-build-asan}")
SECONDS_FRESH=${FUZZ_SECONDS:-20}
SEED=${FUZZ_SEED:-1}
export AWS_EC2_METADATA_DISABLED=true
# Leaks would be reported at exit, after the fuzzing; halt on the first UB report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

targets() { sed -n 's/^ecssd_fuzz_target(\([a-z0-9_]*\) .*/\1/p' fuzz/CMakeLists.txt; }

configure() {
  # A sanitizer build made by g++ (before issue 12) cannot switch compilers in place.
  if [ -f "$BUILD/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++-14' "$BUILD/CMakeCache.txt"; then
    rm -rf "$BUILD"
  fi
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DECSSD_SANITIZE=ON -DECSSD_FUZZ=ON -DECSSD_BUILD_BENCH=OFF >/dev/null
}

build() {
  configure
  ninja -C "$BUILD" -j"$(nproc)" fuzz_targets >"$BUILD/fuzz-build.log" 2>&1 || {
    tail -n 60 "$BUILD/fuzz-build.log"
    echo "fuzz.sh: the fuzz build failed ($BUILD/fuzz-build.log)" >&2
    exit 1
  }
}

# The inputs of NAME: its corpus, its regressions (those that exist).
inputs() {
  local d
  for d in "fuzz/corpus/$1" "fuzz/$1/regressions"; do
    if [ -d "$d" ]; then echo "$ROOT/$d"; fi
  done
}

flags() {
  local name=$1
  local f=(-timeout=25 -print_final_stats=1 "-artifact_prefix=$BUILD/fuzz-artifacts/$name/")
  if [ -f "fuzz/dict/$name.dict" ]; then f+=("-dict=$ROOT/fuzz/dict/$name.dict"); fi
  # The responder's thread allocates while an input runs, which looks like a
  # leak to libFuzzer's per-input check and makes it scan the heap every time;
  # leaks are still reported when the process exits.
  if [ "$name" = dns_tcp ]; then f+=(-detect_leaks=0); fi
  printf '%s\n' "${f[@]}"
}

run_one() {
  local name=$1 bin="$BUILD/fuzz/fuzz_$1"
  [ -x "$bin" ] || { echo "fuzz.sh: no $bin (scripts/fuzz.sh quick builds it)" >&2; exit 1; }
  local work="$BUILD/fuzz-work/$name"
  rm -rf "$work"
  mkdir -p "$work" "$BUILD/fuzz-artifacts/$name"
  # New inputs go to the scratch folder first in the list; the committed
  # corpus and regressions are read (every one is run first) and never changed.
  mapfile -t f < <(flags "$name")
  mapfile -t in < <(inputs "$name")
  # A fixed seed and a fixed number of executions (fuzz/quick_runs: about
  # what 20 s gave beside a build, 11-14 s alone; at most 60 s): every machine
  # does the same amount of fresh fuzzing, a faster one no more. It is still a
  # sample, not a replay: libFuzzer's path is not reproducible even so (three runs of
  # route53_xml here, same seed and count, ended at 1268, 1278 and 1291
  # edges), so what keeps shallow bugs out of CI is the long run before a
  # commit (docs/RELIABILITY.md). The long run draws a new seed each time.
  local runs
  runs=$(awk -v n="$name" '$1 == n { print $2 }' fuzz/quick_runs)
  local limit=(-max_total_time="$((SECONDS_FRESH * 3))")
  if [ -n "$runs" ] && [ -z "${FUZZ_SECONDS:-}" ]; then
    limit+=(-runs="$runs")
  else
    limit=(-max_total_time="$SECONDS_FRESH")  # $FUZZ_SECONDS given, or a target not in the table
  fi
  "$bin" "${f[@]}" -seed="$SEED" "${limit[@]}" "$work" "${in[@]}" >"$BUILD/fuzz-work/$name.log" 2>&1 || {
    tail -n 40 "$BUILD/fuzz-work/$name.log"
    echo "fuzz.sh: $name failed; the input is in $BUILD/fuzz-artifacts/$name/" >&2
    exit 1
  }
  grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units' "$BUILD/fuzz-work/$name.log" | tr '\n' ' '
  echo
}

quick() {
  build
  local t0=$SECONDS
  ctest --test-dir "$BUILD" -L fuzz --output-on-failure -j"$(nproc)"
  echo "fuzz.sh: every target over its corpus plus its fresh executions (fuzz/quick_runs) in $((SECONDS - t0))s"
}

long() {
  local runs=${1:-10000000}
  shift || true
  local names=("$@")
  if [ ${#names[@]} -eq 0 ]; then mapfile -t names < <(targets); fi
  if [ -z "${FUZZ_NO_BUILD:-}" ]; then build; fi  # FUZZ_NO_BUILD: fuzz the binaries as built
  local rows="" name
  for name in "${names[@]}"; do
    local bin="$BUILD/fuzz/fuzz_$name" work="$BUILD/fuzz-long/$name" log="$BUILD/fuzz-long/$name.log"
    mkdir -p "$work" "$BUILD/fuzz-artifacts/$name"
    mapfile -t f < <(flags "$name")
    mapfile -t in < <(inputs "$name")
    echo "fuzz.sh: $name, $runs executions..."
    local t0=$SECONDS crashes=0
    # ASan records the stack of every allocation (30 frames), and keeps each
    # distinct one: container_inspect passed 980 MB after 1.4 million inputs,
    # near libFuzzer's 2,048 MB limit, and unwinding took a third of its time.
    # Two frames: 614 -> 469 MB and 5,800 -> 8,800 inputs a second over the
    # same 150,000. A crash's report then shows short allocation stacks; run
    # its saved input again ($bin FILE) for the full ones. The limit stays for
    # an input that blows up memory, with room for the records that remain.
    local asan="$ASAN_OPTIONS"
    case "$asan" in *malloc_context_size=*) ;; *) asan+=":malloc_context_size=2" ;; esac
    local cap=(-rss_limit_mb=4096)
    if [ -n "${FUZZ_MAX_SECONDS:-}" ]; then cap+=(-max_total_time="$FUZZ_MAX_SECONDS"); fi
    # A target that runs 1,000 inputs a second needs near 3 hours of one core
    # for 10 million; fork mode runs N workers on short jobs, each on a part
    # of the corpus, and merges what they find (how OSS-Fuzz runs libFuzzer).
    if [ -n "${FUZZ_FORK:-}" ]; then cap+=(-fork="$FUZZ_FORK"); fi
    ASAN_OPTIONS="$asan" nice -n 19 "$bin" "${f[@]}" -runs="$runs" "${cap[@]}" "$work" "${in[@]}" >"$log" 2>&1 || crashes=1
    local secs=$((SECONDS - t0))
    local execs corp cov
    execs=$(grep -ao 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || true)
    # Fork mode prints no final stats; its progress lines count every worker's executions.
    if [ -z "$execs" ]; then
      execs=$( (grep -aoE 'fuzzed for [0-9]+ iterations' "$log" || grep -aoE '^#[0-9]+: cov:' "$log") | tail -n 1 | grep -oE '[0-9]+' || echo "?")
    fi
    corp=$(find "$work" -type f | wc -l)
    cov=$(grep -aoE '^#[0-9]+.*cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || echo "?")
    if [ "$crashes" = 1 ]; then
      echo "fuzz.sh: $name stopped on a crash: $(ls -t "$BUILD/fuzz-artifacts/$name/" | head -n 1)" >&2
      grep -a -A2 'invariant broken\|runtime error\|ERROR: AddressSanitizer' "$log" | head -n 6 >&2 || true
    fi
    rows+="| $name | $execs | $secs | $corp | $cov | $crashes | $(date -u +%Y-%m-%d) |"$'\n'
  done
  python3 fuzz/long_table.py "$rows" "$runs" "$(nproc)" "${FUZZ_MAX_SECONDS:-}"
}

merge() {
  # The seeds stay as they are (named, each a case someone wrote); what the
  # long run found beyond them is added under libFuzzer's content-hash names:
  # the inputs of its work folder that reach coverage the corpus does not.
  local name=$1 bin="$BUILD/fuzz/fuzz_$1" grown before
  grown=$(mktemp -d)
  cp "fuzz/corpus/$name"/* "$grown/"
  before=$(ls "fuzz/corpus/$name" | wc -l)
  "$bin" -merge=1 "$grown" "$BUILD/fuzz-long/$name" >/dev/null 2>&1
  for f in "$grown"/*; do
    [ -e "fuzz/corpus/$name/$(basename "$f")" ] || cp "$f" "fuzz/corpus/$name/"
  done
  rm -rf "$grown"
  echo "fuzz/corpus/$name: $before seeds, $(($(ls "fuzz/corpus/$name" | wc -l) - before)) inputs added," \
    "$(cat "fuzz/corpus/$name"/* | wc -c) bytes"
}

case "${1:-}" in
  quick) quick ;;
  long) shift; long "$@" ;;
  run) run_one "$2" ;;
  configure) configure ;;
  merge) merge "$2" ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
