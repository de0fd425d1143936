#include "sim/faults.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace csim::sim {
namespace {

// A port call whose effect counts how often it ran.
Task<Status> Effect(int& applied) {
  ++applied;
  co_return Status::Ok();
}

// `calls` calls of `point`, one after another, each outcome code kept.
Task<void> CallMany(FaultLayer& layer, FaultPoint* point, int calls, int& applied,
                    std::vector<Code>& codes) {
  for (int i = 0; i < calls; ++i) {
    Status status = co_await layer.Call<Status>(
        point, [&] { return Effect(applied); }, "");
    codes.push_back(status.code());
  }
}

struct Harness {
  Kernel kernel;
  ProcessId worker = kernel.AddProcess("worker");
  ProcessId other = kernel.AddProcess("other");
  int applied = 0;
  std::vector<Code> codes;
};

TEST(FaultLayer, OutageWindowFailsEveryCallOfItsPortAndNoOther) {
  Harness h;
  FaultPlan plan;
  plan.windows.push_back({"payment.", WindowKind::kOutage, 0, 100 * kMillisecondUs});
  FaultLayer layer(h.kernel, Rng(1), plan);
  FaultPoint* authorize = layer.Point("payment.authorize");
  FaultPoint* reserve = layer.Point("warehouse.reserve");
  int reserved = 0;
  std::vector<Code> reserve_codes;
  // Calls take 2-10 ms: the first ten or so fall inside the window, the rest after it.
  h.kernel.Spawn(h.worker, CallMany(layer, authorize, 60, h.applied, h.codes));
  h.kernel.Spawn(h.other, CallMany(layer, reserve, 10, reserved, reserve_codes));
  h.kernel.RunUntil(kHourUs);
  ASSERT_EQ(h.codes.size(), 60u);
  const auto failed = std::count(h.codes.begin(), h.codes.end(), Code::kUnavailable);
  EXPECT_GT(failed, 5);
  EXPECT_LT(failed, 60);
  EXPECT_EQ(h.applied, 60 - failed);  // a call failed by an outage had no effect
  // Failures come first, then only successes: the window closed.
  const auto first_ok = std::find(h.codes.begin(), h.codes.end(), Code::kOk);
  EXPECT_EQ(std::count(first_ok, h.codes.end(), Code::kUnavailable), 0);
  EXPECT_EQ(reserved, 10);
  EXPECT_EQ(authorize->in_window, static_cast<std::uint64_t>(failed));
  EXPECT_EQ(reserve->in_window, 0u);
}

TEST(FaultLayer, SlowWindowPastTheDeadlineAppliesTheEffectAndTimesOut) {
  Harness h;
  FaultPlan plan;
  FaultWindow slow{"locks.acquire", WindowKind::kSlow, 0, kHourUs};
  slow.extra_latency_us = 2 * kCallDeadlineUs;
  plan.windows.push_back(slow);
  FaultLayer layer(h.kernel, Rng(2), plan);
  h.kernel.Spawn(h.worker, CallMany(layer, layer.Point("locks.acquire"), 3, h.applied, h.codes));
  h.kernel.RunUntil(2 * kHourUs);
  EXPECT_EQ(h.codes, (std::vector<Code>{Code::kTimeout, Code::kTimeout, Code::kTimeout}));
  EXPECT_EQ(h.applied, 3);
  EXPECT_EQ(layer.points().at("locks.acquire").fired_after, 3u);
}

// A hang (a service that takes connections and answers nothing): every call waits out the
// caller's deadline and times out, and none took effect; after the window, calls go through.
TEST(FaultLayer, HangWindowTimesOutAtTheDeadlineWithoutTheEffect) {
  Harness h;
  FaultPlan plan;
  plan.windows.push_back({"warehouse.", WindowKind::kHang, 0, 25 * kSecondUs});
  FaultLayer layer(h.kernel, Rng(4), plan);
  FaultPoint* reserve = layer.Point("warehouse.reserve");
  h.kernel.Spawn(h.worker, CallMany(layer, reserve, 4, h.applied, h.codes));
  h.kernel.RunUntil(kHourUs);
  // Calls at about 0 s, 10 s and 20 s hang for 10 s each; the one at about 30 s is answered.
  EXPECT_EQ(h.codes,
            (std::vector<Code>{Code::kTimeout, Code::kTimeout, Code::kTimeout, Code::kOk}));
  EXPECT_EQ(h.applied, 1);
  EXPECT_EQ(reserve->in_window, 3u);
  EXPECT_EQ(reserve->fired_before, 3u);
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, kHourUs), 25 * kSecondUs);
}

// A hang inside a slow period (the swarm's warehouse on a bad day): a call that meets both windows
// counts once in in_window, so in_window never exceeds the calls reached.
TEST(FaultLayer, ACallInOverlappingWindowsCountsOnceInWindow) {
  Harness h;
  FaultPlan plan;
  FaultWindow slow{"warehouse.", WindowKind::kSlow, 0, 60 * kSecondUs};
  slow.extra_latency_us = 2 * kSecondUs;
  plan.windows.push_back(slow);
  plan.windows.push_back({"warehouse.", WindowKind::kHang, 0, 25 * kSecondUs});
  FaultLayer layer(h.kernel, Rng(5), plan);
  FaultPoint* reserve = layer.Point("warehouse.reserve");
  h.kernel.Spawn(h.worker, CallMany(layer, reserve, 8, h.applied, h.codes));
  h.kernel.RunUntil(kHourUs);
  // Calls at about 0, 10 and 20 s meet both windows and hang; the next ones, 2 s slow, meet the
  // slow window only until 60 s: 30, 32, ... 40 s.
  ASSERT_EQ(h.codes.size(), 8u);
  EXPECT_EQ(std::count(h.codes.begin(), h.codes.end(), Code::kTimeout), 3);
  EXPECT_EQ(h.applied, 5);
  EXPECT_EQ(reserve->reached, 8u);
  EXPECT_EQ(reserve->in_window, 8u);
  EXPECT_EQ(reserve->fired_before, 3u);
}

TEST(FaultLayer, DisturbedTimeIsTheUnionOfTheWindowsOnThePortsAsked) {
  Harness h;
  FaultPlan plan;
  // warehouse 10-40 s, every port 30-50 s (overlapping), checkout_db 100-130 s, payment 60-90 s.
  plan.windows.push_back({"warehouse.", WindowKind::kOutage, 10 * kSecondUs, 40 * kSecondUs});
  plan.windows.push_back({"*", WindowKind::kBurst, 30 * kSecondUs, 50 * kSecondUs, 500'000});
  plan.windows.push_back(
      {"checkout_db.commit", WindowKind::kOutage, 100 * kSecondUs, 130 * kSecondUs});
  plan.windows.push_back({"payment.", WindowKind::kOutage, 60 * kSecondUs, 90 * kSecondUs});
  FaultLayer layer(h.kernel, Rng(3), plan);
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, 200 * kSecondUs), 40 * kSecondUs);
  EXPECT_EQ(layer.DisturbedTime({"warehouse.", "checkout_db."}, 0, 200 * kSecondUs),
            70 * kSecondUs);
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 20 * kSecondUs, 35 * kSecondUs), 15 * kSecondUs);
  EXPECT_EQ(layer.DisturbedTime({"loyalty."}, 0, 200 * kSecondUs), 20 * kSecondUs);
  // 5 s undisturbed from 0 on the warehouse: 0-10 s is free, so 5 s; from 8 s: 8-10, then 50-53.
  EXPECT_EQ(layer.UndisturbedDeadline({"warehouse."}, 0, 5 * kSecondUs), 5 * kSecondUs);
  EXPECT_EQ(layer.UndisturbedDeadline({"warehouse."}, 8 * kSecondUs, 5 * kSecondUs),
            53 * kSecondUs);
  // 10 s from 0 end where the warehouse window begins: the deadline moves past the window.
  EXPECT_EQ(layer.UndisturbedDeadline({"warehouse."}, 0, 10 * kSecondUs), 50 * kSecondUs);
  // Switched off at 110 s: the checkout_db window counts only up to then.
  h.kernel.RunUntil(110 * kSecondUs);
  layer.Quiesce();
  EXPECT_EQ(layer.DisturbedTime({"checkout_db."}, 0, 200 * kSecondUs), 30 * kSecondUs);
}

TEST(FaultLayer, TriggerFailsExactlyTheNthCall) {
  Harness h;
  FaultPlan plan;
  plan.triggers.push_back({"warehouse.release", 3, FaultKind::kFailBefore});
  plan.triggers.push_back({"warehouse.release", 5, FaultKind::kFailAfter});
  FaultLayer layer(h.kernel, Rng(3), plan);
  h.kernel.Spawn(h.worker,
                 CallMany(layer, layer.Point("warehouse.release"), 6, h.applied, h.codes));
  h.kernel.RunUntil(kHourUs);
  EXPECT_EQ(h.codes, (std::vector<Code>{Code::kOk, Code::kOk, Code::kUnavailable, Code::kOk,
                                        Code::kTimeout, Code::kOk}));
  EXPECT_EQ(h.applied, 5);  // the third never took effect; the fifth did, unheard
}

TEST(FaultLayer, CrashTriggerKillsTheCallerOnlyWhereThePolicyAllows) {
  for (bool crashable : {true, false}) {
    Harness h;
    FaultPlan plan;
    plan.triggers.push_back({"order_db.commit", 2, FaultKind::kCrashAfter});
    FaultLayer layer(h.kernel, Rng(4), plan);
    std::vector<ProcessId> crashed;
    layer.SetCrashPolicy([&](ProcessId) { return crashable; },
                         [&](ProcessId p) { crashed.push_back(p); });
    h.kernel.Spawn(h.worker,
                   CallMany(layer, layer.Point("order_db.commit"), 4, h.applied, h.codes));
    h.kernel.RunUntil(kHourUs);
    if (crashable) {
      // The second commit applied, then its caller died: nothing after it ran.
      EXPECT_EQ(h.applied, 2);
      EXPECT_EQ(h.codes, (std::vector<Code>{Code::kOk}));
      EXPECT_EQ(crashed, (std::vector<ProcessId>{h.worker}));
      EXPECT_FALSE(h.kernel.IsUp(h.worker));
      EXPECT_EQ(layer.points().at("order_db.commit").crashed, 1u);
    } else {
      // Not crashable: the crash becomes the timeout it looks like from outside.
      EXPECT_EQ(h.applied, 4);
      EXPECT_EQ(h.codes, (std::vector<Code>{Code::kOk, Code::kTimeout, Code::kOk, Code::kOk}));
      EXPECT_TRUE(crashed.empty());
      EXPECT_TRUE(h.kernel.IsUp(h.worker));
    }
  }
}

// Two processes, each crashed (after the effect) at its first call of a port: the worker at the
// warehouse's release, the other at the bus's publish; the supervisor restarts each 40 s later.
class CrashAtAPortTest : public ::testing::Test {
 protected:
  static constexpr DurationUs kDownUs = 40 * kSecondUs;
  static FaultPlan Plan() {
    FaultPlan plan;
    plan.triggers.push_back({"warehouse.release", 1, FaultKind::kCrashAfter});
    plan.triggers.push_back({"bus.publish", 1, FaultKind::kCrashAfter});
    return plan;
  }
  CrashAtAPortTest() {
    layer.SetCrashPolicy([](ProcessId) { return true; },
                         [this](ProcessId p) { layer.RecordRestart(p, h.kernel.now() + kDownUs); });
    h.kernel.Spawn(h.worker,
                   CallMany(layer, layer.Point("warehouse.release"), 3, h.applied, h.codes));
    h.kernel.Spawn(h.other, CallMany(layer, layer.Point("bus.publish"), 3, h.applied, other_codes));
    h.kernel.RunUntil(kMinuteUs);
  }
  Harness h;
  FaultLayer layer{h.kernel, Rng(5), Plan()};
  std::vector<Code> other_codes;
};

// A crash injected at a call of a port keeps that port's caller from it until the restart: for
// DisturbedTime the process is down like a paused one, but only for the port it crashed at: a
// crash at the bus disturbs no warehouse caller, and a restart the layer did not inject a crash
// for (a crash loop's) records nothing.
TEST_F(CrashAtAPortTest, ACrashAtAPortsCallDisturbsThatPortUntilTheRestart) {
  ASSERT_FALSE(h.kernel.IsUp(h.worker));
  ASSERT_FALSE(h.kernel.IsUp(h.other));
  ASSERT_EQ(h.applied, 2) << "each process made one call, and died after its effect";
  layer.RecordRestart(h.other, 2 * kMinuteUs);  // not inside a crash: nothing recorded

  // The worker, down 40 s from its crash at the warehouse (in the first second).
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, 200 * kSecondUs, "worker"), kDownUs);
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, 200 * kSecondUs), 0) << "no service asked";
  EXPECT_EQ(layer.DisturbedTime({"checkout_db."}, 0, 200 * kSecondUs, "worker"), 0);
  EXPECT_EQ(layer.DisturbedTime({"checkout_db.", "warehouse."}, 0, 200 * kSecondUs, "worker"),
            kDownUs);
  const TimeUs deadline = layer.UndisturbedDeadline({"warehouse."}, 0, 5 * kMinuteUs, "worker");
  EXPECT_EQ(deadline, 5 * kMinuteUs + kDownUs) << "5 minutes up, and the 40 s down";
  // The other process crashed at the bus: its downtime is its own for every port.
  EXPECT_EQ(layer.DisturbedTime({"bus."}, 0, 200 * kSecondUs, "other"), kDownUs);
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, 200 * kSecondUs, "other"), 0);
}

// A crash the caller names (STOCK-NO-LEAK: one in the release's own work) keeps the
// process away until its first pass after the restart, which may come well after it; until that
// pass, away for good. Other crashes at the ports count until the restart, as before.
TEST_F(CrashAtAPortTest, ACrashTheCallerNamesDisturbsUntilTheFirstPassAfterTheRestart) {
  ASSERT_FALSE(h.kernel.IsUp(h.worker));
  ASSERT_EQ(h.applied, 2) << "each process made one call, and died after its effect";
  std::vector<FaultLayer::CrashAtCall> asked;
  const FaultLayer::AwayUntilPass named = [&](const FaultLayer::CrashAtCall& crash) {
    asked.push_back(crash);
    return true;
  };
  const FaultLayer::AwayUntilPass not_named = [](const FaultLayer::CrashAtCall&) { return false; };
  constexpr TimeUs kEndUs = 200 * kSecondUs;
  // Not back yet: away for good if named, 40 s if not.
  const DurationUs away_for_good = layer.DisturbedTime({"warehouse."}, 0, kEndUs, "worker", named);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].process, h.worker);
  EXPECT_EQ(asked[0].point, "warehouse.release");
  EXPECT_EQ(asked[0].detail, "") << "CallMany gives its calls no detail";
  const TimeUs crashed_at = asked[0].at_us;
  EXPECT_LE(asked[0].called_us, crashed_at);
  ASSERT_LT(crashed_at, kSecondUs) << "the crash came at the first call";
  EXPECT_EQ(away_for_good, kEndUs - crashed_at);
  EXPECT_EQ(layer.UndisturbedDeadline({"warehouse."}, 0, kSecondUs, "worker", named),
            std::numeric_limits<TimeUs>::max());
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, kEndUs, "worker", not_named), kDownUs);
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, kEndUs, "worker"), kDownUs);
  // Its supervisor brought it back at the restart; its first pass began at the minute (the clock
  // stands there: nothing runs in this harness), a late pass. Later passes change nothing.
  h.kernel.Restart(h.worker);
  layer.RecordPassStart(h.worker);
  layer.RecordPassStart(h.worker);
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, kEndUs, "worker", named),
            kMinuteUs - crashed_at);
  EXPECT_EQ(layer.UndisturbedDeadline({"warehouse."}, 0, 5 * kMinuteUs, "worker", named),
            5 * kMinuteUs + kMinuteUs - crashed_at);
  EXPECT_EQ(layer.DisturbedTime({"warehouse."}, 0, kEndUs, "worker", not_named), kDownUs);
  EXPECT_EQ(layer.DisturbedTime({"checkout_db."}, 0, kEndUs, "worker", named), 0)
      << "a crash at another port is the process's own";
}

// The stalls a trace shows: its freezes (`process.pause` records, as the kernel writes them when
// one begins, with the end in their detail), those less than a running gap apart chained into
// one stall from the first's start to the latest end.
struct Stalls {
  std::vector<std::pair<TimeUs, TimeUs>> spans;
  std::size_t freezes = 0;
};
Stalls StallsOf(const Trace& trace) {
  Stalls stalls;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceRecord& r = trace.at(i);
    if (trace.NameOf(r.action) != "process.pause") continue;
    ++stalls.freezes;
    const TimeUs until_us = std::stoll(std::string(trace.DetailOf(r)).substr(9));
    if (!stalls.spans.empty() && r.time_us <= stalls.spans.back().second + kPauseChainGapUs) {
      stalls.spans.back().second = std::max(stalls.spans.back().second, until_us);
    } else {
      stalls.spans.emplace_back(r.time_us, until_us);
    }
  }
  return stalls;
}

// Every business call stalls its caller: back-to-back stalls make one stall, which the model
// keeps within kPauseMaxUs (30 drawn pauses would otherwise add up to about an hour).
TEST(FaultLayer, BackToBackPausesMakeOneStallWithinThePauseBound) {
  Harness h;
  FaultPlan plan;
  plan.pauses.ppm = 1'000'000;
  plan.pauses.count_max = 30;
  FaultLayer layer(h.kernel, Rng(9), plan);
  layer.SetCrashPolicy([](ProcessId) { return true; }, [](ProcessId) {});
  FaultPoint* point = layer.Point("warehouse.reserve");
  h.kernel.Spawn(h.worker, CallMany(layer, point, 30, h.applied, h.codes));
  h.kernel.RunUntil(10 * kHourUs);
  EXPECT_EQ(h.applied, 30);
  ASSERT_GT(h.kernel.trace().size(), 0u);
  // The last call's record, written as it returned.
  const TimeUs done_us = h.kernel.trace().at(h.kernel.trace().size() - 1).time_us;
  EXPECT_GE(point->paused, 2u);
  // 30 calls of at most 10 ms of latency each, plus one stall of at most kPauseMaxUs.
  EXPECT_LE(done_us, kPauseMaxUs + 30 * 10 * kMillisecondUs);
  EXPECT_GT(done_us, kPauseMinUs);
}

// A stalling host (BadDay::kStallingHost): every business call of the host costs it the sluggish
// seconds, every call may stall it, and its stalls stay within the pause bound and the day's
// count; the other process runs at its usual speed and never stalls.
TEST(FaultLayer, AStallingHostRunsSluggishlyAndStallsWithinItsBounds) {
  Harness h;
  FaultLayer layer(h.kernel, Rng(11), FaultPlan{});
  layer.SetCrashPolicy([](ProcessId) { return true; }, [](ProcessId) {});
  BadDay day;
  day.kind = BadDayKind::kStallingHost;
  day.duration_us = 10 * kHourUs;
  day.sluggish_us = 10 * kSecondUs;
  day.stall_ppm = 1'000'000;
  day.stall_lead_us = 0;
  layer.SetStallingHost(h.worker, 0, day);
  int other_applied = 0;
  std::vector<Code> other_codes;
  h.kernel.Spawn(h.worker,
                 CallMany(layer, layer.Point("warehouse.reserve"), 40, h.applied, h.codes));
  h.kernel.Spawn(h.other,
                 CallMany(layer, layer.Point("payment.void"), 40, other_applied, other_codes));
  h.kernel.RunUntil(20 * kHourUs);
  EXPECT_EQ(h.applied, 40);
  EXPECT_EQ(other_applied, 40);
  EXPECT_EQ(h.kernel.PauseCount(h.other), 0u);
  // Freezes chain into stalls; a new stall begins only a running gap after the last one.
  const Trace& trace = h.kernel.trace();
  TimeUs other_done_us = 0, host_done_us = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceRecord& r = trace.at(i);
    if (r.process == h.other) other_done_us = r.time_us;
    if (r.process == h.worker && trace.NameOf(r.action) != "process.pause")
      host_done_us = r.time_us;
    if (trace.NameOf(r.action) == "process.pause") {
      ASSERT_EQ(r.process, h.worker);
    }
  }
  const Stalls stalls = StallsOf(trace);
  ASSERT_EQ(stalls.spans.size(), static_cast<std::size_t>(kHostStallsMax));
  for (const auto& [from_us, until_us] : stalls.spans) {
    EXPECT_GE(until_us - from_us, kHostStallMinUs);
    EXPECT_LE(until_us - from_us, kPauseMaxUs);
  }
  EXPECT_LT(other_done_us, 40 * 10 * kMillisecondUs);  // no CPU steal, no stall
  // 40 sluggish calls of 10 s, and the stalls, each begun a running gap after the last.
  EXPECT_GE(host_done_us, 40 * day.sluggish_us + kHostStallsMax * kHostStallMinUs);
  EXPECT_LE(host_done_us,
            40 * (day.sluggish_us + 10 * kMillisecondUs) + kHostStallsMax * kPauseMaxUs);
}

// A stalling host whose calls also draw pauses: at one call both may freeze it, and the later-drawn
// freeze can end first. The stall as a whole still stays within kPauseMaxUs (the chain was once
// followed back in draw order only, and three 20-minute stalls made one of 40 minutes: swarm seed
// 21733).
TEST(FaultLayer, OverlappingFreezesOfOneCallStayWithinThePauseBound) {
  Harness h;
  FaultPlan plan;
  plan.pauses.ppm = 1'000'000;
  plan.pauses.count_max = 30;
  FaultLayer layer(h.kernel, Rng(13), plan);
  layer.SetCrashPolicy([](ProcessId) { return true; }, [](ProcessId) {});
  BadDay day;
  day.kind = BadDayKind::kStallingHost;
  day.duration_us = 10 * kHourUs;
  day.sluggish_us = 10 * kSecondUs;  // a running gap after a stall takes a few calls
  day.stall_ppm = 1'000'000;
  layer.SetStallingHost(h.worker, 0, day);
  h.kernel.Spawn(h.worker,
                 CallMany(layer, layer.Point("warehouse.reserve"), 60, h.applied, h.codes));
  h.kernel.RunUntil(20 * kHourUs);
  EXPECT_EQ(h.applied, 60);
  const Stalls stalls = StallsOf(h.kernel.trace());
  EXPECT_GT(stalls.freezes, stalls.spans.size());  // some calls froze it twice
  ASSERT_GE(stalls.spans.size(), 2u);
  for (const auto& [from_us, until_us] : stalls.spans) EXPECT_LE(until_us - from_us, kPauseMaxUs);
}

TEST(FaultLayer, PollingPointsSpendNoCoins) {
  Harness h;
  FaultLayer layer(h.kernel, Rng(5), FaultPlan::FailBefore(1'000'000));
  FaultPoint* poll = layer.Point("order_db.outbox_due", true);
  FaultPoint* call = layer.Point("order_db.commit");
  EXPECT_EQ(poll->rule.fail_before_ppm, 0u);
  EXPECT_EQ(call->rule.fail_before_ppm, 1'000'000u);
  h.kernel.Spawn(h.worker, CallMany(layer, poll, 5, h.applied, h.codes));
  h.kernel.RunUntil(kHourUs);
  EXPECT_EQ(h.applied, 5);
  EXPECT_EQ(poll->fired_before, 0u);
}

// The bus's deliveries stop for an outage or a hang of the bus and come back when the last window
// that overlaps or touches it ends; a burst or a slow period lets some fetches through.
TEST(FaultLayer, DownUntilChainsOutagesAndIgnoresBurstsAndSlowness) {
  Harness h;
  FaultPlan plan;
  plan.windows.push_back({"bus.", WindowKind::kOutage, 10 * kMinuteUs, 20 * kMinuteUs});
  plan.windows.push_back({"*", WindowKind::kHang, 20 * kMinuteUs, 25 * kMinuteUs});
  plan.windows.push_back({"bus.", WindowKind::kOutage, 24 * kMinuteUs, 30 * kMinuteUs});
  plan.windows.push_back({"bus.", WindowKind::kBurst, 40 * kMinuteUs, 50 * kMinuteUs});
  plan.windows.back().fail_ppm = 900'000;
  plan.windows.push_back({"bus.", WindowKind::kSlow, 60 * kMinuteUs, 70 * kMinuteUs});
  plan.windows.back().extra_latency_us = kMinuteUs;
  plan.windows.push_back({"bus.publish", WindowKind::kOutage, 80 * kMinuteUs, 90 * kMinuteUs});
  FaultLayer layer(h.kernel, Rng(5), plan);
  std::map<std::int64_t, std::optional<TimeUs>> back_at_minute;
  for (const std::int64_t minute : {5, 10, 15, 22, 29, 30, 45, 65, 85}) {
    h.kernel.RunUntil(minute * kMinuteUs);
    back_at_minute[minute] = layer.DownUntil("bus.deliver");
  }
  EXPECT_EQ(back_at_minute[5], std::nullopt);
  EXPECT_EQ(back_at_minute[10], 30 * kMinuteUs);  // three windows in a row: back at the last's end
  EXPECT_EQ(back_at_minute[15], 30 * kMinuteUs);
  EXPECT_EQ(back_at_minute[22], 30 * kMinuteUs);
  EXPECT_EQ(back_at_minute[29], 30 * kMinuteUs);
  EXPECT_EQ(back_at_minute[30], std::nullopt);  // windows end before their until_us
  EXPECT_EQ(back_at_minute[45], std::nullopt);
  EXPECT_EQ(back_at_minute[65], std::nullopt);
  EXPECT_EQ(back_at_minute[85], std::nullopt);  // publishes are down, fetches are not
  EXPECT_EQ(layer.DownUntil("bus.publish"), 90 * kMinuteUs);
  layer.Quiesce();  // faults off: no window holds anything
  EXPECT_EQ(layer.DownUntil("bus.publish"), std::nullopt);
}

// A consumer's fetch from a slow bus comes the window's latency late; from a flaky one (a burst)
// it fails on about the window's share of fetches; outside the windows and once faults are off it
// comes when due.
TEST(FaultLayer, FetchesAreLateInSlowWindowsAndFailInBursts) {
  Harness h;
  FaultPlan plan;
  plan.windows.push_back({"bus.", WindowKind::kSlow, 10 * kMinuteUs, 20 * kMinuteUs});
  plan.windows.back().extra_latency_us = 40 * kSecondUs;
  plan.windows.push_back({"bus.", WindowKind::kBurst, 30 * kMinuteUs, 40 * kMinuteUs});
  plan.windows.back().fail_ppm = 500'000;
  plan.windows.push_back({"warehouse.", WindowKind::kSlow, 0, 50 * kMinuteUs});
  plan.windows.back().extra_latency_us = 50 * kSecondUs;
  FaultLayer layer(h.kernel, Rng(8), plan);
  FaultPoint* fetch = layer.Point("bus.fetch");
  struct Minute {
    std::int32_t failed = 0;
    DurationUs lag_us = 0;  // summed over the minute's fetches
  };
  std::map<std::int64_t, Minute> at_minute;
  constexpr std::int32_t kFetches = 400;
  for (const std::int64_t minute : {5, 15, 35, 45}) {
    h.kernel.RunUntil(minute * kMinuteUs);
    for (std::int32_t n = 0; n < kFetches; ++n) {
      const FaultLayer::Fetch got = layer.FetchAt(fetch);
      at_minute[minute].failed += got.failed;
      at_minute[minute].lag_us += got.lag_us;
    }
  }
  EXPECT_EQ(at_minute[5].failed, 0);  // only the warehouse is slow then
  EXPECT_EQ(at_minute[5].lag_us, 0);
  EXPECT_EQ(at_minute[15].failed, 0);
  EXPECT_EQ(at_minute[15].lag_us, kFetches * 40 * kSecondUs);
  EXPECT_EQ(at_minute[35].lag_us, 0);
  EXPECT_GT(at_minute[35].failed, kFetches * 4 / 10);  // half of them, give or take the coins
  EXPECT_LT(at_minute[35].failed, kFetches * 6 / 10);
  EXPECT_EQ(at_minute[45].failed, 0);
  EXPECT_EQ(fetch->reached, 4u * kFetches);
  EXPECT_EQ(fetch->in_window, 2u * kFetches);
  EXPECT_EQ(fetch->fired_before, static_cast<std::uint64_t>(at_minute[35].failed));
  // Faults off: the burst no longer fails anything, the slow period makes nothing late.
  Harness quiet;
  FaultLayer quiet_layer(quiet.kernel, Rng(8), plan);
  quiet_layer.Quiesce();
  FaultPoint* quiet_fetch = quiet_layer.Point("bus.fetch");
  std::int32_t failed_quiet = 0;
  DurationUs lag_quiet_us = 0;
  for (const std::int64_t minute : {15, 35}) {
    quiet.kernel.RunUntil(minute * kMinuteUs);
    for (std::int32_t n = 0; n < kFetches; ++n) {
      const FaultLayer::Fetch got = quiet_layer.FetchAt(quiet_fetch);
      failed_quiet += got.failed;
      lag_quiet_us += got.lag_us;
    }
  }
  EXPECT_EQ(failed_quiet, 0);
  EXPECT_EQ(lag_quiet_us, 0);
}

TEST(FaultLayer, NothingFiresOnceQuiet) {
  Harness h;
  FaultPlan plan = FaultPlan::FailBeforeAndAfter(500'000, 500'000);
  plan.windows.push_back({"*", WindowKind::kOutage, 0, 10 * kHourUs});
  FaultLayer layer(h.kernel, Rng(6), plan);
  layer.Quiesce();
  FaultPoint* point = layer.Point("bus.duplicate");
  h.kernel.Spawn(h.worker, CallMany(layer, layer.Point("payment.void"), 20, h.applied, h.codes));
  h.kernel.RunUntil(kHourUs);
  EXPECT_EQ(h.applied, 20);
  EXPECT_EQ(std::count(h.codes.begin(), h.codes.end(), Code::kOk), 20);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(layer.Fires(point));
  EXPECT_EQ(point->reached, 50u);
}

TEST(FaultPlan, SwarmRulesDependOnSeedAndNameOnly) {
  const FaultPlan a = FaultPlan::Swarm().ForSeed(11);
  const FaultPlan b = FaultPlan::Swarm().ForSeed(11);
  EXPECT_EQ(a, b);
  const std::vector<std::string> names = {"payment.authorize", "warehouse.reserve",
                                          "bus.publish",       "order_db.commit",
                                          "loyalty.redeem",    "locks.acquire"};
  // Asked in any order, a name gets the same rule.
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    EXPECT_EQ(a.RuleFor(*it), b.RuleFor(*it));
  }
  // Over many seeds, every kind is sometimes on and sometimes off, and rates differ.
  int before_on = 0, crash_on = 0, windows = 0;
  std::set<std::uint32_t> rates;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const FaultPlan plan = FaultPlan::Swarm().ForSeed(seed);
    const FaultRule rule = plan.RuleFor("payment.authorize");
    before_on += rule.fail_before_ppm > 0;
    crash_on += rule.crash_ppm > 0;
    windows += plan.random_windows.count;
    rates.insert(rule.fail_before_ppm);
    // Up to the coins' bounds, or a hot point's rate (SwarmHeatsAFewPointsPerSeed).
    EXPECT_TRUE(rule.fail_before_ppm <= 100'000u || rule.fail_before_ppm >= kHotRateMinPpm);
    EXPECT_TRUE(rule.crash_ppm <= 10'000u || rule.crash_ppm >= kHotRateMinPpm);
    EXPECT_LE(std::max(rule.fail_before_ppm, rule.crash_ppm), kHotRateMaxPpm);
  }
  EXPECT_GT(before_on, 40);
  EXPECT_LT(before_on, 180);
  EXPECT_GT(crash_on, 20);
  EXPECT_LT(crash_on, 160);
  EXPECT_GT(windows, 400);  // about 4 a seed
  EXPECT_GE(rates.size(), 5u);
}

// A hot point: on about 6 % of seeds a point fires one fault kind at 2 to 20 % of its calls,
// whether or not the seed's coins have that port on. Crash coins stop at 1 %, so a crash rate above
// that is a hot point's.
TEST(FaultPlan, SwarmHeatsAFewPointsPerSeed) {
  const std::vector<std::string> steps = {"loyalty.redeem", "promotions.claim", "order.create",
                                          "warehouse.reserve"};
  int hot_crash = 0, hot_crash_on_a_quiet_port = 0;
  std::set<std::uint32_t> rates;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    const FaultPlan plan = FaultPlan::Swarm().ForSeed(seed);
    for (const std::string& point : steps) {
      const FaultRule rule = plan.RuleFor(point);
      EXPECT_LE(std::max({rule.fail_before_ppm, rule.fail_after_ppm, rule.crash_ppm}),
                kHotRateMaxPpm)
          << seed << " " << point;
      if (rule.crash_ppm <= 10'000u) continue;
      ++hot_crash;
      rates.insert(rule.crash_ppm);
      EXPECT_GE(rule.crash_ppm, kHotRateMinPpm) << seed << " " << point;
      // One kind is hot; the others are the coins', which are all off on a quiet port.
      hot_crash_on_a_quiet_port += rule.fail_before_ppm == 0 && rule.fail_after_ppm == 0;
    }
  }
  // 8000 (seed, point) pairs, 6 % of them hot, a third of those crashing: about 160.
  EXPECT_GT(hot_crash, 110);
  EXPECT_LT(hot_crash, 210);
  EXPECT_GT(hot_crash_on_a_quiet_port, hot_crash / 10);  // ports are quiet on 30 % of seeds
  EXPECT_EQ(rates.size(), 4u);                           // 20 k, 50 k, 100 k and 200 k ppm
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    const FaultPlan plan = *FaultPlan::Named(name);
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
      EXPECT_LE(plan.ForSeed(seed).RuleFor("loyalty.redeem").crash_ppm, 2'000u) << name;
    }
  }
}

// Swarm's bad days: on about 40 % of seeds every drawn window is on one port, on about half a
// bank keeps 10 % to half of the payment outcomes waiting on the customer. The named plans keep an
// unfocused world and a normal day.
TEST(FaultPlan, SwarmDrawsAFocusedPortAndASlowBankOnSomeSeeds) {
  int focused = 0, slow = 0;
  std::set<std::string> ports;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const FaultPlan plan = FaultPlan::Swarm().ForSeed(seed);
    if (!plan.random_windows.focus.empty()) {
      ++focused;
      ports.insert(plan.random_windows.focus);
      EXPECT_NE(std::find(kWindowPorts.begin(), kWindowPorts.end(), plan.random_windows.focus),
                kWindowPorts.end());
    }
    const std::uint32_t approval = plan.slowness.customer_approval_ppm;
    if (approval != Slowness{}.customer_approval_ppm) {
      ++slow;
      EXPECT_GE(approval, 100'000u);
      EXPECT_LE(approval, 500'000u);
    }
    EXPECT_EQ(plan.slowness.late_webhook_ppm, 10'000u);
  }
  EXPECT_GT(focused, 50);
  EXPECT_LT(focused, 110);
  EXPECT_GE(ports.size(), 8u);
  EXPECT_GT(slow, 70);
  EXPECT_LT(slow, 130);
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    EXPECT_EQ(FaultPlan::Named(name)->ForSeed(7).random_windows.focus, "") << name;
    EXPECT_EQ(FaultPlan::Named(name)->ForSeed(7).slowness, Slowness{}) << name;
  }
}

// A swarm seed's plan without the fulfilment outage, which is drawn last and appended after every
// other window (SwarmTakesFulfilmentDownOnSomeSeeds): the tests of the windows drawn before it.
FaultPlan WithoutFulfillmentOutage(FaultPlan plan) {
  if (!plan.fulfillment_down) return plan;
  CSIM_CHECK(!plan.windows.empty() && plan.windows.back().points == "fulfillment.",
             "the fulfilment outage is the last window");
  plan.windows.pop_back();
  plan.fulfillment_down = false;
  return plan;
}

// Expects low <= value <= high.
template <class T, class U>
void Within(T value, U low, U high) {
  EXPECT_GE(value, static_cast<T>(low));
  EXPECT_LE(value, static_cast<T>(high));
}

// Swarm's bad day: on about 60 % of seeds one of four, each about as likely, with its figures
// within their bounds; a payment outage comes on a shop with a small batch and customers who never
// approve. The named plans have none.
TEST(FaultPlan, SwarmDrawsOneBadDayOnSomeSeeds) {
  std::map<BadDayKind, int> kinds;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const FaultPlan plan = FaultPlan::Swarm().ForSeed(seed);
    const BadDay& day = plan.bad_day;
    ++kinds[day.kind];
    switch (day.kind) {
      case BadDayKind::kNone:
        EXPECT_EQ(day, BadDay{});
        break;
      case BadDayKind::kPaymentOutage:
        Within(day.from_us, 10 * kMinuteUs, 20 * kMinuteUs);
        Within(day.duration_us, 30 * kMinuteUs, kHourUs);
        Within(plan.deployment.cron_batch_size, 2, 20);
        EXPECT_GE(plan.slowness.never_approves_ppm, 100'000u);
        EXPECT_GE(plan.slowness.customer_approval_ppm, 200'000u);
        break;
      case BadDayKind::kSlowWarehouse:
        Within(day.duration_us, 20 * kMinuteUs, 40 * kMinuteUs);
        Within(day.extra_latency_us, 15 * kSecondUs, kMinuteUs);
        break;
      case BadDayKind::kBrokerOutage:
        Within(day.duration_us, 20 * kMinuteUs, kHourUs);
        break;
      case BadDayKind::kStallingHost:
        EXPECT_LE(day.from_us, 8 * kMinuteUs);
        Within(day.sluggish_us, 10 * kSecondUs, 20 * kSecondUs);
        Within(day.warehouse_fail_ppm, 100'000u, 300'000u);
        Within(day.stall_ppm, 100'000u, 500'000u);
        Within(day.stall_lead_us, kMinuteUs, 5 * kMinuteUs);
        EXPECT_EQ(plan.deployment.checkout_api_replicas, kReplicasMax);  // one host of two
        break;
    }
  }
  EXPECT_GT(kinds[BadDayKind::kNone], 130);
  EXPECT_LT(kinds[BadDayKind::kNone], 190);
  for (BadDayKind kind : {BadDayKind::kPaymentOutage, BadDayKind::kSlowWarehouse,
                          BadDayKind::kBrokerOutage, BadDayKind::kStallingHost}) {
    EXPECT_GT(kinds[kind], 35) << Name(kind);
    EXPECT_LT(kinds[kind], 85) << Name(kind);
  }
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    EXPECT_EQ(FaultPlan::Named(name)->ForSeed(7).bad_day, BadDay{}) << name;
  }
}

// On about half of the slow-warehouse bad days (a stream of its own, drawn last) the warehouse
// hangs in the middle of its slow period: from 2 to 6 minutes after it began until 2 to 8 minutes
// before it ends. No other seed has a hang, and the bad days themselves are drawn as before.
TEST(FaultPlan, SwarmHangsTheWarehouseOnHalfOfItsSlowDays) {
  int slow_days = 0, hangs = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const FaultPlan plan = FaultPlan::Swarm().ForSeed(seed);
    const BadDay& day = plan.bad_day;
    const auto hang =
        std::find_if(plan.windows.begin(), plan.windows.end(),
                     [](const FaultWindow& w) { return w.kind == WindowKind::kHang; });
    if (day.kind != BadDayKind::kSlowWarehouse) {
      EXPECT_EQ(hang, plan.windows.end()) << "seed " << seed;
      continue;
    }
    ++slow_days;
    if (hang == plan.windows.end()) continue;
    ++hangs;
    EXPECT_EQ(hang->points, "warehouse.");
    Within(hang->from_us - day.from_us, 2 * kMinuteUs, 6 * kMinuteUs);
    Within(day.from_us + day.duration_us - hang->until_us, 2 * kMinuteUs, 8 * kMinuteUs);
    EXPECT_GE(hang->until_us - hang->from_us, 6 * kMinuteUs);
  }
  EXPECT_GT(slow_days, 35);
  EXPECT_GT(hangs, slow_days / 4);
  EXPECT_LT(hangs, slow_days * 3 / 4);
}

// Swarm's campaign and slow dependency, each on a stream of its own: a campaign of 1 to 5 uses
// mailed to 30 to 70 % of the customers on about 30 % of seeds; on about half of the seeds without
// a bad day (20 % of all), one slow window past the callers' deadline on the payment provider, the
// order service, the warehouse or the order database, 10 to 40 minutes from 2 to 10 minutes on.
// The bad days are drawn as before, and the named plans have neither.
TEST(FaultPlan, SwarmDrawsACampaignAndASlowDependencyOnSomeSeeds) {
  int campaigns = 0, slow_days = 0;
  std::set<std::string> ports;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const FaultPlan plan = WithoutFulfillmentOutage(FaultPlan::Swarm().ForSeed(seed));
    if (plan.campaign.uses > 0) {
      ++campaigns;
      Within(plan.campaign.uses, std::int64_t{1}, std::int64_t{5});
      Within(plan.campaign.share_ppm, 300'000u, 700'000u);
    } else {
      EXPECT_EQ(plan.campaign, PromoCampaign{});
    }
    // An incident's windows are the plan's too (SwarmDrawsAnIncident...).
    if (plan.incident != IncidentKind::kNone) continue;
    // A slow-warehouse day's hang is the plan's window too (SwarmHangsTheWarehouse...).
    const bool hang_only =
        plan.windows.size() == 1 && plan.windows.front().kind == WindowKind::kHang;
    if (plan.windows.empty() || hang_only) continue;
    ++slow_days;
    ASSERT_EQ(plan.windows.size(), 1u);
    EXPECT_EQ(plan.bad_day.kind, BadDayKind::kNone) << "seed " << seed;
    const FaultWindow& window = plan.windows.front();
    ports.insert(window.points);
    EXPECT_EQ(window.kind, WindowKind::kSlow);
    Within(window.from_us, 2 * kMinuteUs, 10 * kMinuteUs);
    Within(window.until_us - window.from_us, 10 * kMinuteUs, 40 * kMinuteUs);
    Within(window.extra_latency_us, 15 * kSecondUs, kMinuteUs);
  }
  EXPECT_GT(campaigns, 80);
  EXPECT_LT(campaigns, 160);
  EXPECT_GT(slow_days, 50);
  EXPECT_LT(slow_days, 115);
  EXPECT_EQ(ports, (std::set<std::string>{"payment.", "order.", "warehouse.", "order_db."}));
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    const FaultPlan plan = FaultPlan::Named(name)->ForSeed(7);
    EXPECT_EQ(plan.campaign, PromoCampaign{}) << name;
    EXPECT_TRUE(plan.windows.empty()) << name;
  }
}

// Swarm's flash sale, on a stream of its own: on about 30 % of seeds a sale mailed to 30 to 70 % of
// the customers without a code, ending 2 to 10 minutes in, with no effect on the campaign drawn
// before it. The named plans have none.
TEST(FaultPlan, SwarmDrawsAFlashSaleOnSomeSeeds) {
  int sales = 0, with_campaign = 0;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    const FaultPlan plan = FaultPlan::Swarm().ForSeed(seed);
    if (plan.sale.ends_at_us == 0) {
      EXPECT_EQ(plan.sale, FlashSale{}) << "seed " << seed;
      continue;
    }
    ++sales;
    with_campaign += plan.campaign.uses > 0;
    Within(plan.sale.ends_at_us, 2 * kMinuteUs, 10 * kMinuteUs);
    Within(plan.sale.share_ppm, 300'000u, 700'000u);
  }
  EXPECT_GT(sales, 250);
  EXPECT_LT(sales, 350);
  EXPECT_GT(with_campaign, sales / 5);  // independent draws: about 30 % of sales meet a campaign
  EXPECT_LT(with_campaign, sales / 2);
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    EXPECT_EQ(FaultPlan::Named(name)->ForSeed(7).sale, FlashSale{}) << name;
  }
}

// A card authorization takes 0.3 to 3 s each way in swarm plans, whatever else the seed drew for
// the point; every other point and every named plan keep 1 to 5 ms.
TEST(FaultPlan, SwarmAuthorizesCardsInSeconds) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    const FaultPlan plan = FaultPlan::Swarm().ForSeed(seed);
    const FaultRule authorize = plan.RuleFor("payment.authorize");
    EXPECT_EQ(authorize.latency_min_us, kCardAuthorizationMinUs) << seed;
    EXPECT_EQ(authorize.latency_max_us, kCardAuthorizationMaxUs) << seed;
    for (const char* point : {"payment.capture", "payment.void", "warehouse.reserve"}) {
      EXPECT_EQ(plan.RuleFor(point).latency_max_us, 5 * kMillisecondUs) << seed << point;
    }
  }
  EXPECT_EQ(kCardAuthorizationMinUs, 300 * kMillisecondUs);
  EXPECT_EQ(kCardAuthorizationMaxUs, 3 * kSecondUs);
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    EXPECT_EQ(FaultPlan::Named(name)->RuleFor("payment.authorize").latency_max_us,
              5 * kMillisecondUs)
        << name;
  }
}

// Swarm's shared-infrastructure incident, on a stream of its own: on about 20 % of seeds, each
// kind about as likely, its windows appended after the others with their figures within bounds.
// A zone outage takes the bus down for 15 to 45 minutes and the warehouse with it for the first 3
// to 10; a degraded egress slows the payment provider past its callers' deadline for 20 to 40
// minutes and drops 20 to 50 % of the warehouse's calls for its first 2 to 5. The named plans have
// none.
TEST(FaultPlan, SwarmDrawsAnIncidentOnSomeSeeds) {
  std::map<IncidentKind, int> kinds;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    const FaultPlan plan = WithoutFulfillmentOutage(FaultPlan::Swarm().ForSeed(seed));
    ++kinds[plan.incident];
    if (plan.incident == IncidentKind::kNone) continue;
    ASSERT_GE(plan.windows.size(), 2u) << "seed " << seed;
    const FaultWindow& first = plan.windows[plan.windows.size() - 2];
    const FaultWindow& second = plan.windows.back();
    EXPECT_EQ(first.from_us, second.from_us) << "seed " << seed;
    if (plan.incident == IncidentKind::kZoneOutage) {
      EXPECT_EQ(first.points, "bus.");
      EXPECT_EQ(first.kind, WindowKind::kOutage);
      Within(first.from_us, 5 * kMinuteUs, 40 * kMinuteUs);
      Within(first.until_us - first.from_us, 15 * kMinuteUs, 45 * kMinuteUs);
      EXPECT_EQ(second.points, "warehouse.");
      EXPECT_EQ(second.kind, WindowKind::kOutage);
      Within(second.until_us - second.from_us, 3 * kMinuteUs, 10 * kMinuteUs);
    } else {
      EXPECT_EQ(first.points, "payment.");
      EXPECT_EQ(first.kind, WindowKind::kSlow);
      Within(first.from_us, TimeUs{0}, 10 * kMinuteUs);
      Within(first.until_us - first.from_us, 20 * kMinuteUs, 40 * kMinuteUs);
      Within(first.extra_latency_us, 15 * kSecondUs, kMinuteUs);
      EXPECT_EQ(second.points, "warehouse.");
      EXPECT_EQ(second.kind, WindowKind::kBurst);
      Within(second.until_us - second.from_us, 2 * kMinuteUs, 5 * kMinuteUs);
      Within(second.fail_ppm, 200'000u, 500'000u);
    }
  }
  EXPECT_GT(kinds[IncidentKind::kNone], 750);
  EXPECT_LT(kinds[IncidentKind::kNone], 850);
  EXPECT_GT(kinds[IncidentKind::kZoneOutage], 70);
  EXPECT_GT(kinds[IncidentKind::kEgressDegraded], 70);
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    EXPECT_EQ(FaultPlan::Named(name)->ForSeed(7).incident, IncidentKind::kNone) << name;
  }
}

// Swarm's fulfilment outage, on a stream of its own: on about 20 % of seeds the fulfilment service
// is down once, from 10 to 90 minutes in for 10 to 40 minutes, its window the plan's last. The
// named plans have none.
TEST(FaultPlan, SwarmTakesFulfilmentDownOnSomeSeeds) {
  int down = 0;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    const FaultPlan plan = FaultPlan::Swarm().ForSeed(seed);
    const auto on_fulfillment =
        std::count_if(plan.windows.begin(), plan.windows.end(), [](const FaultWindow& window) {
          return PointMatches(window.points, "fulfillment.call_off");
        });
    EXPECT_EQ(on_fulfillment, plan.fulfillment_down ? 1 : 0) << "seed " << seed;
    if (!plan.fulfillment_down) continue;
    ++down;
    const FaultWindow& window = plan.windows.back();
    EXPECT_EQ(window.points, "fulfillment.");
    EXPECT_EQ(window.kind, WindowKind::kOutage);
    Within(window.from_us, 10 * kMinuteUs, 90 * kMinuteUs);
    Within(window.until_us - window.from_us, 10 * kMinuteUs, 40 * kMinuteUs);
  }
  EXPECT_GT(down, 160);
  EXPECT_LT(down, 240);
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    EXPECT_FALSE(FaultPlan::Named(name)->ForSeed(7).fulfillment_down) << name;
  }
}

// Swarm's crash loops: a bad deploy of any service on about 15 % of seeds, and on about half of
// the other seeds whose broker goes down (a broker-outage bad day, a zone outage) one of the
// broker's two clients crash-looping from 30 s to 3 minutes into the outage until up to 2 minutes
// after it, dying 5 to 45 s after each start. No seed without a broker outage draws the second.
TEST(FaultPlan, SwarmCrashLoopsABrokerClientThroughHalfTheBrokerOutages) {
  std::map<CrashLoopCause, int> causes;
  int outages_free = 0;  // seeds whose broker goes down and that drew no bad deploy
  std::map<std::string, int> services;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    const FaultPlan plan = WithoutFulfillmentOutage(FaultPlan::Swarm().ForSeed(seed));
    const CrashLoop& loop = plan.crash_loop;
    ++causes[loop.cause];
    EXPECT_EQ(loop.service.empty(), loop.cause == CrashLoopCause::kNone) << "seed " << seed;
    std::optional<std::pair<TimeUs, TimeUs>> outage;
    if (plan.bad_day.kind == BadDayKind::kBrokerOutage) {
      outage = {plan.bad_day.from_us, plan.bad_day.from_us + plan.bad_day.duration_us};
    } else if (plan.incident == IncidentKind::kZoneOutage) {
      const FaultWindow& bus = plan.windows[plan.windows.size() - 2];
      ASSERT_EQ(bus.points, "bus.") << "seed " << seed;
      outage = {bus.from_us, bus.until_us};
    }
    if (loop.cause != CrashLoopCause::kBadDeploy && outage) ++outages_free;
    if (loop.cause != CrashLoopCause::kBrokerOutage) continue;
    ASSERT_TRUE(outage.has_value()) << "seed " << seed;
    ++services[loop.service];
    Within(loop.from_us - outage->first, 30 * kSecondUs, 3 * kMinuteUs);
    Within(loop.from_us + loop.duration_us - outage->second, TimeUs{0}, 2 * kMinuteUs);
    Within(loop.life_min_us, 5 * kSecondUs, 15 * kSecondUs);
    Within(loop.life_max_us - loop.life_min_us, 5 * kSecondUs, 30 * kSecondUs);
  }
  EXPECT_GT(causes[CrashLoopCause::kBadDeploy], 250);
  EXPECT_LT(causes[CrashLoopCause::kBadDeploy], 350);
  EXPECT_GT(causes[CrashLoopCause::kBrokerOutage], outages_free * 4 / 10);
  EXPECT_LT(causes[CrashLoopCause::kBrokerOutage], outages_free * 6 / 10);
  EXPECT_GT(outages_free, 200);
  EXPECT_EQ(services.size(), 2u);
  EXPECT_EQ(services.count("checkout-api"), 0u);
  for (std::string_view name : {"none", "light", "heavy", "chaos"}) {
    EXPECT_EQ(FaultPlan::Named(name)->ForSeed(7).crash_loop, CrashLoop{}) << name;
  }
}

TEST(FaultPlan, NamedPlans) {
  EXPECT_EQ(FaultPlan::Named("light")->default_rule.fail_before_ppm, 20'000u);
  EXPECT_EQ(FaultPlan::Named("heavy")->default_rule.fail_after_ppm, 20'000u);
  EXPECT_EQ(FaultPlan::Named("chaos")->default_rule.crash_ppm, 2'000u);
  EXPECT_EQ(FaultPlan::Named("chaos")->random_windows.count, 6);
  EXPECT_TRUE(FaultPlan::Named("swarm")->swarm_seed.has_value());
  EXPECT_FALSE(FaultPlan::Named("tempest").has_value());
  EXPECT_TRUE(PointMatches("*", "bus.publish"));
  EXPECT_TRUE(PointMatches("bus.", "bus.publish"));
  EXPECT_FALSE(PointMatches("bus.", "busy.publish"));
  EXPECT_FALSE(PointMatches("bus.publish", "bus.publisher"));
}

}  // namespace
}  // namespace csim::sim
