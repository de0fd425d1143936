#!/bin/sh
# Real time stays in adapters/ (and the tests that start real servers): core/, the fakes, the
# simulator, the invariants, the reports and the CLI read time only through the Clock port, so a
# simulation never depends on the wall clock.
set -eu
root=${1:?usage: no_wall_clock.sh SOURCE_DIR}
hits=$(grep -rnE 'system_clock|steady_clock|high_resolution_clock|sleep_for|sleep_until|gettimeofday|clock_gettime|std::time\(' \
  "$root/core" "$root/fakes" "$root/sim" "$root/properties" "$root/reports" "$root/cli" |
  grep -v '_test\.cc:' || true)
if [ -n "$hits" ]; then
  echo "wall-clock time outside adapters/:"
  echo "$hits"
  exit 1
fi
echo "no wall-clock time outside adapters/"
