// Checkouts per second through the real backend beside the simulated one, in the same run. One
// iteration is one whole run of 20 customers (seed 1, the "fixed" profile, no injected faults):
//   BM_SimulatedCheckouts  sim::World: generated, run to the end of its drain, every invariant
//                          checked after every event (what `checkout-sim run --faults none` does)
//   BM_SimulatedCheckoutsCheckedAtEnd  the same, invariants checked once after the drain (as the
//                          real run checks them)
//   BM_RealCheckouts       realrun::RunReal on throwaway redis-server and PostgreSQL instances
//                          that this binary starts on free loopback ports (tests/contract's
//                          harness) and stops at exit: both databases emptied, the customers one
//                          after the other, the drain until nothing changes, every invariant
//                          checked on the real state (what `checkout-sim run --backend real` does)
// "checkouts" is checkouts started per second of wall time (the real run waits on the servers;
// CPU time would hide it). A server that cannot start skips BM_RealCheckouts with the reason.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/findings.h"
#include "properties/run_check.h"
#include "realrun/real_run.h"
#include "sim/faults.h"
#include "sim/workload.h"
#include "sim/world.h"
#include "tests/contract/servers.h"

namespace {

constexpr std::int32_t kOrdersPerRun = 20;
constexpr std::uint64_t kSeed = 1;

void Report(benchmark::State& state, std::int64_t checkouts, std::int64_t orders,
            std::int64_t violations) {
  state.SetItemsProcessed(orders);
  state.counters["checkouts"] =
      benchmark::Counter(static_cast<double>(checkouts), benchmark::Counter::kIsRate);
  state.counters["runs"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  // The fixed profile holds every invariant on both backends; a non-zero count is worth a look.
  state.counters["violations"] = static_cast<double>(violations);
}

void SimulatedCheckouts(benchmark::State& state, bool check_every_event) {
  std::int64_t checkouts = 0, orders = 0, violations = 0;
  for (auto _ : state) {
    csim::sim::WorldOptions options;
    options.seed = kSeed;
    options.faults = csim::sim::FaultPlan::Quiet();
    csim::sim::WorkloadOptions workload;
    workload.orders = kOrdersPerRun;
    csim::sim::World world(options, csim::sim::GenerateWorkload(kSeed, workload));
    const csim::properties::CheckedRun run = csim::properties::RunChecked(world, check_every_event);
    checkouts += run.counts.checkouts_started;
    orders += run.counts.orders_placed;
    violations += run.violations_found();
  }
  Report(state, checkouts, orders, violations);
}

void BM_SimulatedCheckouts(benchmark::State& state) {
  SimulatedCheckouts(state, true);
}
BENCHMARK(BM_SimulatedCheckouts)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

void BM_SimulatedCheckoutsCheckedAtEnd(benchmark::State& state) {
  SimulatedCheckouts(state, false);
}
BENCHMARK(BM_SimulatedCheckoutsCheckedAtEnd)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

void BM_RealCheckouts(benchmark::State& state) {
  csim::contract::Servers& servers = csim::contract::SharedServers();
  for (const csim::Status& status : {servers.redis_status, servers.postgres_status}) {
    if (!status.ok()) {
      state.SkipWithError(("cannot start a throwaway server: " + status.ToString()).c_str());
      return;
    }
  }
  csim::realrun::RealRunOptions options;
  options.redis_url = servers.redis.url();
  options.postgres_url = servers.postgres.url();
  options.seed = kSeed;
  options.orders = kOrdersPerRun;
  options.reset = true;  // each iteration starts from empty servers
  std::int64_t checkouts = 0, orders = 0, violations = 0;
  double workload_seconds = 0;
  for (auto _ : state) {
    auto result = csim::realrun::RunReal(options);
    if (!result.ok()) {
      state.SkipWithError(("the real run failed: " + result.status().ToString()).c_str());
      return;
    }
    checkouts += result->counts.checkouts_started;
    orders += result->counts.orders_placed;
    for (const auto& [name, count] : result->violation_counts) violations += count;
    workload_seconds += result->workload_seconds;
  }
  Report(state, checkouts, orders, violations);
  // The customers' part alone (no drain, no reading back, no checks), per second of wall time.
  if (workload_seconds > 0) {
    state.counters["checkouts_workload_only"] = static_cast<double>(checkouts) / workload_seconds;
  }
}
BENCHMARK(BM_RealCheckouts)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(10.0);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  csim::contract::StopSharedServers();  // the servers and their folders go with the binary
  return 0;
}
