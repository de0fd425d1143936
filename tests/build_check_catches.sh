#!/bin/sh
# scripts/cross_compiler_check.sh must fail when two builds disagree: a "build" that runs every
# seed as the next one gives other traces, and the check has to say so (exit 1, each run named);
# the same binary twice agrees (exit 0). Usage: build_check_catches.sh SOURCE_DIR CHECKOUT_SIM
set -eu
root=${1:?usage: build_check_catches.sh SOURCE_DIR CHECKOUT_SIM}
binary=${2:?usage: build_check_catches.sh SOURCE_DIR CHECKOUT_SIM}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/shifted" <<SCRIPT
#!/bin/sh
# checkout-sim with --seed N run as --seed N+1
args=""
next_is_seed=0
for arg in "\$@"; do
  if [ \$next_is_seed -eq 1 ]; then arg=\$((arg + 1)); next_is_seed=0; fi
  [ "\$arg" = "--seed" ] && next_is_seed=1
  args="\$args \$arg"
done
exec "$binary" \$args
SCRIPT
chmod +x "$tmp/shifted"
if sh "$root/scripts/cross_compiler_check.sh" "$binary" "$tmp/shifted" >"$tmp/out" 2>&1; then
  echo "the check passed a build whose traces differ"
  cat "$tmp/out"
  exit 1
fi
differ=$(grep -c '^DIFFERENT trace' "$tmp/out" || true)
if [ "$differ" -ne 48 ]; then
  echo "expected 48 differing runs, got $differ"
  cat "$tmp/out"
  exit 1
fi
sh "$root/scripts/cross_compiler_check.sh" "$binary" "$binary" | tail -1
echo "the check caught a build whose traces differ: $differ of 48 runs"
