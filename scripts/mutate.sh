#!/bin/sh
# Mutation testing of core/: applies each mutant of scripts/mutants.txt (a small change that breaks
# what the service promises: a dropped release, void, dedup or outbox write, a flipped condition),
# rebuilds, and runs a sweep of `fixed` (30 seeds, 50 orders, the heavy plan by default: swarm
# waits until `fixed` holds there). A mutant is killed when the
# sweep fails (an invariant broke or an internal check fired), survives when it passes, is
# stillborn when it does not compile and stale when its text is no longer in the file. A mutant
# may name extra sweep options (a deployment or an operator's config its detector needs); the
# unmutated tree must pass the sweep with those options first, or the mutant is "unjudged".
# Works on a copy of the tree; the checkout is never touched. Needs perl (Debian's perl-base).
# Usage: scripts/mutate.sh [--seeds N] [--orders K] [--faults PLAN] [--only ID[,ID...]]
set -eu
seeds=30
orders=50
faults=heavy
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --orders) orders=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "mutate.sh: unknown argument '$1' (valid: --seeds N --orders K --faults PLAN --only ID[,ID...])" >&2; exit 2 ;;
  esac
done
case "$seeds$orders" in *[!0-9]*|'') echo "mutate.sh: --seeds and --orders take whole numbers" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mkdir "$work/src"
(cd "$top" && tar --exclude=./build --exclude=./out --exclude=./.git -cf - .) | (cd "$work/src" && tar -xf -)
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCSIM_BUILD_BENCH=OFF >/dev/null
build() { cmake --build "$work/build" --target checkout-sim >"$work/build.log" 2>&1; }
build || { echo "mutate.sh: the unmutated tree does not build; see the log:" >&2; tail -20 "$work/build.log" >&2; exit 2; }
bin="$work/build/cli/checkout-sim"
# $1: the mutant's extra sweep options (word-split on purpose), relative to the tree's root.
sweep() {
  # shellcheck disable=SC2086
  (cd "$work/src" && "$bin" sweep --seeds "1..$seeds" --orders "$orders" --faults "$faults" \
    --jobs 2 ${1:-}) >"$work/sweep.log" 2>&1
}
: >"$work/baselines"
if ! sweep; then
  echo "mutate.sh: the unmutated tree already fails the sweep; fix that first:" >&2
  grep -v '^sweep:' "$work/sweep.log" | head -20 >&2
  exit 2
fi
killed=0; survived=0; stale=0; stillborn=0
printf '%-4s %-9s %s\n' ID RESULT "WHAT (killed by)"
grep -v '^#' "$top/scripts/mutants.txt" | grep -v '^ *$' | while IFS= read -r line; do
  id=$(printf '%s' "$line" | awk -F' [|] ' '{print $1}')
  file=$(printf '%s' "$line" | awk -F' [|] ' '{print $2}')
  what=$(printf '%s' "$line" | awk -F' [|] ' '{print $5}')
  opts=$(printf '%s' "$line" | awk -F' [|] ' '{print $6}')
  case ",$only," in ",,"|*",$id,"*) ;; *) continue ;; esac
  if [ -n "$opts" ] && ! grep -qxF -- "$opts" "$work/baselines"; then
    if ! build || ! sweep "$opts"; then
      printf '%-4s %-9s %s (%s)\n' "$id" unjudged "$what" "the unmutated tree fails: $opts"
      continue
    fi
    printf '%s\n' "$opts" >>"$work/baselines"
  fi
  target="$work/src/$file"
  cp "$target" "$work/original"
  FIND=$(printf '%s' "$line" | awk -F' [|] ' '{print $3}') \
  REPLACE=$(printf '%s' "$line" | awk -F' [|] ' '{print $4}') \
    perl -0pi -e 's/\Q$ENV{FIND}\E/$ENV{REPLACE}/' "$target"
  if cmp -s "$target" "$work/original"; then
    result=stale; by="text not found"
  elif ! build; then
    result=stillborn; by="does not compile"
  elif sweep "$opts"; then
    result=SURVIVED; by="-"
  else
    result=killed
    by=$(grep -E '^  [A-Z-]+: [0-9]+ seeds|internal check' "$work/sweep.log" | head -3 | sed 's/^ *//' | tr '\n' ';')
  fi
  cp "$work/original" "$target"
  [ -z "$opts" ] || by="$by; with $opts"
  printf '%-4s %-9s %s (%s)\n' "$id" "$result" "$what" "$by"
done | tee "$work/results"
killed=$(grep -c ' killed ' "$work/results" || true)
survived=$(grep -c ' SURVIVED ' "$work/results" || true)
stale=$(grep -c ' stale ' "$work/results" || true)
stillborn=$(grep -c ' stillborn ' "$work/results" || true)
unjudged=$(grep -c ' unjudged ' "$work/results" || true)
echo "mutants: $killed killed, $survived survived, $stillborn stillborn, $stale stale, $unjudged unjudged (sweep: seeds 1..$seeds, $orders orders, faults $faults)"
