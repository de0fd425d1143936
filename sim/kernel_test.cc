#include "sim/kernel.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <memory>
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

// A timer runs in two steps, as the coroutine it replaced did: a timer set at the same time as a
// task's wake-up, for that time, runs after the wake-ups queued before its second step.
Task<void> Waker(Kernel& kernel, std::vector<std::string>& log, TimeUs at) {
  co_await kernel.SleepUntil(at);
  log.push_back(fmt::format("task@{}", kernel.now()));
}

TEST(Kernel, TimersOfACrashedProcessNeverRunAndTheirSlotsAreReused) {
  Kernel kernel;
  std::vector<std::string> log;
  ProcessId p = kernel.AddProcess("p");
  ProcessId q = kernel.AddProcess("q");
  kernel.At(p, 20, [&] { log.push_back(fmt::format("p@{}", kernel.now())); });
  kernel.At(q, 20, [&] {
    log.push_back(fmt::format("q@{}", kernel.now()));
    // Set from inside a timer: runs at 25, after the task queued for 25 earlier.
    kernel.At(q, 25, [&] { log.push_back(fmt::format("q-again@{}", kernel.now())); });
  });
  kernel.Spawn(q, Waker(kernel, log, 25));
  kernel.RunUntil(10);
  kernel.Crash(p);  // its pending timer is dropped, as its frame used to be destroyed
  kernel.RunUntil(30);
  kernel.Restart(p);
  kernel.At(p, 40, [&] { log.push_back(fmt::format("p-restarted@{}", kernel.now())); });
  kernel.RunUntil(50);
  EXPECT_EQ(log, (std::vector<std::string>{"q@20", "task@25", "q-again@25", "p-restarted@40"}));
  EXPECT_TRUE(kernel.idle());
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

// The trace hash's value, pinned: the hash of every detail was unrolled for speed, and every
// trace hash a run, a sweep or a regression file reports must stay what it was. The expected
// value is main's at c9888e2 (before the unrolling) for the same records; the details are 0 to
// 53 bytes long, so both the eight-byte steps and the tail are covered, with bytes above 0x7f.
TEST(Trace, HashOfDetailsIsPinned) {
  Trace trace;
  const NameId action = trace.Intern("store.commit");
  const NameId ok = trace.Intern("ok");
  const std::string text = "cart cart-17 v3 active;outbox checkout.confirmed;\x01\xff\"z";
  ASSERT_EQ(text.size(), 53u);
  for (std::size_t n = 0; n <= text.size(); ++n) {
    trace.Record(static_cast<TimeUs>(n * 1000), static_cast<std::uint32_t>(n % 3), action, ok,
                 std::string_view{text}.substr(0, n));
  }
  EXPECT_EQ(Trace::HashHex(trace.hash()), "8c2aa3e1126efbb7");
}

TEST(Kernel, SameSeedSameTraceHashDifferentSeedDifferentHash) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    EXPECT_EQ(RandomWorldHash(seed), RandomWorldHash(seed)) << "seed " << seed;
  }
  EXPECT_NE(RandomWorldHash(1), RandomWorldHash(2));
}

Task<void> HoldsUntil(Kernel& kernel, std::shared_ptr<int> held, DurationUs sleep_us) {
  co_await kernel.Sleep(sleep_us);
  ++*held;
}

TEST(Kernel, FreesTheFramesOfFinishedRootsBeforeTheRunEnds) {
  // A process that spawns all its work at the start (the world's customers) never spawns again;
  // its finished roots' frames must still be freed as they finish, not at the kernel's end.
  Kernel kernel;
  const ProcessId customers = kernel.AddProcess("customers");
  auto held = std::make_shared<int>(0);
  for (int i = 0; i < 200; ++i) kernel.Spawn(customers, HoldsUntil(kernel, held, 10 + i));
  EXPECT_EQ(held.use_count(), 201);  // every frame holds its parameter
  kernel.RunUntil(1000);
  EXPECT_EQ(*held, 200);
  // Reaped once half of the roots (and at least 64) have finished: 100, then 64 of the other 100.
  EXPECT_EQ(held.use_count(), 1 + 36);
}

TEST(KernelPause, PausedProcessRunsNothingAndItsDueWakeUpsFireAfterThePause) {
  Kernel kernel;
  std::vector<std::string> log;
  ProcessId a = kernel.AddProcess("a");
  ProcessId b = kernel.AddProcess("b");
  kernel.Spawn(a, Ticker(kernel, log, "a", 10, 5));  // due at 10, 20, 30, ...
  kernel.Spawn(b, Ticker(kernel, log, "b", 10, 5));
  kernel.RunUntil(15);
  kernel.Pause(a, 42);  // a freezes from 15 to 42: its wake-ups at 20 and 30 and 40 wait
  EXPECT_TRUE(kernel.IsPaused(a));
  EXPECT_FALSE(kernel.IsPaused(b));
  kernel.RunUntil(41);
  EXPECT_EQ(log, (std::vector<std::string>{"a@10", "b@10", "b@20", "b@30", "b@40"}));
  kernel.RunUntil(100);
  // a's one pending wake-up (it was asleep until 20) runs at 42, and its next sleep starts there.
  EXPECT_EQ(log, (std::vector<std::string>{"a@10", "b@10", "b@20", "b@30", "b@40", "a@42", "b@50",
                                           "a@52", "a@62", "a@72"}));
  EXPECT_FALSE(kernel.IsPaused(a));
  EXPECT_TRUE(kernel.IsUp(a));
  EXPECT_EQ(kernel.PauseCount(a), 1u);
  EXPECT_EQ(kernel.CrashCount(a), 0u);
}

Task<void> Counter(Kernel& kernel, int& count, std::vector<TimeUs>& seen, DurationUs period_us,
                   int ticks) {
  int local = 0;  // lives in the frame: a pause keeps it, a crash would lose it
  for (int i = 0; i < ticks; ++i) {
    co_await kernel.Sleep(period_us);
    ++local;
    count = local;
    seen.push_back(kernel.now());
  }
}

TEST(KernelPause, TimersAndSpawnsDueDuringThePauseRunAfterItInOrderAndMemoryIsKept) {
  Kernel kernel;
  ProcessId p = kernel.AddProcess("worker");
  ProcessId other = kernel.AddProcess("other");
  int count = 0;
  std::vector<TimeUs> seen;
  std::vector<std::string> order;
  kernel.Spawn(p, Counter(kernel, count, seen, 100, 3));  // due at 100, 200, 300 unpaused
  kernel.RunUntil(150);
  EXPECT_EQ(count, 1);
  kernel.Pause(p, 1'000);
  kernel.At(p, 300, [&] { order.push_back(fmt::format("timer300@{}", kernel.now())); });
  kernel.At(p, 400, [&] { order.push_back(fmt::format("timer400@{}", kernel.now())); });
  kernel.At(other, 500, [&] { order.push_back(fmt::format("other500@{}", kernel.now())); });
  kernel.RunUntil(999);
  EXPECT_EQ(count, 1);  // nothing of p ran
  EXPECT_EQ(order, (std::vector<std::string>{"other500@500"}));
  kernel.RunUntil(5'000);
  // Held work resumes at 1000 in the order it fell due (the timers were set, and so started, at
  // 150, before the counter's wake-up at 200); the timers then fire at 1000, in their order. The
  // counter's local count survived the pause.
  EXPECT_EQ(seen, (std::vector<TimeUs>{100, 1'000, 1'100}));
  EXPECT_EQ(count, 3);
  EXPECT_EQ(order, (std::vector<std::string>{"other500@500", "timer300@1000", "timer400@1000"}));
}

TEST(KernelPause, ALaterPauseExtendsAndACrashEndsIt) {
  Kernel kernel;
  ProcessId p = kernel.AddProcess("worker");
  int count = 0;
  std::vector<TimeUs> seen;
  kernel.Spawn(p, Counter(kernel, count, seen, 100, 10));
  kernel.RunUntil(50);
  kernel.Pause(p, 500);
  kernel.Pause(p, 300);  // shorter: the first pause still holds until 500
  kernel.RunUntil(499);
  EXPECT_EQ(count, 0);
  kernel.RunUntil(500);
  EXPECT_EQ(seen, (std::vector<TimeUs>{500}));
  kernel.Pause(p, 2'000);
  kernel.Crash(p);  // killed while frozen: gone, not frozen
  EXPECT_FALSE(kernel.IsPaused(p));
  kernel.Restart(p);
  kernel.Spawn(p, Counter(kernel, count, seen, 100, 1));
  kernel.RunUntil(700);
  EXPECT_EQ(seen, (std::vector<TimeUs>{500, 600}));  // the new incarnation ran at once
  EXPECT_EQ(count, 1);                               // a crash lost the old frame's count
  EXPECT_EQ(kernel.PauseCount(p), 3u);
}

TEST(KernelPause, PauseRecordsItsEndInTheTrace) {
  Kernel kernel;
  ProcessId p = kernel.AddProcess("worker");
  kernel.RunUntil(10);
  kernel.Pause(p, 25 * kMinuteUs);
  ASSERT_EQ(kernel.trace().size(), 1u);
  const TraceRecord& record = kernel.trace().at(0);
  EXPECT_EQ(kernel.trace().NameOf(record.action), "process.pause");
  EXPECT_EQ(record.process, p);
  EXPECT_EQ(kernel.trace().DetailOf(record), fmt::format("until_us={}", 25 * kMinuteUs));
}

// A poller that takes the work a producer leaves, every `period_us`: with Sleep, or with
// SleepPolling, which leaves it asleep while there is nothing to take.
struct PollWorld {
  bool work = false;
  int resumed = 0;  // steps of the poller's own frame
  std::vector<std::string> log;
};

Task<void> Poller(Kernel& kernel, PollWorld& world, DurationUs period_us, bool in_kernel) {
  const std::function<bool()> finds_nothing = [&world] { return !world.work; };
  for (;;) {
    ++world.resumed;
    if (world.work) {
      world.work = false;
      world.log.push_back(fmt::format("took@{}", kernel.now()));
    }
    if (in_kernel) {
      co_await kernel.SleepPolling(period_us, &finds_nothing);
    } else {
      co_await kernel.Sleep(period_us);
    }
  }
}

Task<void> Producer(Kernel& kernel, PollWorld& world, std::vector<TimeUs> at) {
  for (TimeUs t : at) {
    co_await kernel.SleepUntil(t);
    world.work = true;
    world.log.push_back(fmt::format("made@{}", kernel.now()));
  }
}

struct PollRun {
  PollWorld world;
  std::uint64_t dispatches = 0;
  std::vector<TimeUs> steps;  // the time after each RunOne
};

PollRun RunPoller(bool in_kernel) {
  PollRun run;
  Kernel kernel;
  ProcessId poller = kernel.AddProcess("poller");
  ProcessId producer = kernel.AddProcess("producer");
  ProcessId ticker = kernel.AddProcess("ticker");
  std::vector<std::string> ticks;
  kernel.Spawn(poller, Poller(kernel, run.world, 10, in_kernel));
  // At 30 and 70 the producer's wake-up and the poller's fall together; 35 falls between polls.
  kernel.Spawn(producer, Producer(kernel, run.world, {30, 35, 70, 500}));
  kernel.Spawn(ticker, Ticker(kernel, ticks, "t", 20, 30));
  while (kernel.RunOne(200)) run.steps.push_back(kernel.now());
  kernel.Pause(poller, 450);  // from 200 to 450: the polls due meanwhile wait, then run in order
  kernel.RunUntil(1'000);
  kernel.Crash(poller);  // its sleeping frame is destroyed, its pending poll dropped
  kernel.RunUntil(2'000);
  run.dispatches = kernel.dispatches();
  EXPECT_EQ(ticks.size(), 30u);
  return run;
}

TEST(KernelPolling, SleepPollingRunsAsASleepLoopWithoutResumingIdlePolls) {
  const PollRun slept = RunPoller(false);
  const PollRun polled = RunPoller(true);
  // The same steps at the same times in the same order, the same dispatch count.
  EXPECT_EQ(polled.world.log, slept.world.log);
  EXPECT_EQ(polled.world.log,
            (std::vector<std::string>{"made@30", "took@30", "made@35", "took@40", "made@70",
                                      "took@70", "made@500", "took@500"}));
  EXPECT_EQ(polled.dispatches, slept.dispatches);
  // Between the polls that find work, RunOne may return once for several idle polls; every step
  // the sleep loop saw at a time is seen at that time or passed over idle.
  EXPECT_LE(polled.steps.size(), slept.steps.size());
  // The poller's frame ran 77 times with Sleep (its start, polls 10..200, the held one at 450,
  // polls 460..1000), 1 + 4 with SleepPolling (its start and the 4 polls that found work). At 30,
  // 70 and 500 the producer's wake-up was queued first, so the poll at that time finds work.
  EXPECT_EQ(slept.world.resumed, 1 + 20 + 1 + 55);
  EXPECT_EQ(polled.world.resumed, 1 + 4);
}

// Several pollers, each with work that falls due at a time (so a poll knows until when it finds
// nothing), polling at periods whose polls fall together (A and B always, C and D with them now
// and then), beside a ticker in the main heap. Where polls fall together the sequence numbers
// decide who goes first, and the log shows it.
struct DuePoller {
  std::string name;
  DurationUs offset_us = 0;
  DurationUs period_us = 0;
  TimeUs due_at = std::numeric_limits<TimeUs>::max();  // the poller's work falls due then
  int resumed = 0;
  int asked = 0;  // finds_nothing asked
};

enum class PollMode { kSleep, kPoll, kPollBounded };

Task<void> RunDuePoller(Kernel& kernel, DuePoller& poller, PollMode mode,
                        std::vector<std::string>& log) {
  const std::function<bool()> finds_nothing = [&] {
    ++poller.asked;
    return kernel.now() < poller.due_at;
  };
  const std::function<TimeUs()> idle_until = [&] { return poller.due_at; };
  co_await kernel.Sleep(poller.offset_us);
  for (;;) {
    ++poller.resumed;
    if (kernel.now() >= poller.due_at) {
      poller.due_at = std::numeric_limits<TimeUs>::max();
      log.push_back(fmt::format("{} took@{}", poller.name, kernel.now()));
    }
    if (mode == PollMode::kSleep) {
      co_await kernel.Sleep(poller.period_us);
    } else {
      co_await kernel.SleepPolling(poller.period_us, &finds_nothing,
                                   mode == PollMode::kPollBounded ? &idle_until : nullptr);
    }
  }
}

struct Making {
  TimeUs at_us;
  std::size_t poller;
  DurationUs due_after_us;
};

Task<void> MakeWork(Kernel& kernel, std::vector<DuePoller>& pollers, std::vector<Making> plan,
                    std::vector<std::string>& log) {
  for (const Making& making : plan) {
    co_await kernel.SleepUntil(making.at_us);
    DuePoller& poller = pollers[making.poller];
    poller.due_at = std::min(poller.due_at, kernel.now() + making.due_after_us);
    log.push_back(fmt::format("made@{} for {} due@{}", kernel.now(), poller.name, poller.due_at));
  }
}

struct DuePollRun {
  std::vector<std::string> log;
  std::vector<int> resumed;
  std::uint64_t dispatches = 0;
  std::uint64_t sequenced = 0;
  int asked = 0;  // polls asked finds_nothing, every poller
};

DuePollRun RunDuePollers(PollMode mode) {
  DuePollRun run;
  std::vector<DuePoller> pollers = {
      {"A", 0, 10}, {"B", 0, 10}, {"C", 5, 25}, {"D", 3, 7}, {"E", 30, 10}};
  Kernel kernel;
  std::vector<ProcessId> processes;
  for (const DuePoller& poller : pollers) processes.push_back(kernel.AddProcess(poller.name));
  for (std::size_t i = 0; i < pollers.size(); ++i) {
    kernel.Spawn(processes[i], RunDuePoller(kernel, pollers[i], mode, run.log));
  }
  ProcessId producer = kernel.AddProcess("producer");
  kernel.Spawn(producer, MakeWork(kernel, pollers,
                                  {{30, 0, 0},
                                   {35, 2, 20},
                                   {70, 1, 3},
                                   {70, 4, 0},
                                   {333, 3, 50},
                                   {500, 0, 0},
                                   {500, 1, 0},
                                   {640, 2, 115},
                                   {1'200, 4, 1}},
                                  run.log));
  ProcessId ticker = kernel.AddProcess("ticker");
  std::vector<std::string> ticks;
  kernel.Spawn(ticker, Ticker(kernel, ticks, "t", 45, 30));
  for (int i = 0; i < 10'000 && kernel.RunOne(200); ++i) {
  }
  kernel.Pause(processes[2], 450);  // C's polls due meanwhile wait, then run in order
  kernel.RunUntil(1'000);
  kernel.Crash(processes[3]);  // D's pending poll is dropped
  kernel.RunUntil(3'000);
  EXPECT_EQ(ticks.size(), 30u);
  run.dispatches = kernel.dispatches();
  run.sequenced = kernel.sequenced();
  for (const DuePoller& poller : pollers) {
    run.resumed.push_back(poller.resumed);
    run.asked += poller.asked;
  }
  return run;
}

TEST(KernelPolling, IdlePollsPassedOverAtOnceLeaveTheOrderOfOnePollAfterAnother) {
  const DuePollRun slept = RunDuePollers(PollMode::kSleep);
  const DuePollRun polled = RunDuePollers(PollMode::kPoll);
  const DuePollRun bounded = RunDuePollers(PollMode::kPollBounded);
  // The same steps in the same order (ties between pollers included), the same dispatches and
  // the same sequence numbers taken.
  EXPECT_EQ(polled.log, slept.log);
  EXPECT_EQ(bounded.log, slept.log);
  EXPECT_EQ(polled.dispatches, slept.dispatches);
  EXPECT_EQ(bounded.dispatches, slept.dispatches);
  EXPECT_EQ(polled.sequenced, slept.sequenced);
  EXPECT_EQ(bounded.sequenced, slept.sequenced);
  EXPECT_EQ(bounded.resumed, polled.resumed);
  // E's first poll, at 30, was queued at 0, before A's and B's polls at 30 (queued at 20): where
  // they poll together E goes first, so at 80 E takes its work before B. At 500 A takes its
  // work as soon as it is made; B had polled at 500 before its work was made, and takes it at 510.
  const auto at = [&](std::string_view line) {
    const auto found = std::find(slept.log.begin(), slept.log.end(), line);
    EXPECT_NE(found, slept.log.end()) << line;
    return found - slept.log.begin();
  };
  EXPECT_EQ(at("made@30 for A due@30") + 1, at("A took@30"));
  EXPECT_LT(at("E took@80"), at("B took@80"));
  EXPECT_LT(at("A took@500"), at("made@500 for B due@500"));
  EXPECT_LT(at("made@500 for B due@500"), at("B took@510"));
  EXPECT_LT(at("D took@388"), at("C took@775"));  // C's poll at 775 came after its pause
  // Bounded, the kernel asked 27 polls whether they find nothing, against 1158 poll by poll.
  EXPECT_EQ(polled.asked, 1158);
  EXPECT_EQ(bounded.asked, 27);
}

TEST(Trace, DetailsAcrossChunkBoundariesReadBackWhole) {
  // Details are packed in 2 MiB chunks and never straddle two: 5 MiB of details of varied sizes,
  // and empty ones between, all read back as recorded.
  Trace trace;
  const NameId action = trace.Intern("a");
  const NameId outcome = trace.Intern("ok");
  std::vector<std::string> details;
  std::size_t bytes = 0;
  for (std::size_t i = 0; bytes < 5 * (std::size_t{1} << 20); ++i) {
    std::string detail =
        i % 7 == 0 ? "" : std::string(1 + (i * 7919) % 5000, static_cast<char>('a' + i % 26));
    bytes += detail.size();
    trace.Record(static_cast<TimeUs>(i), 0, action, outcome, detail);
    details.push_back(std::move(detail));
  }
  ASSERT_EQ(trace.size(), details.size());
  for (std::size_t i = 0; i < details.size(); ++i) {
    ASSERT_EQ(trace.DetailOf(trace.at(i)), details[i]) << "record " << i;
  }
  // Three chunks of details (the third begun) and one of records; the details written end in the
  // third chunk.
  EXPECT_EQ(trace.BytesReserved(), 4 * (std::size_t{1} << 21));
  EXPECT_GT(trace.BytesWritten(), details.size() * 24 + 4 * (std::size_t{1} << 20));
  EXPECT_LT(trace.BytesWritten(), details.size() * 24 + 6 * (std::size_t{1} << 20));
}

TEST(Trace, RecordsAcrossChunkBoundariesReadBackWhole) {
  // A chunk holds 87381 records of 24 bytes: 200000 records fill two and begin a third.
  Trace trace;
  const NameId action = trace.Intern("a");
  const NameId outcome = trace.Intern("ok");
  constexpr std::size_t kRecords = 200'000;
  for (std::size_t i = 0; i < kRecords; ++i) {
    trace.Record(static_cast<TimeUs>(i), static_cast<std::uint32_t>(i % 5), action, outcome,
                 i % 3 == 0 ? std::string_view{} : std::string_view{"d"});
  }
  ASSERT_EQ(trace.size(), kRecords);
  for (std::size_t i = 0; i < kRecords; ++i) {
    const TraceRecord& record = trace.at(i);
    ASSERT_EQ(record.time_us, static_cast<TimeUs>(i)) << "record " << i;
    ASSERT_EQ(record.process, i % 5) << "record " << i;
    ASSERT_EQ(trace.DetailOf(record), i % 3 == 0 ? "" : "d") << "record " << i;
  }
  // Three chunks of records, one of details (133333 bytes).
  EXPECT_EQ(trace.BytesReserved(), 4 * (std::size_t{1} << 21));
  EXPECT_EQ(trace.BytesWritten(), kRecords * 24 + 133'333);
}

// Chunks go back to a pool when a trace ends and are handed to the next traces: a trace reads only
// what it wrote, and two traces alive at once never share a chunk.
TEST(Trace, TracesThatReuseChunksReadOnlyTheirOwnRecords) {
  constexpr std::size_t kRecords = 100'000;  // more than a chunk of records
  {
    Trace before;
    const NameId action = before.Intern("a");
    for (std::size_t i = 0; i < kRecords; ++i) {
      before.Record(static_cast<TimeUs>(1'000'000 + i), 7, action, action, "stale detail");
    }
  }
  Trace first;
  Trace second;
  const NameId a = first.Intern("a");
  const NameId b = second.Intern("b");
  for (std::size_t i = 0; i < kRecords; ++i) {
    first.Record(static_cast<TimeUs>(i), 1, a, a, i % 2 == 0 ? "first" : "");
    second.Record(static_cast<TimeUs>(2 * i), 2, b, b, "second");
  }
  for (std::size_t i = 0; i < kRecords; ++i) {
    ASSERT_EQ(first.at(i).time_us, static_cast<TimeUs>(i)) << "record " << i;
    ASSERT_EQ(first.at(i).process, 1u) << "record " << i;
    ASSERT_EQ(first.DetailOf(first.at(i)), i % 2 == 0 ? "first" : "") << "record " << i;
    ASSERT_EQ(second.at(i).time_us, static_cast<TimeUs>(2 * i)) << "record " << i;
    ASSERT_EQ(second.DetailOf(second.at(i)), "second") << "record " << i;
  }
}

}  // namespace
}  // namespace csim::sim
