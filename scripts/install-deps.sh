#!/usr/bin/env bash
# Installs everything ecssd needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are skipped by apt itself.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PKGS=(
  # build
  build-essential g++ cmake ninja-build pkg-config git
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev libpugixml-dev libknot-dev libspdlog-dev libfmt-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  # real servers and independent clients used by the tests
  docker.io busybox-static runc podman bind9 bind9-dnsutils knot knot-dnsutils dnsperf
  iproute2 procps curl zip unzip python3
  # `systemd-analyze verify` checks the shipped units
  systemd
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
