// Situations are counted from what happened, both ways: a quiet run reaches none of the fault
// situations, a run with an exact fault reaches exactly that one.
#include "properties/situations.h"

#include <gtest/gtest.h>

#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
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
  // Without faults no fault situation is reached; lapsed reservations may or may not be.
  const std::vector<std::string> unreached = quiet.UnreachedSituations();
  EXPECT_EQ(std::count(unreached.begin(), unreached.end(), "crash:order.create"), 1);
  options.world.faults = sim::FaultPlan::Chaos();
  const SweepResult chaos = RunSweep(options);
  EXPECT_LT(chaos.UnreachedSituations().size(), quiet.UnreachedSituations().size());
  EXPECT_GT(chaos.situations.at("fail_before:warehouse.reserve").count, 0);
  EXPECT_GE(chaos.situations.at("fail_before:warehouse.reserve").seeds, 1u);
  EXPECT_LE(chaos.situations.at("fail_before:warehouse.reserve").seeds, 3u);
}

}  // namespace
}  // namespace csim::properties
