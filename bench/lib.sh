# Sourced by every bench/*/run.sh, with the script's arguments.
#
# The optional first argument BUILD_DIR (default build/, relative to the
# checkout) becomes $build, absolute; $root is the checkout and $build_arg the
# argument as given (for the command line written to docs/BENCHMARKS.md).
# bench_build TARGET... configures BUILD_DIR when it is new and builds the
# targets, so each benchmark is one command on a fresh checkout (after
# scripts/install-deps.sh) and measures the code it sits next to.
# bench_need TOOL... stops with a clear message when a program is missing.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_arg="build"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then build_arg="$1"; shift; fi
case "$build_arg" in /*) build="$build_arg" ;; *) build="$root/$build_arg" ;; esac

bench_build() {
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja >/dev/null
  fi
  ninja -C "$build" "$@" >/dev/null
}

bench_need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not found; run scripts/install-deps.sh" >&2; exit 1; }
  done
}
