#include "reports/run_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "properties/run_check.h"
#include "sim/workload.h"
#include "sim/world.h"

namespace csim::reports {
namespace {

properties::Violation MakeViolation(std::string invariant, std::string entity, TimeUs time_us,
                                    std::uint64_t seq) {
  properties::Violation v;
  v.invariant = std::move(invariant);
  v.entity = std::move(entity);
  v.expected = "x";
  v.actual = "y";
  v.time_us = time_us;
  v.seq = seq;
  return v;
}

TEST(RunJson, FindingsDetectedByMatchWholeInvariantNames) {
  EXPECT_EQ(FindingsDetectedBy("NO-PHANTOM-WAREHOUSE"), std::vector<std::string_view>{"P1-CC-01"});
  const auto stock = FindingsDetectedBy("STOCK-NO-LEAK");
  EXPECT_NE(std::find(stock.begin(), stock.end(), "P1-CC-04"), stock.end());
  EXPECT_NE(std::find(stock.begin(), stock.end(), "P2-CC-05"), stock.end());
  EXPECT_NE(std::find(stock.begin(), stock.end(), "EC-14"), stock.end());
  EXPECT_TRUE(FindingsDetectedBy("NO-SUCH-INVARIANT").empty());
  EXPECT_TRUE(FindingsDetectedBy("STOCK").empty());  // a part of a name is no match
  EXPECT_TRUE(FindingsDetectedBy("").empty());
}

TEST(RunJson, SummaryCountsEveryInvariantAndSaysWhatWasDropped) {
  properties::CheckedRun run;
  run.customers = 20;
  run.counts.checkouts_started = 19;
  run.counts.orders_placed = 16;
  run.counts.checkouts_failed = 3;
  run.checkout_outcomes.failed_by_code = {{"rejected", 1}, {"insufficient", 2}};
  run.checkout_outcomes.carts_not_created = 1;
  run.violations = {MakeViolation("NO-PHANTOM-WAREHOUSE", "reservation=res-1", 10, 4),
                    MakeViolation("STOCK-NO-LEAK", "sku=S wh=W", 20, 99)};
  run.violation_counts = {{"NO-PHANTOM-WAREHOUSE", 1}, {"STOCK-NO-LEAK", 5}};
  run.violations_dropped = {{"STOCK-NO-LEAK", 4}};
  const std::string text = RunSummary(run, "checkout-sim run --seed 1");
  EXPECT_NE(text.find("20 customers, 19 checkouts started, 16 orders placed, 3 checkouts failed"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("checkouts failed: 3 (insufficient 2, rejected 1)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("carts not created: 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("6 violation(s), the first 2 listed:\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  NO-PHANTOM-WAREHOUSE: 1; detects P1-CC-01\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  STOCK-NO-LEAK: 5 (4 dropped from the list); detects P1-CC-04"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  STOCK-NO-LEAK sku=S wh=W at t=20us seq=99: expected x, got y\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("held"), std::string::npos) << text;
  EXPECT_EQ(text.find("tested nothing"), std::string::npos) << text;
  EXPECT_EQ(text.find("drain stopped"), std::string::npos) << text;
  run.drain_still_busy = true;
  EXPECT_NE(RunSummary(run, "checkout-sim run --seed 1")
                .find("note: the drain stopped at its limit with workers still busy"),
            std::string::npos);
}

TEST(RunJson, SummaryOfARunWithoutOrdersSaysItTestedNothing) {
  properties::CheckedRun run;
  run.customers = 2;
  run.counts.checkouts_started = 2;
  run.counts.checkouts_failed = 2;
  run.checkout_outcomes.failed_by_code = {{"invalid_argument", 2}};
  EXPECT_TRUE(run.vacuous());
  const std::string text = RunSummary(run, "r");
  EXPECT_NE(text.find("tested nothing: no order was placed\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("all invariants held"), std::string::npos) << text;

  run.counts.orders_placed = 1;
  EXPECT_FALSE(run.vacuous());
  EXPECT_NE(RunSummary(run, "r").find("all invariants held\n"), std::string::npos);
}

// A real run: the JSON carries the new fields and the violations are in time order, each with
// the trace record it was first seen after.
TEST(RunJson, CheckedRunOfAFindingIsCountedTimedAndSequenced) {
  sim::WorldOptions options;
  options.seed = 2;
  options.profile = Profile::AllFixed();
  options.profile.SetAsReviewed(FindingId("P1-CC-01"));
  options.faults = sim::FaultPlan::FailBefore(20'000);
  sim::WorkloadOptions workload;
  workload.orders = 40;
  sim::World world(options, sim::GenerateWorkload(options.seed, workload));
  const properties::CheckedRun run = properties::RunChecked(world);
  ASSERT_FALSE(run.violations.empty());
  EXPECT_EQ(run.customers, 40);
  std::int64_t listed = 0;
  for (std::size_t i = 0; i < run.violations.size(); ++i) {
    const properties::Violation& v = run.violations[i];
    EXPECT_LT(v.seq, run.events);
    if (i > 0) {
      EXPECT_LE(run.violations[i - 1].time_us, v.time_us);
    }
    // An "always" violation's seq is a record at its time.
    if (v.invariant == "NO-PHANTOM-WAREHOUSE") {
      EXPECT_EQ(world.kernel().trace().at(v.seq).time_us, v.time_us);
    }
    ++listed;
  }
  EXPECT_EQ(run.violations_found(), listed);
  EXPECT_TRUE(run.violations_dropped.empty());
  std::int64_t failed = 0;
  for (const auto& [code, count] : run.checkout_outcomes.failed_by_code) failed += count;
  EXPECT_EQ(failed, run.counts.checkouts_failed);

  const nlohmann::json json = RunToJson(run, world, "r");
  EXPECT_EQ(json["customers"], 40);
  EXPECT_EQ(json["vacuous"], false);
  EXPECT_EQ(json["drain_still_busy"], false);
  EXPECT_EQ(json["violation_counts"]["NO-PHANTOM-WAREHOUSE"],
            run.violation_counts.at("NO-PHANTOM-WAREHOUSE"));
  EXPECT_TRUE(json["violations_dropped"].is_object());
  EXPECT_EQ(json["violations"][0]["seq"], run.violations[0].seq);
  EXPECT_TRUE(json["counts"]["checkout_failures"].is_object());
}

// A swarm run's JSON names what its seed drew, the same draws FaultPlan::ForSeed makes.
TEST(RunJson, ASwarmRunShowsWhatItsSeedDrew) {
  std::int32_t campaigns = 0;
  std::int32_t sales = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    sim::WorldOptions options;
    options.seed = seed;
    options.faults = sim::FaultPlan::Swarm();
    sim::WorkloadOptions workload;
    workload.orders = 2;
    sim::World world(options, sim::GenerateWorkload(seed, workload));
    const properties::CheckedRun run = properties::RunChecked(world, false);
    const nlohmann::json plan = RunToJson(run, world, "r")["plan"];
    const sim::FaultPlan drawn = sim::FaultPlan::Swarm().ForSeed(seed);
    EXPECT_EQ(plan["swarm"], true);
    EXPECT_EQ(plan["windows_drawn"], drawn.random_windows.count);
    EXPECT_EQ(plan["window_focus"], drawn.random_windows.focus);
    EXPECT_EQ(plan["customer_approval_ppm"], drawn.slowness.customer_approval_ppm);
    EXPECT_EQ(plan["cron_batch_size"], drawn.deployment.cron_batch_size);
    EXPECT_EQ(plan["reservation_ttl_minutes"], drawn.deployment.reservation_ttl_minutes);
    EXPECT_EQ(world.options().config.order.reservation_timeout_minutes,
              drawn.deployment.reservation_ttl_minutes > 0
                  ? drawn.deployment.reservation_ttl_minutes
                  : DefaultConfig().order.reservation_timeout_minutes);
    EXPECT_EQ(plan["order_worker_replicas"], drawn.deployment.order_worker_replicas);
    EXPECT_EQ(plan["campaign_uses"], drawn.campaign.uses);
    EXPECT_EQ(plan["campaign_share_ppm"], drawn.campaign.share_ppm);
    EXPECT_EQ(plan["sale_ends_at_us"], drawn.sale.ends_at_us);
    EXPECT_EQ(plan["sale_share_ppm"], drawn.sale.share_ppm);
    sales += plan["sale_ends_at_us"].get<std::int64_t>() > 0 ? 1 : 0;
    EXPECT_EQ(plan["crash_loop"], drawn.crash_loop.service);
    EXPECT_EQ(plan["crash_loop_cause"], sim::Name(drawn.crash_loop.cause));
    campaigns += plan["campaign_uses"].get<std::int64_t>() > 0 ? 1 : 0;
  }
  EXPECT_GT(campaigns, 0) << "a campaign on some of 10 seeds (30 % draw one)";
  EXPECT_GT(sales, 0) << "a flash sale on some of 10 seeds (30 % draw one)";
  sim::World quiet(sim::WorldOptions{}, sim::GenerateWorkload(1, sim::WorkloadOptions{}));
  const nlohmann::json plan = RunToJson(properties::RunChecked(quiet, false), quiet, "r")["plan"];
  EXPECT_EQ(plan["swarm"], false);
  EXPECT_EQ(plan["customer_approval_ppm"], 50'000);
  EXPECT_EQ(plan["window_focus"], "");
  EXPECT_EQ(plan["campaign_uses"], 0);
  EXPECT_EQ(plan["sale_ends_at_us"], 0);
  EXPECT_EQ(plan["crash_loop"], "");
  EXPECT_EQ(plan["crash_loop_cause"], "none");
}

TEST(RunJson, RunWithoutCustomersIsVacuous) {
  sim::WorldOptions options;
  sim::WorkloadOptions workload;
  workload.orders = 0;
  sim::World world(options, sim::GenerateWorkload(1, workload));
  const properties::CheckedRun run = properties::RunChecked(world, false);
  EXPECT_TRUE(run.vacuous());
  const nlohmann::json json = RunToJson(run, world, "r");
  EXPECT_EQ(json["vacuous"], true);
  EXPECT_EQ(json["customers"], 0);
  EXPECT_TRUE(json["violation_counts"].empty());
}

}  // namespace
}  // namespace csim::reports
