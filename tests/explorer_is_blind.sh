#!/bin/sh
# The explorer is blind: nothing in sim/ or properties/ (tests aside) reads a finding switch, so a
# finding is found because core behaves differently, never because the workload, the world, the
# faults or an invariant were told which switch is on. Core builds its own policies and schedules.
set -eu
root=${1:?usage: explorer_is_blind.sh SOURCE_DIR}
hits=$(grep -rnE '\.Fixed\(|AsReviewedOn\(|FindingId\(|SetAsReviewed\(|SetFixed\(' \
  "$root/sim" "$root/properties" | grep -v '_test\.cc:' || true)
if [ -n "$hits" ]; then
  echo "sim/ or properties/ reads a finding switch:"
  echo "$hits"
  exit 1
fi
echo "explorer is blind: no finding switch read in sim/ or properties/"
