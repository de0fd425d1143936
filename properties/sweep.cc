#include "properties/sweep.h"

#include <mutex>
#include <optional>
#include <thread>

#include "core/check.h"
#include "properties/situations.h"

namespace csim::properties {
namespace {

void AddFaultPoints(std::map<std::string, FaultPointTotals>& sum,
                    const std::map<std::string, FaultPointTotals>& more) {
  for (const auto& [name, totals] : more) {
    FaultPointTotals& into = sum[name];
    into.reached += totals.reached;
    into.fired_before += totals.fired_before;
    into.fired_after += totals.fired_after;
    into.crashed += totals.crashed;
    into.in_window += totals.in_window;
    CSIM_CHECK(into.fired_before + into.fired_after <= into.reached, "fired <= reached");
  }
}

struct SeedRun {
  SeedOutcome outcome;
  std::map<std::string, FaultPointTotals> fault_points;
  std::map<std::string, std::int64_t> situations;
};

SeedRun RunOnce(const SweepOptions& options, std::uint64_t seed) {
  SeedRun result;
  result.outcome.seed = seed;
  sim::WorldOptions world_options = options.world;
  world_options.seed = seed;
  try {
    sim::World world(world_options, sim::GenerateWorkload(seed, options.workload));
    const CheckedRun run = RunChecked(world);
    result.outcome.trace_hash = run.trace_hash;
    result.outcome.orders_placed = run.counts.orders_placed;
    result.outcome.drain_still_busy = run.drain_still_busy;
    result.outcome.violations = static_cast<std::size_t>(run.violations_found());
    // Every invariant broken, listed or not (a run lists at most kViolationsKeptMax).
    for (const auto& [name, count] : run.violation_counts) {
      CSIM_CHECK(count > 0, "only broken invariants are counted");
      result.outcome.invariants.push_back(name);
    }
    result.situations = run.situations;
    for (const auto& [name, point] : world.faults().points()) {
      result.fault_points[name] = {point.reached, point.fired_before, point.fired_after,
                                   point.crashed, point.in_window};
    }
  } catch (const CheckFailure& failure) {
    result.outcome.internal_error = failure.what();
  }
  return result;
}

}  // namespace

std::vector<std::string> SweepResult::UnreachedSituations() const {
  std::vector<std::string> unreached;
  for (const auto& [name, totals] : situations) {
    if (totals.seeds == 0 && !outside_plan.contains(name)) unreached.push_back(name);
  }
  return unreached;
}

SeedOutcome RunSeed(const SweepOptions& options, std::uint64_t seed,
                    std::map<std::string, FaultPointTotals>* fault_points,
                    std::map<std::string, std::int64_t>* situations) {
  CSIM_CHECK(seed >= options.first_seed && seed <= options.last_seed, "a seed of the sweep");
  SeedRun first = RunOnce(options, seed);
  const bool recheck =
      first.outcome.failed() || (seed - options.first_seed) % kDeterminismSampleEvery == 0;
  if (recheck) {
    const SeedRun second = RunOnce(options, seed);
    first.outcome.rechecked = true;
    first.outcome.nondeterministic = second.outcome.trace_hash != first.outcome.trace_hash ||
                                     second.outcome.invariants != first.outcome.invariants ||
                                     second.outcome.internal_error != first.outcome.internal_error;
  }
  if (fault_points != nullptr) AddFaultPoints(*fault_points, first.fault_points);
  if (situations != nullptr) *situations = std::move(first.situations);
  return first.outcome;
}

SweepResult RunSweep(const SweepOptions& options,
                     const std::function<void(const SeedOutcome&)>& on_seed,
                     const std::atomic<bool>* stop) {
  CSIM_CHECK(options.first_seed <= options.last_seed, "a sweep has at least one seed");
  const std::uint64_t count = options.last_seed - options.first_seed + 1;
  CSIM_CHECK(count <= kSweepSeedsMax, "kSweepSeedsMax");
  CSIM_CHECK(options.jobs >= 1 && options.jobs <= kSweepJobsMax, "1 <= jobs <= kSweepJobsMax");

  // One slot per seed, filled by whichever thread ran it: the result is in seed order whatever
  // the threads' timing.
  std::vector<std::optional<SeedOutcome>> slots(count);
  std::vector<std::map<std::string, FaultPointTotals>> points(count);
  std::vector<std::map<std::string, std::int64_t>> situations(count);
  std::atomic<std::uint64_t> next{0};
  auto work = [&] {
    for (;;) {
      if (stop != nullptr && stop->load()) return;
      const std::uint64_t index = next.fetch_add(1);
      if (index >= count) return;
      const std::uint64_t seed = options.first_seed + index;
      slots[index] = RunSeed(options, seed, &points[index], &situations[index]);
      if (on_seed) on_seed(*slots[index]);
    }
  };
  const std::int32_t threads = static_cast<std::int32_t>(
      std::min<std::uint64_t>(count, static_cast<std::uint64_t>(options.jobs)));
  std::vector<std::thread> pool;
  for (std::int32_t i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();

  SweepResult result;
  for (const SituationInfo& info : AllSituations()) result.situations[info.name] = {};
  result.outside_plan = SituationsOutsidePlan(options.world.faults);
  for (std::uint64_t index = 0; index < count; ++index) {
    if (!slots[index]) {
      result.interrupted = true;
      continue;
    }
    const SeedOutcome& outcome = *slots[index];
    ++result.seeds_run;
    if (outcome.rechecked) ++result.rechecked;
    if (outcome.nondeterministic) ++result.nondeterministic;
    if (outcome.vacuous()) result.vacuous_seeds.push_back(outcome.seed);
    if (outcome.drain_still_busy) result.drain_still_busy_seeds.push_back(outcome.seed);
    for (const std::string& name : outcome.invariants) ++result.seeds_per_invariant[name];
    if (outcome.failed()) result.failures.push_back(outcome);
    AddFaultPoints(result.fault_points, points[index]);
    for (const auto& [name, reached] : situations[index]) {
      CSIM_CHECK(result.situations.contains(name), "a listed situation");
      SituationTotals& totals = result.situations[name];
      totals.count += reached;
      totals.seeds += reached > 0 ? 1 : 0;
    }
  }
  for (const std::string& name : result.outside_plan) {
    CSIM_CHECK(result.situations.at(name).seeds == 0,
               "a situation listed outside the plan was reached: SituationsOutsidePlan is wrong");
  }
  CSIM_CHECK(result.seeds_run <= count);
  CSIM_CHECK(result.interrupted == (result.seeds_run < count));
  return result;
}

}  // namespace csim::properties
