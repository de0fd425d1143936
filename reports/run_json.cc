#include "reports/run_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "core/findings.h"
#include "properties/invariant.h"
#include "sim/trace.h"

namespace csim::reports {
namespace {

// Invariant names in invariants.md order, then any other name found, alphabetically.
std::vector<std::string> InvariantOrder(const std::map<std::string, std::int64_t>& counts) {
  std::vector<std::string> names;
  for (const properties::Invariant& invariant : properties::AllInvariants()) {
    if (counts.contains(std::string{invariant.name})) names.emplace_back(invariant.name);
  }
  for (const auto& [name, count] : counts) {
    bool listed = false;
    for (const std::string& known : names) listed = listed || known == name;
    if (!listed) names.push_back(name);
  }
  return names;
}

nlohmann::json CountsObject(const std::map<std::string, std::int64_t>& counts) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, count] : counts) object[name] = count;
  return object;
}

// "insufficient 2, rejected 1": the most frequent first, then by name.
std::string FailureReasons(const std::map<std::string, std::int64_t>& by_code) {
  std::vector<std::pair<std::string, std::int64_t>> reasons(by_code.begin(), by_code.end());
  std::stable_sort(reasons.begin(), reasons.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [code, count] : reasons) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {}", code, count);
  }
  return text;
}

// What the plan of this run drew (under swarm, this seed's own draws): how a reader learns why a
// seed reached what it did, say a warehouse's long outage on a slow bank's day.
nlohmann::json PlanToJson(const sim::FaultPlan& plan) {
  const sim::Deployment& d = plan.deployment;
  return {{"swarm", plan.swarm_seed.has_value()},
          {"windows_drawn", plan.random_windows.count},
          {"window_duration_max_us", plan.random_windows.duration_max_us},
          {"window_focus", plan.random_windows.focus},
          {"customer_approval_ppm", plan.slowness.customer_approval_ppm},
          {"late_webhook_ppm", plan.slowness.late_webhook_ppm},
          {"pause_ppm", plan.pauses.ppm},
          {"checkout_api_replicas", d.checkout_api_replicas},
          {"checkout_worker_replicas", d.checkout_worker_replicas},
          {"order_worker_replicas", d.order_worker_replicas},
          {"fixed_rate_passes", d.fixed_rate_passes},
          {"late_pass_ppm", d.late_pass_ppm},
          {"cron_batch_size", d.cron_batch_size},
          {"reservation_ttl_minutes", d.reservation_ttl_minutes},
          {"bad_day", sim::Name(plan.bad_day.kind)},
          {"incident", sim::Name(plan.incident)},
          {"fulfillment_down", plan.fulfillment_down},
          {"campaign_uses", plan.campaign.uses},
          {"campaign_share_ppm", plan.campaign.share_ppm},
          {"sale_ends_at_us", plan.sale.ends_at_us},
          {"sale_share_ppm", plan.sale.share_ppm},
          {"crash_loop", plan.crash_loop.service},
          {"crash_loop_cause", sim::Name(plan.crash_loop.cause)}};
}

}  // namespace

std::vector<std::string_view> FindingsDetectedBy(std::string_view invariant) {
  std::vector<std::string_view> ids;
  for (const FindingInfo& finding : kFindings) {
    std::string_view list = finding.detected_by;
    while (!list.empty()) {
      const std::size_t space = list.find(' ');
      if (list.substr(0, space) == invariant) {
        ids.push_back(finding.id);
        break;
      }
      if (space == std::string_view::npos) break;
      list.remove_prefix(space + 1);
    }
  }
  return ids;
}

nlohmann::json RunToJson(const properties::CheckedRun& run, const sim::World& world,
                         const std::string& reproduce) {
  nlohmann::json out;
  out["seed"] = run.seed;
  out["profile"] = run.profile;
  out["trace_hash"] = sim::Trace::HashHex(run.trace_hash);
  out["events"] = run.events;
  out["end_time_us"] = run.end_time_us;
  out["customers"] = run.customers;
  out["counts"] = {{"checkouts_started", run.counts.checkouts_started},
                   {"orders_placed", run.counts.orders_placed},
                   {"checkouts_failed", run.counts.checkouts_failed},
                   {"checkout_failures", CountsObject(run.checkout_outcomes.failed_by_code)},
                   {"carts_not_created", run.checkout_outcomes.carts_not_created},
                   {"deliveries", run.counts.deliveries},
                   {"cancellations_requested", run.counts.cancellations_requested},
                   {"cancellations_during_fulfilment", run.counts.cancellations_during_fulfilment},
                   {"shipments_delivered", run.counts.shipments_delivered},
                   {"world_changes", run.counts.world_changes}};
  out["vacuous"] = run.vacuous();
  out["drain_still_busy"] = run.drain_still_busy;
  out["violations"] = nlohmann::json::array();
  for (const properties::Violation& v : run.violations) {
    out["violations"].push_back({{"invariant", v.invariant},
                                 {"entity", v.entity},
                                 {"expected", v.expected},
                                 {"actual", v.actual},
                                 {"time_us", v.time_us},
                                 {"seq", v.seq}});
  }
  out["violation_counts"] = CountsObject(run.violation_counts);
  out["violations_dropped"] = CountsObject(run.violations_dropped);
  out["plan"] = PlanToJson(world.options().faults);
  out["fault_points"] = nlohmann::json::array();
  for (const auto& [name, point] : world.faults().points()) {
    out["fault_points"].push_back({{"name", name},
                                   {"reached", point.reached},
                                   {"fired_before", point.fired_before},
                                   {"fired_after", point.fired_after},
                                   {"crashed", point.crashed},
                                   {"in_window", point.in_window}});
  }
  out["crashes"] = nlohmann::json::object();
  for (const auto& [process, crashes] : world.CrashCounts()) out["crashes"][process] = crashes;
  out["fault_windows"] = nlohmann::json::array();
  for (const sim::FaultWindow& window : world.faults().windows()) {
    out["fault_windows"].push_back({{"points", window.points},
                                    {"kind", std::string{sim::Name(window.kind)}},
                                    {"from_us", window.from_us},
                                    {"until_us", window.until_us},
                                    {"fail_ppm", window.fail_ppm},
                                    {"extra_latency_us", window.extra_latency_us}});
  }
  out["reproduce"] = reproduce;
  return out;
}

std::string RunSummary(const properties::CheckedRun& run, const std::string& reproduce) {
  std::string text = fmt::format(
      "seed {} profile {}: {} customers, {} checkouts started, {} orders placed, {} checkouts "
      "failed; {} events, trace {}\n",
      run.seed, run.profile, run.customers, run.counts.checkouts_started, run.counts.orders_placed,
      run.counts.checkouts_failed, run.events, sim::Trace::HashHex(run.trace_hash));
  const properties::CheckoutOutcomes& outcomes = run.checkout_outcomes;
  if (run.counts.checkouts_failed > 0) {
    text += fmt::format("checkouts failed: {} ({})\n", run.counts.checkouts_failed,
                        FailureReasons(outcomes.failed_by_code));
  }
  if (outcomes.carts_not_created > 0) {
    text += fmt::format("carts not created: {}\n", outcomes.carts_not_created);
  }
  if (!run.crashes.empty()) {
    std::string crashes;
    for (const auto& [process, count] : run.crashes) {
      crashes += fmt::format("{}{} {}", crashes.empty() ? "" : ", ", process, count);
    }
    text += fmt::format("processes crashed and restarted: {}\n", crashes);
  }
  if (run.drain_still_busy) {
    text +=
        "note: the drain stopped at its limit with workers still busy in its last hour; the "
        "settled invariants judged a world that may not have settled\n";
  }
  if (run.violations.empty() && run.violation_counts.empty()) {
    text += run.vacuous() ? "tested nothing: no order was placed\n" : "all invariants held\n";
    return text;
  }
  const std::int64_t found = run.violations_found();
  const auto listed = static_cast<std::int64_t>(run.violations.size());
  text += found == listed ? fmt::format("{} violation(s):\n", found)
                          : fmt::format("{} violation(s), the first {} listed:\n", found, listed);
  for (const std::string& name : InvariantOrder(run.violation_counts)) {
    text += fmt::format("  {}: {}", name, run.violation_counts.at(name));
    if (auto dropped = run.violations_dropped.find(name); dropped != run.violations_dropped.end()) {
      text += fmt::format(" ({} dropped from the list)", dropped->second);
    }
    std::string findings;
    for (std::string_view id : FindingsDetectedBy(name)) {
      findings += findings.empty() ? "; detects " : ", ";
      findings += id;
    }
    text += (findings.empty() ? std::string{"; detects no catalogue finding"} : findings) + "\n";
  }
  for (const auto& v : run.violations) {
    text += fmt::format("  {} {} at t={}us seq={}: expected {}, got {}\n", v.invariant, v.entity,
                        v.time_us, v.seq, v.expected, v.actual);
  }
  if (run.vacuous()) text += "note: no order was placed\n";
  text += "reproduce: " + reproduce + "\n";
  return text;
}

}  // namespace csim::reports
