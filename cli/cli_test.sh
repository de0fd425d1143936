#!/bin/sh
# The command line as a user meets it: exit codes 0/1/2, error messages naming what is wrong,
# and nothing written when the input is bad. Usage: cli_test.sh PATH/TO/checkout-sim
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect CODE PATTERN -- ARGS...: runs the binary, checks its exit code and that its output
# (stdout and stderr together) matches PATTERN.
expect() {
  code=$1
  pattern=$2
  shift 3
  "$bin" "$@" >"$tmp/out" 2>&1
  got=$?
  if [ "$got" -eq "$code" ] && grep -qE -- "$pattern" "$tmp/out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: checkout-sim $* -> exit $got (wanted $code), output:"
    sed 's/^/    /' "$tmp/out"
  fi
}

expect 0 "all invariants held" -- run --seed 1 --orders 10
expect 1 "NO-PHANTOM-WAREHOUSE" -- run --seed 2 --orders 40 --as-reviewed EC-08
expect 1 "STOCK-NO-LEAK" -- run --seed 2 --orders 40 --legacy-warehouse --as-reviewed EC-14
expect 0 "all invariants held" -- run --seed 2 --orders 40 --legacy-warehouse
expect 1 "PROMO-NO-BUDGET-LEAK promo=PROMO-1" -- run --seed 12 --orders 40 --faults heavy --as-reviewed SIM-02
expect 0 "all invariants held" -- run --seed 12 --orders 40 --faults heavy
expect 1 "reproduce: checkout-sim run --seed 2 --orders 40 --profile fixed --faults light --as-reviewed EC-08" -- run --seed 2 --orders 40 --as-reviewed EC-08
expect 2 "--profile: unknown profile 'strict'" -- run --profile strict
expect 2 "unknown finding ID 'EC-99' \(valid: P0-CC-01, P1-CC-01, EC-08" -- run --as-reviewed EC-99
expect 2 "--faults: unknown fault plan" -- run --faults storm
expect 2 "--orders: must be between 0 and" -- run --orders -3
expect 2 "--config: cannot read" -- run --config "$tmp/missing.json"
echo '{"order": {"reservaton_timeout_minutes": 5}}' >"$tmp/bad.json"
expect 2 "order.reservaton_timeout_minutes: unknown key" -- run --config "$tmp/bad.json"
echo '{"checkout": {"max_promotion_codes": "five"}}' >"$tmp/type.json"
expect 2 "checkout.max_promotion_codes: expected an integer, got string" -- run --config "$tmp/type.json"
expect 2 "--json: folder '$tmp/nowhere' does not exist" -- run --trace "$tmp/t.jsonl" --json "$tmp/nowhere/r.json"
if [ -e "$tmp/t.jsonl" ]; then
  failed=$((failed + 1))
  echo "FAIL: a bad --json left a trace file behind"
else
  passed=$((passed + 1))
fi
expect 2 "" -- run --no-such-flag
expect 2 "" --
expect 0 "P0-CC-01 .*refund.completed" -- findings
expect 0 '"reservation_timeout_minutes": 30' -- config
echo '{"order": {"reservation_timeout_minutes": 45}}' >"$tmp/ttl.json"
expect 0 '"reservation_timeout_minutes": 45' -- config --config "$tmp/ttl.json"
expect 2 "order.reservaton_timeout_minutes: unknown key" -- config --config "$tmp/bad.json"
echo '{"order": {"reservation_timeout_minutes": 45}}' >"$tmp/good.json"
expect 0 "all invariants held" -- run --seed 3 --orders 5 --config "$tmp/good.json" --json "$tmp/r.json" --trace "$tmp/t.jsonl"
if grep -q '"trace_hash"' "$tmp/r.json" && grep -q '"action":"warehouse.reserve"' "$tmp/t.jsonl"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: --json/--trace outputs missing their content"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
