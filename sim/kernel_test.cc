#include "sim/kernel.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/rng.h"

namespace csim::sim {
namespace {

Task<void> Ticker(Kernel& kernel, std::vector<std::string>& log, std::string name,
                  DurationUs period_us, int ticks) {
  for (int i = 0; i < ticks; ++i) {
    co_await kernel.Sleep(period_us);
    log.push_back(fmt::format("{}@{}", name, kernel.now()));
  }
}

TEST(Kernel, OrdersWakeUpsByTimeThenBySequence) {
  Kernel kernel;
  std::vector<std::string> log;
  ProcessId a = kernel.AddProcess("a");
  ProcessId b = kernel.AddProcess("b");
  kernel.Spawn(a, Ticker(kernel, log, "a", 10, 3));
  kernel.Spawn(b, Ticker(kernel, log, "b", 15, 2));
  kernel.RunUntil(100);
  // At t=30 both are due; b asked first (at t=15, a at t=20), so b runs first.
  EXPECT_EQ(log, (std::vector<std::string>{"a@10", "b@15", "a@20", "b@30", "a@30"}));
  EXPECT_EQ(kernel.now(), 100);
  EXPECT_EQ(kernel.dispatches(), 7u);  // 2 starts + 5 wake-ups
}

Task<void> Child(Kernel& kernel, int& stage) {
  stage = 1;
  co_await kernel.Sleep(50);
  stage = 2;  // never reached: the process crashes at t=20
}

Task<void> Parent(Kernel& kernel, int& stage) {
  co_await Child(kernel, stage);
  stage = 3;
}

TEST(Kernel, CrashDestroysRunningWorkAndDropsItsWakeUps) {
  Kernel kernel;
  int stage = 0;
  ProcessId p = kernel.AddProcess("worker");
  kernel.Spawn(p, Parent(kernel, stage));
  kernel.RunUntil(20);
  EXPECT_EQ(stage, 1);
  kernel.Crash(p);
  EXPECT_FALSE(kernel.IsUp(p));
  kernel.RunUntil(200);
  EXPECT_EQ(stage, 1);
  EXPECT_EQ(kernel.CrashCount(p), 1u);
  EXPECT_EQ(kernel.dispatches(), 1u);  // the start; the wake-up at 50 was stale
}

TEST(Kernel, RestartRunsTheStartFunctionAgain) {
  Kernel kernel;
  std::vector<std::string> log;
  ProcessId p = kernel.AddProcess("worker");
  kernel.SetStartFunction(p, [&] { kernel.Spawn(p, Ticker(kernel, log, "w", 10, 100)); });
  kernel.Restart(p);  // already up: no effect
  kernel.Spawn(p, Ticker(kernel, log, "w", 10, 100));
  kernel.RunUntil(25);
  kernel.Crash(p);
  kernel.At(p, 30, [] {});  // a down process starts nothing
  kernel.RunUntil(40);
  kernel.Restart(p);
  kernel.RunUntil(65);
  EXPECT_EQ(log, (std::vector<std::string>{"w@10", "w@20", "w@50", "w@60"}));
}

Task<void> SelfCrasher(Kernel& kernel, ProcessId self, int& after) {
  co_await kernel.Sleep(5);
  kernel.Crash(self);
  co_await kernel.Halt();
  after = 1;
}

TEST(Kernel, ProcessCanCrashItselfAtAFaultPoint) {
  Kernel kernel;
  int after = 0;
  ProcessId p = kernel.AddProcess("checkout-api");
  kernel.Spawn(p, SelfCrasher(kernel, p, after));
  kernel.RunUntil(100);
  EXPECT_EQ(after, 0);
  EXPECT_EQ(kernel.CrashCount(p), 1u);
}

Task<void> Thrower(Kernel& kernel) {
  co_await kernel.Sleep(1);
  CSIM_CHECK(1 + 1 == 3, "deliberate");
}

TEST(Kernel, BrokenAssumptionStopsTheRun) {
  Kernel kernel;
  ProcessId p = kernel.AddProcess("p");
  kernel.Spawn(p, Thrower(kernel));
  EXPECT_THROW(kernel.RunUntil(10), CheckFailure);
}

TEST(Kernel, TimersFireInOrderAndTraceRecordsTimeAndProcess) {
  Kernel kernel;
  ProcessId p = kernel.AddProcess("timers");
  NameId fire = kernel.trace().Intern("timer.fire");
  NameId ok = kernel.trace().Intern("ok");
  kernel.At(p, 30, [&] { kernel.Record(fire, ok, "second"); });
  kernel.At(p, 10, [&] { kernel.Record(fire, ok, "first"); });
  kernel.RunUntil(50);
  ASSERT_EQ(kernel.trace().size(), 2u);
  EXPECT_EQ(
      kernel.trace().JsonLine(0, kernel.ProcessNames()),
      R"({"seq":0,"t_us":10,"process":"timers","action":"timer.fire","outcome":"ok","detail":"first"})");
  EXPECT_EQ(kernel.trace().at(1).time_us, 30);
}

// Runs a small random world and returns its trace hash.
std::uint64_t RandomWorldHash(std::uint64_t seed) {
  Kernel kernel;
  Rng rng(seed);
  NameId tick = kernel.trace().Intern("tick");
  NameId ok = kernel.trace().Intern("ok");
  for (int i = 0; i < 4; ++i) {
    ProcessId p = kernel.AddProcess("p" + std::to_string(i));
    auto body = [](Kernel& k, Rng r, NameId action, NameId outcome) -> Task<void> {
      for (int n = 0; n < 50; ++n) {
        co_await k.Sleep(static_cast<DurationUs>(r.Below(100)));
        k.Record(action, outcome, std::to_string(n));
      }
    };
    kernel.Spawn(p, body(kernel, rng.Fork(static_cast<std::uint64_t>(i)), tick, ok));
  }
  kernel.RunUntil(1'000'000);
  return kernel.trace().hash();
}

TEST(Kernel, SameSeedSameTraceHashDifferentSeedDifferentHash) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    EXPECT_EQ(RandomWorldHash(seed), RandomWorldHash(seed)) << "seed " << seed;
  }
  EXPECT_NE(RandomWorldHash(1), RandomWorldHash(2));
}

}  // namespace
}  // namespace csim::sim
