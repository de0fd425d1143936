#!/bin/sh
# Every test: the suite under address+undefined sanitizers, the same seeds compared between the
# g++ Release, clang++ Release, g++ Debug and sanitizer builds, then the whole suite in Release
# with warnings as errors (last, so its summary closes the output).
set -eu
cd "$(dirname "$0")/.."
scripts/bootstrap.sh asan
# Long world-level sweeps (label detector) run once, in the Release suite below.
ctest --preset asan -j2 -LE detector
# The clang++ and Debug builds serve only the trace comparison across builds: their binaries are
# all it needs.
scripts/bootstrap.sh clang-ci checkout-sim
scripts/bootstrap.sh debug checkout-sim
scripts/bootstrap.sh ci
scripts/cross_compiler_check.sh build/ci/cli/checkout-sim build/clang-ci/cli/checkout-sim \
  build/debug/cli/checkout-sim build/asan/cli/checkout-sim
ctest --preset ci -j2
