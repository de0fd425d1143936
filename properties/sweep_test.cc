// The sweep: its result is the same whatever the number of threads, it counts what it ran, and it
// finds a finding that is switched back to its as-reviewed behaviour.
#include "properties/sweep.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <vector>

namespace csim::properties {
namespace {

SweepOptions Small(std::uint64_t first, std::uint64_t last, std::int32_t jobs) {
  SweepOptions options;
  options.first_seed = first;
  options.last_seed = last;
  options.jobs = jobs;
  options.workload.orders = 12;
  options.world.faults = *sim::FaultPlan::Named("heavy");
  return options;
}

TEST(Sweep, SameResultWithOneThreadOrThree) {
  const SweepResult one = RunSweep(Small(1, 6, 1));
  const SweepResult three = RunSweep(Small(1, 6, 3));
  EXPECT_EQ(one.seeds_run, 6u);
  EXPECT_EQ(three.seeds_run, 6u);
  EXPECT_FALSE(one.interrupted);
  ASSERT_EQ(one.failures.size(), three.failures.size());
  for (std::size_t i = 0; i < one.failures.size(); ++i) {
    EXPECT_EQ(one.failures[i].seed, three.failures[i].seed);
    EXPECT_EQ(one.failures[i].trace_hash, three.failures[i].trace_hash);
  }
  EXPECT_EQ(one.vacuous_seeds, three.vacuous_seeds);
  ASSERT_EQ(one.fault_points.size(), three.fault_points.size());
  std::uint64_t reached = 0;
  for (const auto& [name, totals] : one.fault_points) {
    EXPECT_EQ(totals.reached, three.fault_points.at(name).reached) << name;
    EXPECT_EQ(totals.fired_after, three.fault_points.at(name).fired_after) << name;
    reached += totals.reached;
  }
  EXPECT_GT(reached, 1000u);  // six whole simulations passed many fault points
  EXPECT_EQ(one.nondeterministic, 0u);
  EXPECT_GE(one.rechecked, 1u);  // the first seed of every 50 is run twice
}

TEST(Sweep, EachSeedIsReportedOnceAndStopKeepsWhatFinished) {
  std::mutex mutex;
  std::multiset<std::uint64_t> seen;
  std::atomic<bool> stop{false};
  const SweepResult result = RunSweep(
      Small(10, 17, 2),
      [&](const SeedOutcome& outcome) {
        std::lock_guard lock(mutex);
        seen.insert(outcome.seed);
        if (seen.size() == 3) stop = true;
      },
      &stop);
  EXPECT_TRUE(result.interrupted);
  EXPECT_GE(result.seeds_run, 3u);
  EXPECT_LT(result.seeds_run, 8u);
  EXPECT_EQ(result.seeds_run, seen.size());
  for (std::uint64_t seed : seen) EXPECT_EQ(seen.count(seed), 1u) << seed;
}

TEST(Sweep, FindsTheEmptyWarehouseIdWhenItIsAsReviewed) {
  SweepOptions options = Small(1, 8, 2);
  options.world.faults = sim::FaultPlan::Quiet();
  options.world.profile.SetAsReviewed(FindingId("EC-08"));
  const SweepResult as_reviewed = RunSweep(options);
  ASSERT_EQ(as_reviewed.seeds_per_invariant.count("NO-PHANTOM-WAREHOUSE"), 1u);
  EXPECT_GE(as_reviewed.seeds_per_invariant.at("NO-PHANTOM-WAREHOUSE"), 2u);  // 2 of 8 measured
  for (const SeedOutcome& failure : as_reviewed.failures) EXPECT_TRUE(failure.rechecked);

  options.world.profile = Profile::AllFixed();
  const SweepResult fixed = RunSweep(options);
  EXPECT_EQ(fixed.seeds_per_invariant.count("NO-PHANTOM-WAREHOUSE"), 0u);
}

// No customer approves a payment, so every card order expires and is cancelled. With SIM-16 as
// reviewed the compensation worker voids the same holds every pass, so each seed's drain takes
// every extra hour it may and is listed; fixed, every drain ends on time.
TEST(Sweep, ListsTheSeedsWhoseDrainStoppedWithWorkersStillBusy) {
  SweepOptions options = Small(1, 4, 2);
  options.workload.orders = 6;
  options.world.faults = sim::FaultPlan::Quiet();
  options.world.faults.slowness.never_approves_ppm = 1'000'000;
  options.world.drain_hours_more_max = 1;
  options.world.profile.SetAsReviewed(FindingId("SIM-16"));
  const SweepResult busy = RunSweep(options);
  EXPECT_EQ(busy.drain_still_busy_seeds, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  options.world.profile = Profile::AllFixed();
  const SweepResult settled = RunSweep(options);
  EXPECT_EQ(settled.seeds_run, 4u);
  EXPECT_TRUE(settled.drain_still_busy_seeds.empty());
}

}  // namespace
}  // namespace csim::properties

namespace csim::properties {
namespace {

// A run keeps its trace and world in memory: one that cannot fit is refused before it starts.
TEST(RunBudget, ARunThatCannotFitIsRefusedWithItsFigures) {
  const RunEstimate estimate = EstimateRun(100'000);
  EXPECT_EQ(estimate.events, 5'000 + 90 * 100'000);
  EXPECT_EQ(estimate.bytes, estimate.events * kRunBytesPerEvent);
  EXPECT_EQ(RunTooBig(100'000, estimate.bytes, 20'000'000), "");  // exactly enough memory
  const std::string short_of_memory = RunTooBig(100'000, estimate.bytes - 1, 20'000'000);
  EXPECT_NE(short_of_memory.find("100000 customers need about 3435 MB"), std::string::npos)
      << short_of_memory;
  const std::string over_trace = RunTooBig(100'000, -1, 1'000'000);  // memory unknown
  EXPECT_NE(over_trace.find("over the trace's limit of 1000000"), std::string::npos) << over_trace;
  EXPECT_EQ(RunTooBig(20, -1, 20'000'000), "");
}

}  // namespace
}  // namespace csim::properties
