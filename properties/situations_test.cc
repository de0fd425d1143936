// Situations are counted from what happened, both ways: a quiet run reaches none of the fault
// situations, a run with an exact fault reaches exactly that one.
#include "properties/situations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_promotions.h"
#include "properties/sweep.h"
#include "sim/world.h"

namespace csim::properties {
namespace {

std::map<std::string, std::int64_t> Reached(const std::map<std::string, std::int64_t>& counts) {
  std::map<std::string, std::int64_t> reached;
  for (const auto& [name, count] : counts) {
    if (count > 0) reached[name] = count;
  }
  return reached;
}

TEST(Situations, AQuietRunReachesNoFaultSituation) {
  sim::World world(sim::WorldOptions{}, sim::OneCustomerWorkload());
  world.Run();
  const auto counts = CountSituations(world);
  EXPECT_EQ(counts.size(), AllSituations().size());
  EXPECT_TRUE(Reached(counts).empty()) << Reached(counts).begin()->first;
}

TEST(Situations, ACrashAtOrderCreationIsCountedWhereItHappened) {
  sim::WorldOptions options;
  options.faults.triggers.push_back({"order.create", 1, sim::FaultKind::kCrashAfter});
  sim::World world(options, sim::OneCustomerWorkload());
  world.Run();
  const auto reached = Reached(CountSituations(world));
  EXPECT_EQ(reached.at("crash:order.create"), 1);
  EXPECT_EQ(reached.at("process.crash:checkout-api"), 1);
  EXPECT_EQ(reached.at("customer.request_timed_out"), 1);  // the customer never heard back
  EXPECT_FALSE(reached.contains("crash:payment.authorize"));
  EXPECT_FALSE(reached.contains("process.crash:order-worker"));
}

TEST(Situations, DeclinedCapturesAndTimeoutsAfterEffectAreCounted) {
  sim::WorldOptions options;
  options.faults.rules["payment.decline_capture"].fail_before_ppm = 1'000'000;
  options.faults.triggers.push_back({"warehouse.reserve", 1, sim::FaultKind::kFailAfter});
  sim::Workload workload = sim::OneCustomerWorkload();
  workload.customers[0].confirm_attempts = 2;  // the first attempt fails on the reserve
  sim::World world(options, workload);
  world.Run();
  const auto reached = Reached(CountSituations(world));
  EXPECT_GE(reached.at("capture.declined"), 1);
  EXPECT_EQ(reached.at("timeout_after_effect:warehouse.reserve"), 1);
  EXPECT_FALSE(reached.contains("fail_before:warehouse.reserve"));
}

// A promotion that ends while the saga waits on the card authorization (2 s each way) was priced
// before it ended and is expired when the saga claims it: counted once. Ended a minute after the
// authorization, or never, it is claimed before it ends: not counted.
TEST(Situations, APromotionEndingDuringTheAuthorizationExpiredMidCheckout) {
  auto run = [](std::optional<TimeUs> ends_at_us) {
    sim::WorldOptions options;
    sim::FaultRule& authorize = options.faults.rules["payment.authorize"];
    authorize.latency_min_us = authorize.latency_max_us = 2 * kSecondUs;
    sim::Workload workload = sim::OneCustomerWorkload();
    workload.promos.push_back({"PROMO-1", 10'000 * kVnd, 0, false});
    workload.customers[0].promo_codes = {"PROMO-1"};
    if (ends_at_us) {
      workload.changes.push_back(
          {*ends_at_us, sim::WorldChangeKind::kPromoExpiry, "PROMO-1", "", 0});
    }
    auto world = std::make_unique<sim::World>(options, workload);
    world->Run();
    return world;
  };
  const auto unended = run(std::nullopt);
  EXPECT_EQ(CountSituations(*unended).at("promotion.expired_mid_checkout"), 0);
  EXPECT_EQ(unended->promotions().UsageCount("PROMO-1"), 1);
  // The authorization's answer, recorded when it comes back 4 s after the call went out.
  const sim::Trace& trace = unended->kernel().trace();
  TimeUs authorized_us = -1;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    if (trace.NameOf(trace.at(i).action) == "payment.authorize")
      authorized_us = trace.at(i).time_us;
  }
  ASSERT_GT(authorized_us, 4 * kSecondUs);

  const auto ended = run(authorized_us - kSecondUs);
  EXPECT_EQ(CountSituations(*ended).at("promotion.expired_mid_checkout"), 1);
  EXPECT_EQ(ended->promotions().UsageCount("PROMO-1"), 0);
  const auto ended_later = run(authorized_us + kMinuteUs);
  EXPECT_EQ(CountSituations(*ended_later).at("promotion.expired_mid_checkout"), 0);
  EXPECT_EQ(ended_later->promotions().UsageCount("PROMO-1"), 1);
}

// The bus's deliveries down for the first ten minutes: the one order's first events fall due
// meanwhile and wait, which the situation counts once (one hold; the pump then waits for the bus).
// A window on the warehouse alone holds nothing.
TEST(Situations, DeliveriesHeldByABusOutageAreCounted) {
  for (const std::string_view points : {"bus.deliver", "warehouse."}) {
    sim::WorldOptions options;
    options.faults.windows.push_back(
        {std::string{points}, sim::WindowKind::kOutage, 0, 10 * kMinuteUs});
    sim::World world(options, sim::OneCustomerWorkload());
    world.Run();
    EXPECT_EQ(CountSituations(world).at("bus.held_while_down"), points == "bus.deliver" ? 1 : 0)
        << points;
  }
}

// A bus down for ten minutes: the outbox rows of the one checkout use up their ten retries. Fixed
// P1-CC-03 alerts and its drain sets each row pending again, so no row is left failed at the end;
// the situation is still counted, once per row, from the alerts.
TEST(Situations, AnOutboxRowThatUsedUpItsRetriesIsCountedAfterItsRedrive) {
  sim::WorldOptions options;
  sim::FaultWindow outage;
  outage.points = "bus.";
  outage.kind = sim::WindowKind::kOutage;
  outage.from_us = 0;
  outage.until_us = 10 * kMinuteUs;
  options.faults.windows.push_back(outage);
  sim::World world(options, sim::OneCustomerWorkload());
  world.Run();
  std::int64_t alerted = 0, still_failed = 0;
  for (const Alert& alert : world.alerts().Raised()) alerted += alert.kind == "outbox.failed";
  for (const auto* rows : {&world.checkout_db().Outbox(), &world.order_db().Outbox()}) {
    for (const auto& [id, row] : *rows) still_failed += row.status == OutboxStatus::kFailed;
  }
  ASSERT_GE(alerted, 2);  // the cart's conversion and the order's creation at least
  EXPECT_EQ(still_failed, 0);
  EXPECT_EQ(CountSituations(world).at("outbox.row_failed"), alerted);
}

TEST(Situations, ASweepReportsWhatNoSeedReached) {
  SweepOptions options;
  options.first_seed = 1;
  options.last_seed = 3;
  options.workload.orders = 10;
  options.world.faults = sim::FaultPlan::Quiet();
  const SweepResult quiet = RunSweep(options);
  EXPECT_EQ(quiet.situations.size(), AllSituations().size());
  // Without faults no fault situation is reached, and none is a gap: the quiet plan draws none.
  // Lapsed reservations may or may not be reached.
  EXPECT_EQ(quiet.situations.at("crash:order.create").seeds, 0u);
  EXPECT_TRUE(quiet.outside_plan.contains("crash:order.create"));
  const std::vector<std::string> unreached = quiet.UnreachedSituations();
  EXPECT_EQ(std::count(unreached.begin(), unreached.end(), "capture.declined"), 1);
  options.world.faults = sim::FaultPlan::Chaos();
  const SweepResult chaos = RunSweep(options);
  auto reached = [](const SweepResult& result) {
    return std::count_if(result.situations.begin(), result.situations.end(),
                         [](const auto& entry) { return entry.second.seeds > 0; });
  };
  EXPECT_GT(reached(chaos), reached(quiet));
  EXPECT_GT(chaos.situations.at("fail_before:warehouse.reserve").count, 0);
  EXPECT_GE(chaos.situations.at("fail_before:warehouse.reserve").seeds, 1u);
  EXPECT_LE(chaos.situations.at("fail_before:warehouse.reserve").seeds, 3u);
}

// Counts the situations of `outside` whose name starts with `prefix`.
std::size_t CountPrefixed(const std::set<std::string>& outside, std::string_view prefix) {
  return static_cast<std::size_t>(
      std::count_if(outside.begin(), outside.end(),
                    [prefix](const auto& name) { return name.starts_with(prefix); }));
}

TEST(Situations, APlanListsTheSituationsOfTheFaultKindsItNeverDraws) {
  const std::size_t steps = SagaSteps().size();
  // Heavy fails calls before and times them out after their effect; it crashes, pauses and opens
  // windows nowhere: a crash per step, a window per step, five crashed and five paused services
  // (the compensation worker's since SIM-40, the order repair worker's since SIM-42), and the bus
  // held by an outage of its own, and the fulfilment service down at a call-off.
  const std::set<std::string> heavy = SituationsOutsidePlan(*sim::FaultPlan::Named("heavy"));
  EXPECT_EQ(heavy.size(), 2 * steps + 12);
  EXPECT_TRUE(heavy.contains("bus.held_while_down"));
  EXPECT_TRUE(heavy.contains("fulfillment.down_at_call_off"));
  EXPECT_EQ(CountPrefixed(heavy, "crash:"), steps);
  EXPECT_EQ(CountPrefixed(heavy, "window:"), steps);
  EXPECT_EQ(CountPrefixed(heavy, "process.crash:"), 5u);
  EXPECT_EQ(CountPrefixed(heavy, "process.paused:"), 5u);
  EXPECT_EQ(CountPrefixed(heavy, "fail_before:") + CountPrefixed(heavy, "timeout_after_effect:"),
            0u);
  // Quiet draws no fault at all: every column of the matrix and every crash and pause.
  EXPECT_EQ(SituationsOutsidePlan(sim::FaultPlan::Quiet()).size(), 4 * steps + 12);
  // Chaos crashes and opens windows, but pauses no process, and its windows are drawn over
  // kWindowPorts, which leaves the fulfilment service out.
  const std::set<std::string> chaos = SituationsOutsidePlan(sim::FaultPlan::Chaos());
  EXPECT_EQ(chaos, (std::set<std::string>{
                       "process.paused:checkout-api", "process.paused:checkout-worker",
                       "process.paused:order-worker", "process.paused:compensation-worker",
                       "process.paused:order-repair-worker", "fulfillment.down_at_call_off"}));
  // A plan's own window on the fulfilment service can reach it.
  sim::FaultPlan fulfillment_down = sim::FaultPlan::Chaos();
  fulfillment_down.windows.push_back(
      {"fulfillment.", sim::WindowKind::kOutage, 10 * kMinuteUs, 20 * kMinuteUs});
  EXPECT_FALSE(SituationsOutsidePlan(fulfillment_down).contains("fulfillment.down_at_call_off"));
  // A swarm seed may draw any kind; so may a plan with one exact crash.
  EXPECT_TRUE(SituationsOutsidePlan(sim::FaultPlan::Swarm()).empty());
  sim::FaultPlan one_crash = sim::FaultPlan::Quiet();
  one_crash.triggers.push_back({"order.create", 1, sim::FaultKind::kCrashAfter, 0});
  const std::set<std::string> after_one_crash = SituationsOutsidePlan(one_crash);
  // Each missing step's window, fail and timeout, the five services' pauses, the bus, and the
  // fulfilment service.
  EXPECT_EQ(after_one_crash.size(), 3 * steps + 7);
  EXPECT_EQ(CountPrefixed(after_one_crash, "crash:"), 0u);
}

// A sweep of heavy counts its crash situations apart: not reached, and not gaps either.
TEST(Situations, ASweepKeepsThePlansMissingKindsOutOfItsGaps) {
  SweepOptions options;
  options.first_seed = 1;
  options.last_seed = 2;
  options.workload.orders = 10;
  options.world.faults = *sim::FaultPlan::Named("heavy");
  const SweepResult heavy = RunSweep(options);
  EXPECT_EQ(heavy.outside_plan, SituationsOutsidePlan(options.world.faults));
  EXPECT_EQ(heavy.situations.at("crash:order.create").seeds, 0u);
  const std::vector<std::string> gaps = heavy.UnreachedSituations();
  EXPECT_EQ(std::count(gaps.begin(), gaps.end(), "crash:order.create"), 0);
  EXPECT_GT(heavy.situations.at("fail_before:warehouse.reserve").seeds, 0u);
  std::size_t unreached = 0;
  for (const auto& [name, totals] : heavy.situations) unreached += totals.seeds == 0;
  EXPECT_EQ(gaps.size() + heavy.outside_plan.size(), unreached);
}

}  // namespace
}  // namespace csim::properties
