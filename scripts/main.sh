#!/bin/sh
# The main job on its built-in defaults: build, then one default simulation run.
set -eu
cd "$(dirname "$0")/.."
scripts/bootstrap.sh release
mkdir -p out
exec build/release/cli/checkout-sim run --json out/run.json --trace out/trace.jsonl "$@"
