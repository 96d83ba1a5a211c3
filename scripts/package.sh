#!/usr/bin/env bash
# Builds every artifact users install into build/dist/ (or $BUILD_DIR/dist),
# on a fresh clone too (it installs the build and packaging dependencies):
#   ecssd_<version>_amd64.deb               Debian 12
#   ecssd-<version>-linux-x86_64.tar.gz     any x86-64 glibc Linux (Amazon Linux 2023 included)
#   ecssd-image-<version>.tar               the container image ecssd:<version>, ecssd:latest
#                                           (docker load -i; loaded into the engine at
#                                           $DOCKER_HOST or /var/run/docker.sock when one answers)
#   ecssd-lambda-<version>.zip              the reaper as an AWS Lambda function
# See docs/PACKAGING.md; docs/deploy-aws.md deploys them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build package
BUILD_DIR=${BUILD_DIR:-build}
# scripts/test.sh's flags: a later test run rebuilds nothing.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null
ninja -C "$BUILD_DIR" -j"$(nproc)" dist

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD_DIR/CMakeCache.txt")
dist="$BUILD_DIR/dist"
image="$dist/ecssd-image-$version.tar"

# Load the image where `docker` would run it, if an engine answers there.
engine=""
if [ -n "${DOCKER_HOST:-}" ]; then
  engine=$DOCKER_HOST
elif [ -S /var/run/docker.sock ]; then
  engine=unix:///var/run/docker.sock
fi
if [ -n "$engine" ] && command -v docker >/dev/null 2>&1 && docker -H "$engine" version >/dev/null 2>&1; then
  docker -H "$engine" load -i "$image" >/dev/null
  echo "package.sh: loaded ecssd:$version and ecssd:latest into $engine"
else
  echo "package.sh: no Docker engine answers (DOCKER_HOST or /var/run/docker.sock); load the image with: docker load -i $image"
fi

echo "package.sh: $dist/"
for f in "ecssd_${version}_amd64.deb" "ecssd-$version-linux-x86_64.tar.gz" "ecssd-image-$version.tar" \
         "ecssd-lambda-$version.zip"; do
  [ -f "$dist/$f" ] || { echo "package.sh: $dist/$f was not built" >&2; exit 1; }
  printf '  %-40s %6.1f MB\n' "$f" "$(($(stat -c %s "$dist/$f") / 1000))e-3"
done
