#!/bin/sh
# Mutation testing of core/: applies each mutant of scripts/mutants.txt (a small change that breaks
# what the service promises: a dropped release, void, dedup or outbox write, a flipped condition),
# rebuilds, and runs a sweep of `fixed` (30 seeds, 50 orders, the heavy plan by default: swarm
# waits until `fixed` holds there). A mutant that survives it meets a second stage of big worlds
# (20 swarm seeds at 2000 orders by default; --big-seeds 0 skips it): a backlog longer than a
# cron pass's batch (SIM-16, SIM-20) only builds in a shop of thousands. A mutant that survives
# both meets the unit tests of core/ (tests/core; --no-unit skips them): the explorer's score is
# what the sweeps kill, the unit stage shows which survivors a test of their own still catches. A
# mutant is killed when a stage fails (an invariant broke, an internal check fired, a unit test
# failed), and the report names the stage (`small`, `big` or `unit`); it survives when every stage
# passes, is stillborn when it does not compile and stale when its text is no longer in the file.
# A mutant may name extra sweep options (a deployment or an operator's config its detector needs);
# the unmutated tree must pass every stage with those options first, or the mutant is "unjudged".
# Works on a copy of the tree; the checkout is never touched. Needs perl (Debian's perl-base).
# Usage: scripts/mutate.sh [--seeds N] [--orders K] [--faults PLAN]
#                          [--big-seeds N] [--big-orders K] [--big-faults PLAN] [--no-unit]
#                          [--only ID[,ID...]]
set -eu
seeds=30
orders=50
faults=heavy
big_seeds=20
big_orders=2000
big_faults=swarm
unit=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --orders) orders=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --big-seeds) big_seeds=$2; shift 2 ;;
    --big-orders) big_orders=$2; shift 2 ;;
    --big-faults) big_faults=$2; shift 2 ;;
    --no-unit) unit=0; shift ;;
    --only) only=$2; shift 2 ;;
    *) echo "mutate.sh: unknown argument '$1' (valid: --seeds N --orders K --faults PLAN --big-seeds N --big-orders K --big-faults PLAN --no-unit --only ID[,ID...])" >&2; exit 2 ;;
  esac
done
for number in "$seeds" "$orders" "$big_seeds" "$big_orders"; do
  case "$number" in *[!0-9]*|'') echo "mutate.sh: --seeds, --orders, --big-seeds and --big-orders take whole numbers (got '$number')" >&2; exit 2 ;; esac
done
[ "$seeds" -gt 0 ] || { echo "mutate.sh: --seeds must be at least 1" >&2; exit 2; }
started=$(date +%s)
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
# The unit tests of core's use cases (tests/CMakeLists.txt: csim_test(core_...)).
unit_targets=$(sed -n 's/^csim_test(\(core_[a-z_]*\) .*/\1/p' "$top/tests/CMakeLists.txt")
[ "$unit" -eq 0 ] || [ -n "$unit_targets" ] || { echo "mutate.sh: no core_ unit test in tests/CMakeLists.txt" >&2; exit 2; }
# Builds and runs them; fails when one does not build or exits non-zero, and writes the failing
# tests (or targets, for a crash or a build failure) to $work/unit.failed.
unit_tests() {
  # shellcheck disable=SC2086
  if ! cmake --build "$work/build" --target $unit_targets >"$work/build.log" 2>&1; then
    echo "the unit tests do not build" >"$work/unit.failed"
    return 1
  fi
  : >"$work/unit.failed"
  for test_target in $unit_targets; do
    "$work/build/tests/$test_target" >"$work/unit.log" 2>&1 && continue
    failed=$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_/]*\.[A-Za-z0-9_/]*\).*/\1/p' "$work/unit.log" | sort -u | head -3 | paste -sd, -)
    printf "%s; " "${failed:-$test_target exited non-zero}" >>"$work/unit.failed"
  done
  [ ! -s "$work/unit.failed" ]
}
# $1: the stage (small or big); $2: the mutant's extra sweep options (word-split on purpose),
# relative to the tree's root.
stage_sweep() {
  if [ "$1" = small ]; then set -- "$seeds" "$orders" "$faults" "${2:-}"; else
    set -- "$big_seeds" "$big_orders" "$big_faults" "${2:-}"; fi
  # shellcheck disable=SC2086
  (cd "$work/src" && "$bin" sweep --seeds "1..$1" --orders "$2" --faults "$3" --jobs 2 $4) \
    >"$work/sweep.log" 2>&1
}
# Every stage; sets $stage to the one that failed (empty when all held). $1: extra options.
sweep() {
  stage=small
  stage_sweep small "${1:-}" || return 1
  stage=big
  [ "$big_seeds" -eq 0 ] || stage_sweep big "${1:-}" || return 1
  stage=unit
  [ "$unit" -eq 0 ] || unit_tests || return 1
  stage=""
}
: >"$work/baselines"
if ! sweep; then
  echo "mutate.sh: the unmutated tree already fails the $stage stage; fix that first:" >&2
  if [ "$stage" = unit ]; then cat "$work/unit.failed" >&2; else grep -v '^sweep:' "$work/sweep.log" | head -20 >&2; fi
  exit 2
fi
killed=0; survived=0; stale=0; stillborn=0
printf '%-4s %-9s %-5s %s\n' ID RESULT STAGE "WHAT (killed by)"
grep -v '^#' "$top/scripts/mutants.txt" | grep -v '^ *$' | while IFS= read -r line; do
  id=$(printf '%s' "$line" | awk -F' [|] ' '{print $1}')
  file=$(printf '%s' "$line" | awk -F' [|] ' '{print $2}')
  what=$(printf '%s' "$line" | awk -F' [|] ' '{print $5}')
  opts=$(printf '%s' "$line" | awk -F' [|] ' '{print $6}')
  case ",$only," in ",,"|*",$id,"*) ;; *) continue ;; esac
  if [ -n "$opts" ] && ! grep -qxF -- "$opts" "$work/baselines"; then
    stage=""
    if ! build || ! sweep "$opts"; then
      printf '%-4s %-9s %-5s %s (%s)\n' "$id" unjudged "${stage:--}" "$what" "the unmutated tree fails: $opts"
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
    result=stale; by="text not found"; stage=""
  elif ! build; then
    result=stillborn; by="does not compile"; stage=""
  elif sweep "$opts"; then
    result=SURVIVED; by="-"
  else
    result=killed
    [ "$stage" = unit ] && by="unit tests: $(sed 's/; $//' "$work/unit.failed")" || by=$(grep -E '^  [A-Z-]+: [0-9]+ seeds|internal check' "$work/sweep.log" | head -3 | sed 's/^ *//' | tr '\n' ';')
  fi
  cp "$work/original" "$target"
  [ -z "$opts" ] || by="$by; with $opts"
  printf '%-4s %-9s %-5s %s (%s)\n' "$id" "$result" "${stage:--}" "$what" "$by"
done | tee "$work/results"
killed=$(grep -c ' killed ' "$work/results" || true)
killed_big=$(grep -c ' killed  *big ' "$work/results" || true)
killed_unit=$(grep -c ' killed  *unit ' "$work/results" || true)
survived=$(grep -c ' SURVIVED ' "$work/results" || true)
stale=$(grep -c ' stale ' "$work/results" || true)
stillborn=$(grep -c ' stillborn ' "$work/results" || true)
unjudged=$(grep -c ' unjudged ' "$work/results" || true)
big="big stage: seeds 1..$big_seeds, $big_orders orders, faults $big_faults"
[ "$big_seeds" -gt 0 ] || big="no big stage"
[ "$unit" -eq 1 ] && big="$big; then the unit tests" || big="$big; no unit stage"
echo "mutants: $killed killed ($killed_big by the big stage, $killed_unit by the unit tests only), $survived survived, $stillborn stillborn, $stale stale, $unjudged unjudged (small stage: seeds 1..$seeds, $orders orders, faults $faults; $big) in $(( ($(date +%s) - started + 30) / 60 )) min"
