// The incremental "always" checks (properties/change_tracker.h) find exactly what the full rescan
// finds: the same violations (invariant, entity, expected, actual, time and trace seq), the same
// counts per invariant, the same ones left off the list, on faulty worlds where many invariants
// break (as reviewed) and where few do (fixed).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "core/findings.h"
#include "properties/run_check.h"
#include "sim/faults.h"
#include "sim/workload.h"
#include "sim/world.h"

namespace csim::properties {
namespace {

struct Plan {
  std::string faults;  // a named plan of the command line
  bool as_reviewed = false;
  bool deprecated_http_path = false;
  // The order service on its second warehouse interface, with only EC-14 as reviewed: a
  // cancelled order's release is skipped, and STOCK-NO-LEAK's cancelled-order part breaks.
  bool legacy_warehouse_ec14 = false;
};

std::string Describe(const Plan& plan, std::uint64_t seed) {
  return "--faults " + plan.faults + (plan.as_reviewed ? " --profile as-reviewed" : "") +
         (plan.deprecated_http_path ? " --deprecated-http-path" : "") +
         (plan.legacy_warehouse_ec14 ? " --legacy-warehouse --as-reviewed EC-14" : "") +
         " --seed " + std::to_string(seed);
}

CheckedRun RunOne(const Plan& plan, std::uint64_t seed, std::int32_t orders, CheckMode mode) {
  sim::WorldOptions options;
  options.seed = seed;
  options.profile = plan.as_reviewed ? Profile::AsReviewed() : Profile::AllFixed();
  options.faults = *sim::FaultPlan::Named(plan.faults);
  options.deprecated_http_subscription = plan.deprecated_http_path;
  if (plan.legacy_warehouse_ec14) {
    options.order_uses_legacy_warehouse = true;
    options.profile.SetAsReviewed(*LookupFinding("EC-14"));
  }
  sim::WorkloadOptions workload;
  workload.orders = orders;
  sim::World world(options, sim::GenerateWorkload(seed, workload));
  return RunChecked(world, true, mode);
}

// Runs every plan on seeds 1..seeds both ways; returns the violations found per invariant.
std::map<std::string, std::int64_t> CompareBothWays(const std::vector<Plan>& plans,
                                                    std::uint64_t seeds, std::int32_t orders) {
  std::map<std::string, std::int64_t> found;
  for (const Plan& plan : plans) {
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
      SCOPED_TRACE(Describe(plan, seed));
      const CheckedRun full = RunOne(plan, seed, orders, CheckMode::kFullRescan);
      const CheckedRun incremental = RunOne(plan, seed, orders, CheckMode::kIncremental);
      EXPECT_EQ(full.trace_hash, incremental.trace_hash);  // checking never changes the world
      EXPECT_EQ(full.violations.size(), incremental.violations.size());
      for (std::size_t i = 0; i < std::min(full.violations.size(), incremental.violations.size());
           ++i) {
        const Violation& a = full.violations[i];
        const Violation& b = incremental.violations[i];
        EXPECT_EQ(a, b) << "violation " << i << ": " << a.invariant << " " << a.entity << " seq "
                        << a.seq << " vs " << b.invariant << " " << b.entity << " seq " << b.seq;
      }
      EXPECT_EQ(full.violation_counts, incremental.violation_counts);
      EXPECT_EQ(full.violations_dropped, incremental.violations_dropped);
      for (const auto& [name, count] : full.violation_counts) found[name] += count;
      for (const Violation& v : full.violations) {
        found["of a cancelled order"] +=
            v.expected.find("of the cancellation of") != std::string::npos;
      }
    }
  }
  return found;
}

TEST(Incremental, SameViolationsAsTheFullRescan) {
  const std::vector<Plan> plans{
      {"heavy", false}, {"heavy", true}, {"swarm", false}, {"swarm", true}, {"chaos", true, true}};
  const auto found = CompareBothWays(plans, 4, 30);
  // Seeds 7 and 8 of this plan each have an order cancelled with its stock held (measured).
  const auto cancelled = CompareBothWays({{"swarm", false, false, true}}, 8, 30);
  // As reviewed, the always invariants break on these seeds (measured: the comparison is not
  // vacuous). Names only: the counts are the full rescan's, compared above.
  for (const char* name : {"NO-PHANTOM-WAREHOUSE", "NO-OVERSELL", "STOCK-NO-LEAK"}) {
    EXPECT_GT(found.count(name), 0u) << name;
  }
  EXPECT_GT(cancelled.at("of a cancelled order"), 0);
}

// The wider comparison of the brief: 20 seeds x 50 orders, both profiles, heavy and swarm (label
// detector: Release only, once per CI run).
TEST(IncrementalWide, SameViolationsAsTheFullRescanOnTwentySeeds) {
  const std::vector<Plan> plans{{"heavy", false},
                                {"heavy", true},
                                {"swarm", false},
                                {"swarm", true},
                                {"chaos", false},
                                {"chaos", true, true},
                                {"swarm", false, false, true}};
  const auto found = CompareBothWays(plans, 20, 50);
  EXPECT_GE(found.size(), 5u);
  EXPECT_GT(found.at("of a cancelled order"), 0);
}

}  // namespace
}  // namespace csim::properties
