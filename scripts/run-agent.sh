#!/usr/bin/env bash
# The run command: installs what building and running need, builds only the
# ecssd binary, makes sure a Docker engine answers (starting a private dockerd
# if none runs), then runs `ecssd agent` on the embedded DNS responder
# (127.0.0.1:8053). Extra arguments go to `ecssd agent` (see `build/ecssd agent --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build run
# scripts/test.sh's flags, so a later test run reuses these objects; only the
# `ecssd` target: a newcomer waits for the binary, not for the tests.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null
ninja -C build -j"$(nproc)" ecssd

ping_engine() {  # $1 = unix socket path
  [ -S "$1" ] && curl -sf --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1
}

sock=""
if [ -n "${DOCKER_HOST:-}" ] && [[ "$DOCKER_HOST" == unix://* ]] && ping_engine "${DOCKER_HOST#unix://}"; then
  sock=${DOCKER_HOST#unix://}
elif ping_engine /var/run/docker.sock; then
  sock=/var/run/docker.sock
fi

if [ -z "$sock" ]; then
  # A private engine, with the flags that work on minimal and sandboxed hosts
  # (see docs/OPERATIONS.md): vfs storage, no iptables changes, host networking.
  dir=/run/ecssd-dockerd
  sock=$dir/docker.sock
  mkdir -p "$dir"
  if ! ping_engine "$sock"; then
    echo "ecssd: no Docker engine answers; starting a private dockerd on $sock (log: $dir/dockerd.log)" >&2
    nohup dockerd --host "unix://$sock" --data-root /var/lib/ecssd-dockerd --exec-root "$dir/exec" \
      --pidfile "$dir/dockerd.pid" --storage-driver vfs --iptables=false --ip6tables=false --bridge=none \
      --default-ulimit nofile=1024:1024 --default-ulimit nproc=1024:1024 >"$dir/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do ping_engine "$sock" && break; sleep 0.5; done
    ping_engine "$sock" || { echo "ecssd: dockerd did not start, see $dir/dockerd.log" >&2; exit 1; }
  fi
  # A tiny image for trying things out (no registry needed): busybox as demo:latest.
  if ! DOCKER_HOST="unix://$sock" docker image inspect demo:latest >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    mkdir -p "$tmp/bin"
    cp /bin/busybox "$tmp/bin/busybox"
    for l in sh sleep httpd nc echo wget; do ln -s busybox "$tmp/bin/$l"; done
    tar -C "$tmp" -cf "$tmp/rootfs.tar" bin
    DOCKER_HOST="unix://$sock" docker import "$tmp/rootfs.tar" demo:latest >/dev/null
    rm -rf "$tmp"
  fi
  echo "ecssd: try it:  export DOCKER_HOST=unix://$sock" >&2
fi

exec build/ecssd agent --docker-host "unix://$sock" "$@"
