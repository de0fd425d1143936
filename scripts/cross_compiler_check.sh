#!/bin/sh
# Determinism across builds: every build of checkout-sim given (g++ and clang++, Debug, Release,
# the sanitizers' -O1) must give the same trace hash for the same seed, profile and plan as the
# first. Usage: cross_compiler_check.sh BINARY_A BINARY_B [BINARY...]
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 BINARY_A BINARY_B [BINARY...]" >&2
  exit 2
fi
for binary in "$@"; do
  if [ ! -x "$binary" ]; then
    echo "$0: not an executable: $binary" >&2
    exit 2
  fi
done
builds=$#
reference=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0
differ=0
# The light plan for both profiles, then swarm: its pauses, crashes and replicas take the paths
# the light plan never does.
for plan in "fixed light" "as-reviewed light" "fixed swarm" "as-reviewed swarm"; do
  profile=${plan% *}
  faults=${plan#* }
  for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
    "$reference" run --seed "$seed" --orders 30 --profile "$profile" --faults "$faults" \
      --json "$tmp/a.json" >/dev/null || true
    ha=$(grep '"trace_hash"' "$tmp/a.json")
    for binary in "$@"; do
      "$binary" run --seed "$seed" --orders 30 --profile "$profile" --faults "$faults" \
        --json "$tmp/b.json" >/dev/null || true
      hb=$(grep '"trace_hash"' "$tmp/b.json")
      checked=$((checked + 1))
      if [ "$ha" != "$hb" ]; then
        echo "DIFFERENT trace for seed $seed profile $profile faults $faults: $ha ($reference) vs $hb ($binary)"
        differ=$((differ + 1))
      fi
    done
  done
done
echo "determinism across $builds builds: $checked runs compared with $reference's, $differ differ"
[ "$differ" -eq 0 ]
