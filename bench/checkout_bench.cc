// Whole simulations per second: one iteration is one seed's world (50 customers, the default
// "fixed" profile, the "light" fault plan of the CLI: 2 % of port calls fail before their effect),
// generated, built, run to the end of its drain and checked. items_processed counts the orders
// placed, so "items_per_second" is checkouts that ended in an order per second; "events" is
// trace events per second and "dispatches" kernel dispatches (coroutine resumptions) per second.

#include <benchmark/benchmark.h>

#include <cstdint>

#include "core/config.h"
#include "core/findings.h"
#include "properties/run_check.h"
#include "sim/faults.h"
#include "sim/workload.h"
#include "sim/world.h"

namespace {

constexpr std::int32_t kOrdersPerRun = 50;

void RunCheckoutBench(benchmark::State& state, bool check_every_event) {
  std::uint64_t seed = 1;
  std::int64_t orders_placed = 0;
  std::int64_t checkouts_started = 0;
  std::int64_t violations = 0;
  double events = 0;
  double dispatches = 0;
  for (auto _ : state) {
    csim::sim::WorldOptions options;
    options.seed = seed;
    options.profile = csim::Profile::AllFixed();
    options.faults = csim::sim::FaultPlan::FailBefore(20'000);  // --faults light
    csim::sim::WorkloadOptions workload;
    workload.orders = kOrdersPerRun;
    csim::sim::World world(options, csim::sim::GenerateWorkload(seed, workload));
    const csim::properties::CheckedRun run = csim::properties::RunChecked(world, check_every_event);
    orders_placed += run.counts.orders_placed;
    checkouts_started += run.counts.checkouts_started;
    violations += static_cast<std::int64_t>(run.violations.size());
    events += static_cast<double>(run.events);
    dispatches += static_cast<double>(world.kernel().dispatches());
    ++seed;
  }
  state.SetItemsProcessed(orders_placed);
  state.counters["events"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["checkouts"] =
      benchmark::Counter(static_cast<double>(checkouts_started), benchmark::Counter::kIsRate);
  state.counters["runs"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["dispatches"] = benchmark::Counter(dispatches, benchmark::Counter::kIsRate);
  state.counters["events_per_run"] = benchmark::Counter(events, benchmark::Counter::kAvgIterations);
  // The fixed profile should hold every invariant; a non-zero count is worth a look.
  state.counters["violations"] = static_cast<double>(violations);
}

void BM_Checkouts(benchmark::State& state) {
  RunCheckoutBench(state, false);
}
BENCHMARK(BM_Checkouts)->Unit(benchmark::kMillisecond);

void BM_CheckoutsCheckedEveryEvent(benchmark::State& state) {
  RunCheckoutBench(state, true);
}
BENCHMARK(BM_CheckoutsCheckedEveryEvent)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
