// Every detector can fail: for each finding with behaviour in the simulated world, the whole world
// (not one function) is run over a range of seeds with that finding alone turned back to its
// as-reviewed behaviour, and its detecting invariant must break on some seed; the same seeds under
// `fixed` must break nothing. The world, workload and faults are drawn the same way under both
// profiles: only core's behaviour differs.
#include <gtest/gtest.h>

#include <string>

#include "properties/sweep.h"

namespace csim::properties {
namespace {

struct Detection {
  std::uint64_t seeds_run = 0;
  std::uint64_t first_seed = 0;  // the first seed that broke the invariant (0: none)
  std::uint64_t seeds_broken = 0;
  std::map<std::string, std::uint64_t> fixed_broken;  // invariants `fixed` broke on these seeds
};

struct Hunt {
  std::string finding;
  std::string invariant;
  std::uint64_t seeds = 20;  // seeds first_seed .. first_seed + seeds - 1
  std::int32_t orders = 40;
  std::string faults = "light";
  bool legacy_warehouse = false;
  std::uint64_t first_seed = 1;
};

Detection Detect(const Hunt& hunt) {
  SweepOptions options;
  options.first_seed = hunt.first_seed;
  options.last_seed = hunt.first_seed + hunt.seeds - 1;
  options.jobs = 2;
  options.workload.orders = hunt.orders;
  options.world.faults = *sim::FaultPlan::Named(hunt.faults);
  options.world.order_uses_legacy_warehouse = hunt.legacy_warehouse;
  const SweepResult fixed = RunSweep(options);
  auto finding = LookupFinding(hunt.finding);
  EXPECT_TRUE(finding.has_value()) << hunt.finding;
  options.world.profile.SetAsReviewed(*finding);
  const SweepResult as_reviewed = RunSweep(options);
  Detection d;
  d.seeds_run = as_reviewed.seeds_run;
  d.fixed_broken = fixed.seeds_per_invariant;
  for (const SeedOutcome& failure : as_reviewed.failures) {
    for (const std::string& name : failure.invariants) {
      if (name != hunt.invariant) continue;
      ++d.seeds_broken;
      if (d.first_seed == 0) d.first_seed = failure.seed;
    }
  }
  return d;
}

void ExpectDetected(const Hunt& hunt) {
  const Detection d = Detect(hunt);
  EXPECT_EQ(d.seeds_run, hunt.seeds);
  EXPECT_GE(d.seeds_broken, 1u) << hunt.finding << " as reviewed never broke " << hunt.invariant
                                << " in " << hunt.seeds << " seeds from " << hunt.first_seed;
  EXPECT_TRUE(d.fixed_broken.empty()) << "fixed broke " << d.fixed_broken.begin()->first << " on "
                                      << d.fixed_broken.begin()->second << " seeds";
  std::printf("%s: %s on %llu of %llu seeds, first seed %llu\n", hunt.finding.c_str(),
              hunt.invariant.c_str(), static_cast<unsigned long long>(d.seeds_broken),
              static_cast<unsigned long long>(d.seeds_run),
              static_cast<unsigned long long>(d.first_seed));
}

TEST(Detectors, P0_CC_01_RefundNeverRecorded) {
  ExpectDetected({"P0-CC-01", "ORDER-SETTLES"});
}
TEST(Detectors, EC_08_EmptyWarehouseId) {
  ExpectDetected({"EC-08", "NO-PHANTOM-WAREHOUSE"});
}
TEST(Detectors, R_1_5_ShippingFeeNotRefetched) {
  ExpectDetected({"R-1.5", "PRICE-AS-CONFIRMED"});
}
TEST(Detectors, R_3_3_DeprecatedHttpPath) {
  ExpectDetected({"R-3.3", "EFFECT-ONCE"});
}
TEST(Detectors, EC_14_SecondWarehouseInterface) {
  Hunt hunt{"EC-14", "STOCK-NO-LEAK"};
  hunt.legacy_warehouse = true;
  ExpectDetected(hunt);
}
// The simulator's own findings replay around the seed that found them (1 of 40 seeds at 100
// orders under the heavy plan each).
TEST(Detectors, SIM_03_UnheardAuthorization) {
  ExpectDetected({"SIM-03", "SAGA-SETTLES", 4, 100, "heavy", false, 20});
}
TEST(Detectors, SIM_04_RefundedBeforeStockReleased) {
  ExpectDetected({"SIM-04", "STOCK-NO-LEAK", 4, 100, "heavy", false, 10});
}

}  // namespace
}  // namespace csim::properties
