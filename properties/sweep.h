#pragma once
// A sweep: many seeds of one configuration, run in parallel (one simulation per thread at a time,
// each single threaded and deterministic), with every invariant checked after every event. The
// result does not depend on the number of threads or their timing: seeds are reported in seed
// order. A sample of the seeds, and every failing one, is run a second time and its trace hash
// compared: a mismatch is nondeterminism, a failure of its own.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "properties/run_check.h"
#include "sim/workload.h"
#include "sim/world.h"

namespace csim::properties {

// Upper bounds: a sweep is a finite thing whose results are all kept.
inline constexpr std::uint64_t kSweepSeedsMax = 10'000'000;
inline constexpr std::int32_t kSweepJobsMax = 256;
// Every this many seeds one is re-run for the determinism check (failing seeds always are).
inline constexpr std::uint64_t kDeterminismSampleEvery = 50;

struct SweepOptions {
  std::uint64_t first_seed = 1;
  std::uint64_t last_seed = 100;  // inclusive
  std::int32_t jobs = 1;
  sim::WorldOptions world;  // its seed is replaced by each seed of the range
  sim::WorkloadOptions workload;
};

struct SeedOutcome {
  std::uint64_t seed = 0;
  std::uint64_t trace_hash = 0;
  std::int64_t orders_placed = 0;
  std::vector<std::string> invariants;  // broken, each once, by name
  std::size_t violations = 0;
  std::string internal_error;  // a CSIM_CHECK that failed inside the run ("" if none)
  bool rechecked = false;      // run twice for the determinism check
  bool nondeterministic = false;
  bool drain_still_busy = false;  // properties::CheckedRun::drain_still_busy
  bool failed() const { return !invariants.empty() || !internal_error.empty() || nondeterministic; }
  bool vacuous() const { return orders_placed == 0; }  // tested nothing: no order placed
};

struct FaultPointTotals {
  std::uint64_t reached = 0;
  std::uint64_t fired_before = 0;
  std::uint64_t fired_after = 0;
  std::uint64_t crashed = 0;    // callers crashed at the point
  std::uint64_t in_window = 0;  // calls that met a fault window
};

// How often a situation (properties/situations.h) was reached over a sweep, and on how many seeds.
struct SituationTotals {
  std::int64_t count = 0;
  std::uint64_t seeds = 0;
};

struct SweepResult {
  std::uint64_t seeds_run = 0;
  bool interrupted = false;           // stopped before every seed ran (what ran is kept)
  std::vector<SeedOutcome> failures;  // in seed order
  std::vector<std::uint64_t> vacuous_seeds;
  // Seeds whose drain stopped at its limit with workers still busy: their settled verdicts judged
  // a world that may not have settled.
  std::vector<std::uint64_t> drain_still_busy_seeds;
  std::uint64_t rechecked = 0;
  std::uint64_t nondeterministic = 0;
  std::map<std::string, std::uint64_t> seeds_per_invariant;  // how many seeds broke each
  std::map<std::string, FaultPointTotals> fault_points;      // summed over the seeds run
  std::map<std::string, SituationTotals> situations;         // every situation, reached or not
  // Situations of fault kinds the sweep's plan never draws (SituationsOutsidePlan): not gaps.
  std::set<std::string> outside_plan;
  // Situations no seed reached, outside_plan aside: coverage gaps (`sweep --require-coverage`
  // fails on any).
  std::vector<std::string> UnreachedSituations() const;
};

// Runs the sweep. `on_seed` (if set) is called once per finished seed, from the thread that ran it
// (callers serialize their own output); `stop` (if set) is polled between seeds: once true, no new
// seed starts and the result is marked interrupted.
SweepResult RunSweep(const SweepOptions& options,
                     const std::function<void(const SeedOutcome&)>& on_seed = {},
                     const std::atomic<bool>* stop = nullptr);

// One seed of the sweep, exactly as RunSweep runs it (also for the replay line a failure prints).
SeedOutcome RunSeed(const SweepOptions& options, std::uint64_t seed,
                    std::map<std::string, FaultPointTotals>* fault_points = nullptr,
                    std::map<std::string, std::int64_t>* situations = nullptr);

}  // namespace csim::properties
