#!/bin/sh
# Determinism across compilers: the g++ and clang++ builds of checkout-sim must give the same
# trace hash for the same seed and profile. Usage: cross_compiler_check.sh BINARY_A BINARY_B
set -eu
a=$1
b=$2
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
    "$a" run --seed "$seed" --orders 30 --profile "$profile" --faults "$faults" --json "$tmp/a.json" >/dev/null || true
    "$b" run --seed "$seed" --orders 30 --profile "$profile" --faults "$faults" --json "$tmp/b.json" >/dev/null || true
    ha=$(grep '"trace_hash"' "$tmp/a.json")
    hb=$(grep '"trace_hash"' "$tmp/b.json")
    checked=$((checked + 1))
    if [ "$ha" != "$hb" ]; then
      echo "DIFFERENT trace for seed $seed profile $profile faults $faults: $ha vs $hb"
      differ=$((differ + 1))
    fi
  done
done
echo "cross-compiler determinism: $checked runs compared, $differ differ"
[ "$differ" -eq 0 ]
