#!/bin/sh
# Installs the Debian packages checkout-sim lacks, then configures and builds one CMake preset.
# Usage: scripts/bootstrap.sh PRESET [TARGET...]   (release, ci, debug, asan, clang-release,
# clang-ci; no target builds everything the preset builds)
set -eu
preset=${1:-release}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."

packages="g++ cmake ninja-build libgtest-dev libgmock-dev librapidcheck-dev \
libbenchmark-dev libfmt-dev nlohmann-json3-dev libcli11-dev \
libhiredis-dev libpqxx-dev pkg-config redis-server postgresql libgoogle-perftools-dev"
case "$preset" in clang-*) packages="$packages clang" ;; esac

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

cmake --preset "$preset" >/dev/null
if [ $# -gt 0 ]; then
  cmake --build --preset "$preset" --target "$@"
else
  cmake --build --preset "$preset"
fi
