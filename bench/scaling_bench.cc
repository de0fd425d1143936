// How the cost of a checked simulation grows with its size. One iteration is one seed's whole
// world of N customers (N = 20, 200, 2000, 20000; the default workload: every customer arrives
// within the same 10-minute window, so N is also the traffic level), under the heavy fault plan of
// the CLI (5 % of port calls fail before their effect, 2 % time out after it), with every "always"
// invariant checked after every event (incrementally, the CLI's default) and the settled ones after
// the 3-hour drain. Counters:
//   checkouts        checkouts started per second of this one core
//   us_per_checkout  microseconds of CPU per checkout started (flat = cost linear in the work)
//   events           trace events per second
//   sim_per_wall     simulated seconds per second of CPU (the run's whole simulated span)
//   bytes_per_event  heap in use at the end of the run (the world and the checks' state, still
//                    held) plus what the trace wrote in its own chunks, per trace event
// BM_ScalingFullRescan runs the smaller sizes with the full rescan after every event, the cost
// this replaced.

#include <benchmark/benchmark.h>
#include <malloc.h>

#if defined(CSIM_ALLOCATOR_jemalloc)
#include <jemalloc/jemalloc.h>
#elif defined(CSIM_ALLOCATOR_mimalloc)
#include <mimalloc.h>
#elif defined(CSIM_ALLOCATOR_tcmalloc)
#include <gperftools/malloc_extension_c.h>
#endif

#include <cstddef>
#include <cstdint>

#include "core/findings.h"
#include "properties/run_check.h"
#include "sim/faults.h"
#include "sim/workload.h"
#include "sim/world.h"

namespace {

// Heap bytes in use now: what the run allocated and has not freed, by the count of the malloc
// this binary links (cmake/Allocator.cmake); glibc's mallinfo2 would see none of another's.
double HeapInUse() {
#if defined(CSIM_ALLOCATOR_jemalloc)
  // jemalloc refreshes its statistics only when the epoch is advanced.
  std::uint64_t epoch = 1;
  std::size_t size = sizeof(epoch);
  mallctl("epoch", &epoch, &size, &epoch, size);
  std::size_t allocated = 0;
  size = sizeof(allocated);
  if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) != 0) return 0;
  return static_cast<double>(allocated);
#elif defined(CSIM_ALLOCATOR_mimalloc)
  // mimalloc 2.0 counts no bytes in use for the process; its committed memory is the nearest.
  std::size_t elapsed = 0, user = 0, system = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0,
              faults = 0;
  mi_process_info(&elapsed, &user, &system, &rss, &peak_rss, &commit, &peak_commit, &faults);
  return static_cast<double>(commit);
#elif defined(CSIM_ALLOCATOR_tcmalloc)
  std::size_t allocated = 0;
  MallocExtension_GetNumericProperty("generic.current_allocated_bytes", &allocated);
  return static_cast<double>(allocated);
#else
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
#endif
}

void RunScaling(benchmark::State& state, csim::properties::CheckMode mode) {
  const auto orders = static_cast<std::int32_t>(state.range(0));
  std::uint64_t seed = 1;
  double checkouts = 0, events = 0, simulated_s = 0, bytes = 0, violations = 0;
  for (auto _ : state) {
    const double heap_before = HeapInUse();
    csim::sim::WorldOptions options;
    options.seed = seed;
    options.profile = csim::Profile::AllFixed();
    options.faults = *csim::sim::FaultPlan::Named("heavy");
    csim::sim::WorkloadOptions workload;
    workload.orders = orders;
    // Every size within the same 10 minutes, as before the traffic level existed: the figures stay
    // comparable across sizes and with the earlier ones, at the densest load of each.
    workload.arrivals_per_minute_max = csim::sim::kWorkloadCustomersMax;
    csim::sim::World world(options, csim::sim::GenerateWorkload(seed, workload));
    const csim::properties::CheckedRun run = csim::properties::RunChecked(world, true, mode);
    checkouts += static_cast<double>(run.counts.checkouts_started);
    events += static_cast<double>(run.events);
    simulated_s += static_cast<double>(run.end_time_us) / 1e6;
    violations += static_cast<double>(run.violations_found());
    state.PauseTiming();
    bytes +=
        (HeapInUse() - heap_before) + static_cast<double>(world.kernel().trace().BytesWritten());
    state.ResumeTiming();
    ++seed;
  }
  using benchmark::Counter;
  state.counters["checkouts"] = Counter(checkouts, Counter::kIsRate);
  state.counters["us_per_checkout"] = Counter(checkouts / 1e6, Counter::kIsRate | Counter::kInvert);
  state.counters["events"] = Counter(events, Counter::kIsRate);
  state.counters["events_per_run"] = Counter(events, Counter::kAvgIterations);
  state.counters["sim_per_wall"] = Counter(simulated_s, Counter::kIsRate);
  state.counters["bytes_per_event"] = Counter(bytes / events);
  // The fixed profile should hold under heavy faults; a non-zero count is worth a look.
  state.counters["violations"] = Counter(violations, Counter::kAvgIterations);
}

void BM_Scaling(benchmark::State& state) {
  RunScaling(state, csim::properties::CheckMode::kIncremental);
}
BENCHMARK(BM_Scaling)
    ->Arg(20)
    ->Arg(200)
    ->Arg(2000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

void BM_ScalingFullRescan(benchmark::State& state) {
  RunScaling(state, csim::properties::CheckMode::kFullRescan);
}
BENCHMARK(BM_ScalingFullRescan)
    ->Arg(20)
    ->Arg(200)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
