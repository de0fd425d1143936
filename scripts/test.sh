#!/bin/sh
# Every test: build with warnings as errors, then the whole ctest suite.
set -eu
cd "$(dirname "$0")/.."
scripts/bootstrap.sh ci
ctest --preset ci -j2
