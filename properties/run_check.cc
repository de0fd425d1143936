#include "properties/run_check.h"

#include <set>
#include <utility>

namespace csim::properties {

CheckedRun RunChecked(sim::World& world, bool check_every_event) {
  CheckedRun run;
  run.seed = world.options().seed;
  run.profile = world.options().profile.Name();
  std::set<std::pair<std::string, std::string>> seen;
  auto keep = [&](std::vector<Violation> found) {
    for (Violation& v : found) {
      if (run.violations.size() >= kViolationsKeptMax) return;
      if (seen.emplace(v.invariant, v.entity).second) run.violations.push_back(std::move(v));
    }
  };
  if (check_every_event) {
    world.Run([&] { keep(CheckInvariants(world, false)); });
  } else {
    world.Run();
  }
  keep(CheckInvariants(world, true));
  run.trace_hash = world.kernel().trace().hash();
  run.events = world.kernel().trace().size();
  run.end_time_us = world.kernel().now();
  run.counts = world.counts();
  return run;
}

}  // namespace csim::properties
