#pragma once
// One simulation with its invariants checked: "always" ones after every event that touched the
// world, "settled" ones after the drain. The first occurrence of each (invariant, entity) is kept.

#include <cstdint>
#include <vector>

#include "properties/invariant.h"
#include "sim/world.h"

namespace csim::properties {

inline constexpr std::size_t kViolationsKeptMax = 200;

struct CheckedRun {
  std::uint64_t seed = 0;
  std::string profile;
  std::uint64_t trace_hash = 0;
  std::size_t events = 0;
  TimeUs end_time_us = 0;
  sim::RunCounts counts;
  std::vector<Violation> violations;
};

// Runs `world` to the end. `check_every_event` false checks always-invariants only at the end
// (faster; for benchmarks and large sweeps).
CheckedRun RunChecked(sim::World& world, bool check_every_event = true);

}  // namespace csim::properties
