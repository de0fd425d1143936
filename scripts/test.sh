#!/bin/sh
# Every test: the suite under address+undefined sanitizers, the same seeds compared between the
# g++ and clang++ builds, then the whole suite in Release with warnings as errors (last, so its
# summary closes the output).
set -eu
cd "$(dirname "$0")/.."
scripts/bootstrap.sh asan
# Long world-level sweeps (label detector) run once, in the Release suite below.
ctest --preset asan -j2 -LE detector
# The clang++ build serves only the cross-compiler trace comparison: its binary is all it needs.
scripts/bootstrap.sh clang-ci checkout-sim
scripts/bootstrap.sh ci
scripts/cross_compiler_check.sh build/ci/cli/checkout-sim build/clang-ci/cli/checkout-sim
ctest --preset ci -j2
