// Scheduler throughput: how many coroutine resumptions per second the kernel sustains, against
// the physical limit of a bare binary heap resuming bare C++20 coroutines.
//
// Every benchmark runs the same workload per iteration: kProcesses coroutines, each started once
// by the scheduler and then sleeping kSleepsPerProcess times for a pseudo-random delay, so an
// iteration is exactly kEventsPerIteration resumptions (1,000,000). items_processed counts them,
// so the "items_per_second" column of each benchmark is directly comparable.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/task.h"
#include "core/time.h"
#include "sim/kernel.h"
#include "sim/trace.h"

namespace {

constexpr int kProcesses = 64;
constexpr int kSleepsPerProcess = 15'624;
// One start plus kSleepsPerProcess wake-ups per process.
constexpr std::int64_t kEventsPerIteration =
    std::int64_t{kProcesses} * (std::int64_t{kSleepsPerProcess} + 1);
static_assert(kEventsPerIteration == 1'000'000);

std::uint64_t ExpectedEvents(const benchmark::State& state) {
  return static_cast<std::uint64_t>(kEventsPerIteration) *
         static_cast<std::uint64_t>(state.iterations());
}

// A cheap generator for the delays (xorshift64), identical in every benchmark.
struct XorShift {
  std::uint64_t state;
  std::int64_t NextDelayUs() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::int64_t>(state & 1023u) + 1;  // 1..1024 us
  }
};

std::uint64_t SeedFor(int process) {
  return 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(process) + 1);
}

// ---------------------------------------------------------------------------------------------
// The bare loop: a heap of (time, sequence, handle) and a minimal coroutine type; nothing else.

class BareTask {
 public:
  struct promise_type {
    BareTask get_return_object() noexcept {
      return BareTask{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };

  explicit BareTask(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  BareTask(BareTask&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  BareTask& operator=(BareTask&&) = delete;
  BareTask(const BareTask&) = delete;
  BareTask& operator=(const BareTask&) = delete;
  ~BareTask() {
    if (handle_) handle_.destroy();
  }
  std::coroutine_handle<> handle() const { return handle_; }

 private:
  std::coroutine_handle<promise_type> handle_;
};

class BareScheduler {
 public:
  BareScheduler() { heap_.reserve(1024); }

  struct SleepAwaiter {
    BareScheduler* scheduler;
    std::int64_t wake_us;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle) noexcept {
      scheduler->Push(wake_us, handle);
    }
    void await_resume() const noexcept {}
  };
  SleepAwaiter Sleep(std::int64_t duration_us) { return {this, now_us_ + duration_us}; }

  void Push(std::int64_t time_us, std::coroutine_handle<> handle) {
    heap_.push_back(Entry{time_us, seq_++, handle});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }

  void Run() {
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      const Entry entry = heap_.back();
      heap_.pop_back();
      now_us_ = entry.time_us;
      ++resumptions_;
      entry.handle.resume();
    }
  }

  std::uint64_t resumptions() const { return resumptions_; }

 private:
  struct Entry {
    std::int64_t time_us;
    std::uint64_t seq;
    std::coroutine_handle<> handle;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time_us != b.time_us ? a.time_us > b.time_us : a.seq > b.seq;
    }
  };

  std::vector<Entry> heap_;
  std::int64_t now_us_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t resumptions_ = 0;
};

BareTask BareProcess(BareScheduler& scheduler, std::uint64_t seed, int sleeps) {
  XorShift rng{seed};
  for (int i = 0; i < sleeps; ++i) co_await scheduler.Sleep(rng.NextDelayUs());
}

void BM_BareLoop(benchmark::State& state) {
  std::uint64_t resumptions = 0;
  for (auto _ : state) {
    BareScheduler scheduler;
    std::vector<BareTask> tasks;
    tasks.reserve(kProcesses);
    for (int p = 0; p < kProcesses; ++p) {
      tasks.push_back(BareProcess(scheduler, SeedFor(p), kSleepsPerProcess));
      scheduler.Push(0, tasks.back().handle());
    }
    scheduler.Run();
    resumptions += scheduler.resumptions();
  }
  if (resumptions != ExpectedEvents(state)) {
    state.SkipWithError("wrong number of resumptions");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(resumptions));
}
BENCHMARK(BM_BareLoop)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// The same workload on csim::sim::Kernel: 64 processes, one csim::Task each.

template <bool kRecord>
csim::Task<void> KernelProcess(csim::sim::Kernel& kernel, std::uint64_t seed, int sleeps,
                               csim::sim::NameId action, csim::sim::NameId outcome) {
  XorShift rng{seed};
  for (int i = 0; i < sleeps; ++i) {
    co_await kernel.Sleep(rng.NextDelayUs());
    if constexpr (kRecord) kernel.Record(action, outcome);
  }
}

template <bool kRecord>
void RunKernelBench(benchmark::State& state) {
  csim::sim::KernelLimits limits;
  limits.trace_events_max = 2 * static_cast<std::size_t>(kEventsPerIteration);
  std::uint64_t dispatches = 0;
  std::size_t trace_events = 0;
  for (auto _ : state) {
    // A fresh kernel per iteration (its construction and 64 spawns are noise next to 1M events).
    auto kernel = std::make_unique<csim::sim::Kernel>(limits);
    const csim::sim::NameId action = kernel->trace().Intern("bench.sleep");
    const csim::sim::NameId outcome = kernel->trace().Intern("ok");
    for (int p = 0; p < kProcesses; ++p) {
      const csim::sim::ProcessId id = kernel->AddProcess("p" + std::to_string(p));
      kernel->Spawn(
          id, KernelProcess<kRecord>(*kernel, SeedFor(p), kSleepsPerProcess, action, outcome));
    }
    const bool idle = kernel->RunUntilIdle(csim::kDayUs * 365);
    benchmark::DoNotOptimize(kernel->trace().hash());
    if (!idle) state.SkipWithError("kernel did not drain");
    dispatches += kernel->dispatches();
    trace_events += kernel->trace().size();
  }
  if (dispatches != ExpectedEvents(state)) {
    state.SkipWithError("wrong number of dispatches");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(dispatches));
  state.counters["trace_events"] =
      benchmark::Counter(static_cast<double>(trace_events), benchmark::Counter::kIsRate);
}

void BM_Kernel(benchmark::State& state) {
  RunKernelBench<true>(state);
}
BENCHMARK(BM_Kernel)->Unit(benchmark::kMillisecond);

void BM_KernelNoTrace(benchmark::State& state) {
  RunKernelBench<false>(state);
}
BENCHMARK(BM_KernelNoTrace)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
