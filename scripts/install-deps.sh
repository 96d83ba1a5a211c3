#!/usr/bin/env bash
# Installs what ecssd needs on Debian 12, by purpose:
#   scripts/install-deps.sh              everything (build, run, package, test)
#   scripts/install-deps.sh build run    only what building and running the agent need
# Purposes: build (compilers, libraries), run (a Docker engine and dig for the
# README's first steps), package (scripts/package.sh), test (the servers and
# clients of the integration tests, clean Debian roots, lint tools).
# Idempotent: packages already present are skipped by apt itself.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

BUILD=(
  build-essential g++ cmake ninja-build pkg-config git python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev libpugixml-dev libknot-dev libspdlog-dev
  libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  # sd_notify for ecssd-agent.service (Type=notify)
  libsystemd-dev
)
RUN=(docker.io busybox-static curl bind9-dnsutils iproute2 procps)
PACKAGE=(
  # the .deb: dpkg-deb, dpkg-shlibdeps, strip; lintian checks it; man renders ecssd(1)
  dpkg-dev binutils xz-utils lintian man-db groff-base
  # the Lambda zip, the tarball, the CA certificates of the image
  zip unzip ca-certificates
)
TEST=(
  # real servers and independent clients used by the tests
  docker.io busybox-static runc podman bind9 bind9-dnsutils knot knot-dnsutils dnsperf
  # the RFC 2136 provider's third server, its database, and clock skew tests
  pdns-server pdns-backend-sqlite3 sqlite3 faketime libfaketime
  iproute2 procps curl zip unzip python3
  # the fault suite's partitioned reaper: a firewall rule inside a network namespace (tests/faults)
  iptables
  # `systemd-analyze verify` checks the shipped units
  systemd
  # clean Debian 12 and 11 roots for the package, tarball and user-data tests
  mmdebstrap
  # the sanitizer build (unit tests and fuzz targets, scripts/fuzz.sh)
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  # the agent's status page rendered headless (--dump-dom, --screenshot)
  chromium
)

purposes=("$@")
if [ ${#purposes[@]} -eq 0 ]; then purposes=(build run package test); fi
PKGS=()
for purpose in "${purposes[@]}"; do
  case "$purpose" in
    build) PKGS+=("${BUILD[@]}") ;;
    run) PKGS+=("${RUN[@]}") ;;
    package) PKGS+=("${PACKAGE[@]}") ;;
    test) PKGS+=("${BUILD[@]}" "${PACKAGE[@]}" "${TEST[@]}") ;;
    *) echo "install-deps.sh: unknown purpose $purpose (build, run, package, test)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  # Each package once, in order.
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
