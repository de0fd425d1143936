#include "reports/run_json.h"

#include <fmt/format.h>

#include "sim/trace.h"

namespace csim::reports {

nlohmann::json RunToJson(const properties::CheckedRun& run, const sim::World& world,
                         const std::string& reproduce) {
  nlohmann::json out;
  out["seed"] = run.seed;
  out["profile"] = run.profile;
  out["trace_hash"] = sim::Trace::HashHex(run.trace_hash);
  out["events"] = run.events;
  out["end_time_us"] = run.end_time_us;
  out["counts"] = {{"checkouts_started", run.counts.checkouts_started},
                   {"orders_placed", run.counts.orders_placed},
                   {"checkouts_failed", run.counts.checkouts_failed},
                   {"deliveries", run.counts.deliveries},
                   {"cancellations_requested", run.counts.cancellations_requested},
                   {"shipments_delivered", run.counts.shipments_delivered},
                   {"world_changes", run.counts.world_changes}};
  out["violations"] = nlohmann::json::array();
  for (const properties::Violation& v : run.violations) {
    out["violations"].push_back({{"invariant", v.invariant},
                                 {"entity", v.entity},
                                 {"expected", v.expected},
                                 {"actual", v.actual},
                                 {"time_us", v.time_us}});
  }
  out["fault_points"] = nlohmann::json::array();
  for (const auto& [name, point] : world.faults().points()) {
    out["fault_points"].push_back({{"name", name},
                                   {"reached", point.reached},
                                   {"fired_before", point.fired_before},
                                   {"fired_after", point.fired_after}});
  }
  out["reproduce"] = reproduce;
  return out;
}

std::string RunSummary(const properties::CheckedRun& run, const std::string& reproduce) {
  std::string text = fmt::format(
      "seed {} profile {}: {} customers, {} orders placed, {} checkouts failed; {} events, "
      "trace {}\n",
      run.seed, run.profile, run.counts.checkouts_started, run.counts.orders_placed,
      run.counts.checkouts_failed, run.events, sim::Trace::HashHex(run.trace_hash));
  if (run.violations.empty()) {
    text += "all invariants held\n";
    return text;
  }
  text += fmt::format("{} violation(s):\n", run.violations.size());
  for (const auto& v : run.violations) {
    text += fmt::format("  {} {} at t={}us: expected {}, got {}\n", v.invariant, v.entity,
                        v.time_us, v.expected, v.actual);
  }
  text += "reproduce: " + reproduce + "\n";
  return text;
}

}  // namespace csim::reports
