// Every detector can fail: for each finding with behaviour in the simulated world, the whole world
// (not one function) is run over a range of seeds with that finding alone turned back to its
// as-reviewed behaviour, and its detecting invariant must break on some seed; the same seeds under
// `fixed` must break nothing. The world, workload and faults are drawn the same way under both
// profiles: only core's behaviour differs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "properties/sweep.h"
#include "sim/workload.h"

namespace csim::properties {
namespace {

struct Detection {
  std::uint64_t seeds_run = 0;   // as-reviewed seeds run before the hunt stopped
  std::uint64_t first_seed = 0;  // the lowest seed that broke the invariant (0: none)
  std::uint64_t last_seed = 0;   // the highest seed the hunt ran
  std::map<std::string, std::uint64_t> fixed_broken;  // invariants `fixed` broke on those seeds
};

struct Hunt {
  std::string finding;
  std::string invariant;
  // The hunt runs seeds from first_seed on, stopping once one breaks the invariant, at most this
  // many: the world's draws move whenever the model changes, so a hunt names a budget, not a seed.
  std::uint64_t seeds = 20;
  std::int32_t orders = 40;
  std::string faults = "light";
  bool legacy_warehouse = false;
  std::uint64_t first_seed = 1;
  bool deprecated_http_subscription = false;
  // An operator's order.reservation_timeout_minutes (0: the default config's).
  std::int32_t reservation_timeout_minutes = 0;
  // Findings set back with the hunted one, where a later fix hides it (SIM-30 hides most of
  // SIM-04).
  std::vector<std::string> also_as_reviewed = {};
};

Detection Detect(const Hunt& hunt) {
  SweepOptions options;
  options.first_seed = hunt.first_seed;
  options.last_seed = hunt.first_seed + hunt.seeds - 1;
  options.jobs = 2;
  options.workload.orders = hunt.orders;
  options.world.faults = *sim::FaultPlan::Named(hunt.faults);
  options.world.order_uses_legacy_warehouse = hunt.legacy_warehouse;
  options.world.deprecated_http_subscription = hunt.deprecated_http_subscription;
  if (hunt.reservation_timeout_minutes > 0) {
    options.world.config.order.reservation_timeout_minutes = hunt.reservation_timeout_minutes;
    options.world.config_sets_reservation_ttl = true;  // not a swarm seed's drawn TTL
  }
  SweepOptions reviewed = options;
  auto finding = LookupFinding(hunt.finding);
  EXPECT_TRUE(finding.has_value()) << hunt.finding;
  reviewed.world.profile.SetAsReviewed(*finding);
  for (const std::string& id : hunt.also_as_reviewed) {
    auto also = LookupFinding(id);
    EXPECT_TRUE(also.has_value()) << id;
    if (also) reviewed.world.profile.SetAsReviewed(*also);
  }
  Detection d;
  std::atomic<bool> found{false};
  std::mutex mutex;
  const SweepResult as_reviewed = RunSweep(
      reviewed,
      [&](const SeedOutcome& outcome) {
        std::lock_guard lock(mutex);
        d.last_seed = std::max(d.last_seed, outcome.seed);
        for (const std::string& name : outcome.invariants) {
          if (name != hunt.invariant) continue;
          if (d.first_seed == 0 || outcome.seed < d.first_seed) d.first_seed = outcome.seed;
          found = true;
        }
      },
      &found);
  d.seeds_run = as_reviewed.seeds_run;
  // `fixed` on every seed the hunt ran (and those between): it must break nothing there.
  if (d.last_seed >= options.first_seed) options.last_seed = d.last_seed;
  d.fixed_broken = RunSweep(options).seeds_per_invariant;
  return d;
}

void ExpectDetected(const Hunt& hunt) {
  const Detection d = Detect(hunt);
  EXPECT_GE(d.seeds_run, 1u);
  EXPECT_LE(d.seeds_run, hunt.seeds);
  EXPECT_NE(d.first_seed, 0u) << hunt.finding << " as reviewed never broke " << hunt.invariant
                              << " in " << d.seeds_run << " seeds from " << hunt.first_seed;
  EXPECT_TRUE(d.fixed_broken.empty()) << "fixed broke " << d.fixed_broken.begin()->first << " on "
                                      << d.fixed_broken.begin()->second << " seeds";
  std::printf("%s: %s first broken on seed %llu (%llu seeds run, %d orders, %s faults)\n",
              hunt.finding.c_str(), hunt.invariant.c_str(),
              static_cast<unsigned long long>(d.first_seed),
              static_cast<unsigned long long>(d.seeds_run), hunt.orders, hunt.faults.c_str());
}

TEST(Detectors, P0_CC_01_RefundNeverRecorded) {
  ExpectDetected({"P0-CC-01", "ORDER-SETTLES", 300});
}
TEST(Detectors, EC_08_EmptyWarehouseId) {
  ExpectDetected({"EC-08", "NO-PHANTOM-WAREHOUSE", 300});
}
TEST(Detectors, R_1_5_ShippingFeeNotRefetched) {
  ExpectDetected({"R-1.5", "PRICE-AS-CONFIRMED", 300});
}
// R-3.3's risk exists only where the deployment re-enables the deprecated HTTP subscription.
TEST(Detectors, R_3_3_DeprecatedHttpPath) {
  Hunt hunt{"R-3.3", "EFFECT-ONCE"};
  hunt.deprecated_http_subscription = true;
  ExpectDetected(hunt);
}
TEST(Detectors, EC_14_SecondWarehouseInterface) {
  Hunt hunt{"EC-14", "STOCK-NO-LEAK"};
  hunt.legacy_warehouse = true;
  ExpectDetected(hunt);
}
// Found blind by the heavy plan (5 % of calls fail before their effect, 2 % time out after it).
TEST(Detectors, EC_06_RollbackReleaseErrorsDropped) {
  ExpectDetected({"EC-06", "STOCK-NO-LEAK", 300, 50, "heavy"});
}
TEST(Detectors, R_1_4_CartStuckInCheckout) {
  ExpectDetected({"R-1.4", "ORDER-SETTLES", 300, 50, "heavy"});
}
TEST(Detectors, SIM_02_TimedOutClaimNotCompensated) {
  ExpectDetected({"SIM-02", "SAGA-SETTLES", 300, 40, "heavy"});
}
TEST(Detectors, SIM_06_TimedOutReserveNotRolledBack) {
  ExpectDetected({"SIM-06", "STOCK-NO-LEAK", 300, 50, "heavy"});
}

// The simulator's own findings: each broke its invariant on about 1 of 60 seeds at 100 orders
// under the heavy plan when it was found; the hunt searches from seed 1 for one that does.
TEST(Detectors, SIM_03_UnheardAuthorization) {
  ExpectDetected({"SIM-03", "SAGA-SETTLES", 300, 100, "heavy"});
}
// SIM-30's fix leaves SIM-04 one way in: a confirmation that cancels its order because the stock
// is gone (SIM-05's fix) leaves what it reserved again to ReservationCleanupJob; every other
// cancellation's own commit holds its release rows. That broke none of heavy seeds 1-1000 at 100
// orders (swarm at 50 orders: 1 of 1-200, seed 108); with SIM-30 set back, 10 of 1-300, the first
// 10, as before that fix. The hunt sets SIM-30 back.
TEST(Detectors, SIM_04_RefundedBeforeStockReleased) {
  Hunt hunt{"SIM-04", "STOCK-NO-LEAK", 300, 100, "heavy"};
  hunt.also_as_reviewed = {"SIM-30"};
  ExpectDetected(hunt);
}
// Found by the first 1000-seed sweep at 200 orders under the heavy plan (seed 223). Since the
// webhook latency changed every run's timing the heavy plan no longer reaches it within 450 seeds;
// the swarm plan does (seed 131 of 1-300 at 50 orders, 2026-11-29).
TEST(Detectors, SIM_08_AmbiguousCreateCompensated) {
  ExpectDetected({"SIM-08", "STOCK-NO-LEAK", 300, 50, "swarm"});
}
// Reached through realistic timing, not a shorter TTL: a payment that waits minutes on the
// customer (3-D Secure, a bank app) or a webhook minutes late, and a reservation_expired event
// the warehouse failed to publish (at most once). Each broke its invariant on a few of 300 seeds at
// 50 orders (EC-11: 1 light, 1 heavy; SIM-05: 4 light, 7 heavy; SIM-01: 3 light, 5 heavy;
// SIM-09: 1 heavy when found); each hunt searches from seed 1. EC-11 needs both at once: after
// SIM-15 and SIM-16 were fixed it broke on 6 of seeds 1-2000 (light, 50 orders; the first is 597),
// so its hunt has a budget of 2000.
TEST(Detectors, EC_11_PendingADayAfterItsStockLapsed) {
  ExpectDetected({"EC-11", "ORDER-SETTLES", 2000, 50, "light"});
}
TEST(Detectors, SIM_05_PaymentAfterTheReservationLapsed) {
  ExpectDetected({"SIM-05", "ORDER-SETTLES", 300, 50, "heavy"});
}
TEST(Detectors, SIM_01_CancellationGivesBackBeforeItCommits) {
  ExpectDetected({"SIM-01", "ORDER-SETTLES", 300, 50, "light"});
}
// Found by the 300-seed sweep of `fixed` at 50 orders under the heavy plan (seed 82), once the
// payment latency made SIM-05's fix reachable. At 100 orders under the heavy plan it broke on 1 of
// seeds 1-300 (293) before SIM-30's fix and on none after (2 of 1-1000, the first 580); the swarm
// plan at 50 orders broke it on seed 9 before and after. With SIM-29's fix and the drawn operator
// TTLs on top, its first swarm seed is 218 (7 of 1-1000), within this hunt's 300.
TEST(Detectors, SIM_09_ReReservationFailureSentToTheConfirmDlq) {
  ExpectDetected({"SIM-09", "ORDER-SETTLES", 300, 50, "swarm"});
}
// No seed of 1-300 at 100 orders under the heavy plan reaches it since the explorer's merge
// (2026-11-29); the swarm plan does (11 of seeds 1-100 at 50 orders).
TEST(Detectors, SIM_07_AbandonedAttemptNotUndone) {
  ExpectDetected({"SIM-07", "SAGA-SETTLES", 300, 50, "swarm"});
}
// Found by the swarm sweep of fixed (seed 10 of 1-200 at 50 orders): five voids 30 s apart all fell
// inside one payment slow period, and the row was given up with the hold still on.
TEST(Detectors, SIM_10_CompensationBudgetSpentInOneOutage) {
  ExpectDetected({"SIM-10", "SAGA-SETTLES", 300, 50, "swarm"});
}
// Found by the swarm sweep of fixed (seeds 80, 107, 197, 200 of 1-200 at 50 orders): SIM-06's
// lookups of a reservation whose reserve timed out all fell in a warehouse outage.
TEST(Detectors, SIM_11_UnheardReservationLookupsFailInAnOutage) {
  ExpectDetected({"SIM-11", "STOCK-NO-LEAK", 300, 50, "swarm"});
}
// P1-CC-04 / EC-05: the cleanup can only take stock from under a live order whose reservation still
// holds stock auto_cancel_minutes (30) after its checkout began, so it needs an operator's TTL
// longer than that (60 minutes, which P1-CC-02's fix honours) and a payment delayed past it by an
// outage or a crash: the swarm plan has both. 5 of seeds 1-1000 at 50 orders break
// CART-NOT-CLEANED-UNDER-LIVE-ORDER (the first is 186); fixed breaks none of the 1000.
TEST(Detectors, P1_CC_04_CleanupReleasesUnderALiveOrder) {
  Hunt hunt{"P1-CC-04", "CART-NOT-CLEANED-UNDER-LIVE-ORDER", 300, 50, "swarm"};
  hunt.reservation_timeout_minutes = 60;
  ExpectDetected(hunt);
}
// Found by a swarm sweep of fixed with an operator's 60-minute reservation TTL (seeds 28, 35, 43
// and 45 of 25-50 at 50 orders): the cleanup reopened an attempt left without an order and trusted
// a TTL that outlasts auto_cancel_minutes to free its stock.
TEST(Detectors, SIM_13_AbandonedAttemptsReservationsLeftToALongTtl) {
  Hunt hunt{"SIM-13", "STOCK-NO-LEAK", 300, 50, "swarm"};
  hunt.reservation_timeout_minutes = 60;
  ExpectDetected(hunt);
}
// Found by the 1000-seed swarm sweep of fixed at 50 orders (seeds 202, 328, 415, 622, 779): a
// warehouse outage outlasted the reservations' remaining TTL while the confirm DLQ retried.
TEST(Detectors, SIM_14_ConfirmDlqOutlivedByTheReservation) {
  ExpectDetected({"SIM-14", "ORDER-SETTLES", 400, 50, "swarm"});
}
// Found by the first swarm sweep with process pauses (seed 42, its only failure of 1-2000): a
// checkout-api paused twice mid-saga for 35 minutes in all; the cart cleanup undid the attempt,
// and the saga, resumed, created an order on the reservation the cleanup had released.
// SIM-17: checkout-api stalls twice inside one saga, 20 minutes before its fraud pre-check and 15
// before it authorizes (exact pause triggers), 35 minutes in all, past auto_cancel_minutes (30):
// CartCleanupWorker undoes the attempt and reopens the cart meanwhile. As reviewed the saga goes
// on: its reserve by the attempt's reference returns the released reservation and the order is
// created on it, a live order whose stock nothing holds. Fixed, the lease check before authorizing
// stops it. Swarm found it blind on seed 42 of 1-2000 before the slow bank and the window focus
// came in; it is found on no seed of 1-3000 since, so the detector names its stall.
TEST(Detectors, SIM_17_SagaOutlivesItsLease) {
  std::map<std::string, std::int64_t> broken[2];
  for (const bool fixed : {false, true}) {
    sim::WorldOptions options;
    options.profile = Profile::AllFixed();
    if (!fixed) options.profile.SetAsReviewed(FindingId("SIM-17"));
    for (const auto& [point, minutes] :
         {std::pair{"fraud.precheck", 20}, {"payment.authorize", 15}}) {
      sim::FaultTrigger pause{point, 1, sim::FaultKind::kPauseBefore, minutes * kMinuteUs};
      options.faults.triggers.push_back(pause);
    }
    sim::World world(options, sim::OneCustomerWorkload());
    const CheckedRun run = RunChecked(world);
    broken[fixed] = run.violation_counts;
    EXPECT_EQ(world.faults().points().at("fraud.precheck").paused, 1u);
    EXPECT_EQ(world.faults().points().at("payment.authorize").paused, fixed ? 0u : 1u);
    // What the cleanup did under both: the attempt undone, the cart open again.
    EXPECT_EQ(world.order_db().Orders().size(), fixed ? 0u : 1u);
  }
  ASSERT_TRUE(broken[0].contains("CART-NOT-CLEANED-UNDER-LIVE-ORDER"))
      << "as reviewed, the order was created on a released reservation";
  EXPECT_EQ(broken[0].size(), 1u);
  EXPECT_TRUE(broken[1].empty()) << broken[1].begin()->first;
}
// Found by the 300-seed sweep of fixed at 50 orders under the heavy plan (seed 30), its only
// failure: a COD order's reservation lapsed; CODAutoConfirmWorker reserved it again and confirmed
// while the reservation_expired consumer cancelled the order, so the confirm's commit conflicted.
// Disabled after the explorer's merge (2026-11-29): its race (a COD re-reservation and a
// reservation_expired cancellation at the same instant) was reached on 1 of 300 heavy seeds before
// the merge and on none of 1-300 at 50 orders (heavy) or 1-300 (swarm) after it; a longer hunt
// must find it again. Its fix is covered by the unit tests in tests/core.
TEST(Detectors, DISABLED_SIM_12_ReservedAgainForACancelledOrder) {
  ExpectDetected({"SIM-12", "STOCK-NO-LEAK", 300, 50, "heavy"});
}

// P2-CC-04: as reviewed, a promotion is claimed after the order exists, best effort: a claim that
// fails and whose DLQ row is not written (or whose retries all fail) leaves an order with a
// discount the promotion never recorded.
// No seed of 1-300 at 40 orders (light) reaches it since the explorer's merge (2026-11-29); the
// swarm plan does (1 of seeds 1-100 at 50 orders).
TEST(Detectors, P2_CC_04_PromotionAppliedAfterTheOrder) {
  ExpectDetected({"P2-CC-04", "PROMO-NO-BUDGET-LEAK", 300, 50, "swarm"});
}

// One whole world under `profile`, every invariant checked after every event.
struct WorldRun {
  std::unique_ptr<sim::World> world;
  CheckedRun run;
};

WorldRun RunWorld(std::uint64_t seed, std::int32_t orders, const Profile& profile,
                  const Config& config, std::string_view faults = "light") {
  sim::WorldOptions options;
  options.seed = seed;
  options.profile = profile;
  options.config = config;
  options.faults = *sim::FaultPlan::Named(faults);
  sim::WorkloadOptions workload;
  workload.orders = orders;
  WorldRun result;
  result.world = std::make_unique<sim::World>(options, sim::GenerateWorkload(seed, workload));
  result.run = RunChecked(*result.world);
  return result;
}

// One swarm seed's world twice: with `finding` alone set back to as written, and fixed. With
// `both_as_written`, that finding is set back in both runs: a later fix whose calls draw fault
// coins of their own would draw the seed's world anew.
struct AsWrittenAndFixed {
  WorldRun reviewed;
  WorldRun fixed;
};

AsWrittenAndFixed RunSwarmBothWays(std::uint64_t seed, std::int32_t orders, Finding finding,
                                   const Config& config,
                                   std::optional<Finding> both_as_written = std::nullopt) {
  Profile fixed = Profile::AllFixed();
  if (both_as_written) fixed.SetAsReviewed(*both_as_written);
  Profile as_reviewed = fixed;
  as_reviewed.SetAsReviewed(finding);
  return {RunWorld(seed, orders, as_reviewed, config, "swarm"),
          RunWorld(seed, orders, fixed, config, "swarm")};
}

// As written `invariant` broke and nothing else did; fixed nothing broke and every customer came.
// Returns how often `invariant` broke as written (0 when it did not).
std::int64_t ExpectOnlyAsWrittenBreaks(const AsWrittenAndFixed& runs, std::string_view invariant,
                                       std::int32_t orders) {
  const auto& counts = runs.reviewed.run.violation_counts;
  const auto broke = counts.find(std::string{invariant});
  EXPECT_TRUE(broke != counts.end()) << "as written " << invariant << " broke";
  EXPECT_EQ(counts.size(), 1u) << "only " << invariant;
  EXPECT_TRUE(runs.fixed.run.violation_counts.empty());
  EXPECT_EQ(runs.fixed.run.customers, orders);
  return broke == counts.end() ? 0 : broke->second;
}

// P1-CC-02 / M-03, the catalogue's TTL scenario: the operator sets the order config's
// reservation_timeout_minutes to the review's 30, and every reservation the warehouse holds (its
// own ground truth: expires_at - created_at) must last that long. As reviewed checkout reserves for
// its 15-minute constant whatever the config says.
TEST(Detectors, P1_CC_02_ReservationTtlFollowsTheOrderConfig) {
  Config config = DefaultConfig();
  config.order.reservation_timeout_minutes = 30;
  Profile as_reviewed = Profile::AllFixed();
  as_reviewed.SetAsReviewed(FindingId("P1-CC-02"));
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    std::map<DurationUs, std::int64_t> fixed_ttls, reviewed_ttls;
    const WorldRun fixed = RunWorld(seed, 40, Profile::AllFixed(), config);
    EXPECT_TRUE(fixed.run.violation_counts.empty()) << "seed " << seed;
    for (const auto& r : fixed.world->warehouse().Reservations()) {
      ++fixed_ttls[r.expires_at - r.created_at];
    }
    const WorldRun reviewed = RunWorld(seed, 40, as_reviewed, config);
    for (const auto& r : reviewed.world->warehouse().Reservations()) {
      ++reviewed_ttls[r.expires_at - r.created_at];
    }
    ASSERT_EQ(fixed_ttls.size(), 1u) << "seed " << seed << ": one TTL, the configured one";
    EXPECT_EQ(fixed_ttls.begin()->first, 30 * kMinuteUs) << "seed " << seed;
    EXPECT_GE(fixed_ttls.begin()->second, 10) << "seed " << seed << ": reservations were made";
    // As reviewed, the checkout's reservations keep the constant; only the order side's own
    // re-reservations (SIM-05's fix, if any) read the order key.
    ASSERT_TRUE(reviewed_ttls.contains(15 * kMinuteUs)) << "seed " << seed;
    EXPECT_GE(reviewed_ttls.at(15 * kMinuteUs), 10) << "seed " << seed;
    std::printf(
        "P1-CC-02 seed %llu: fixed %lld reservations of 30 min; as reviewed %lld of 15 min\n",
        static_cast<unsigned long long>(seed), static_cast<long long>(fixed_ttls.begin()->second),
        static_cast<long long>(reviewed_ttls.at(15 * kMinuteUs)));
  }
}

// SIM-16, found at scale: PaymentCompensationWorker voids at most one batch of holds a pass, and
// as first written re-voids the same first ones every pass, so a hold past the batch whose own
// void was lost is never voided. It was found in one world of 20000 customers with the services'
// batch of 100 (11 holds left). The same backlog builds in 2000 customers when an operator runs
// the crons with a batch of 10 (swarm draws such batches too): as reviewed, SAGA-SETTLES broke on
// each of seeds 1-4 under the heavy plan (1 to 3 holds); fixed, none.
TEST(Detectors, SIM_16_CompensationStarvesPastOneBatch) {
  constexpr std::int32_t kOrders = 2'000;
  Config config = DefaultConfig();
  config.order.cron_batch_size = 10;
  Profile as_reviewed = Profile::AllFixed();
  as_reviewed.SetAsReviewed(FindingId("SIM-16"));
  const WorldRun reviewed = RunWorld(1, kOrders, as_reviewed, config, "heavy");
  const auto& counts = reviewed.run.violation_counts;
  ASSERT_TRUE(counts.contains("SAGA-SETTLES")) << "as reviewed every hold was voided";
  EXPECT_GE(counts.at("SAGA-SETTLES"), 1);
  // Only the starved holds, each seen by both rules that judge a hold: per attempt and per
  // authorization.
  EXPECT_EQ(counts.size(), 2u) << "only the starved holds";
  ASSERT_TRUE(counts.contains("NO-LEAKED-AUTH"));
  EXPECT_EQ(counts.at("NO-LEAKED-AUTH"), counts.at("SAGA-SETTLES"));
  const WorldRun fixed = RunWorld(1, kOrders, Profile::AllFixed(), config, "heavy");
  EXPECT_TRUE(fixed.run.violation_counts.empty());
  EXPECT_EQ(fixed.run.customers, kOrders);
  std::printf("SIM-16: SAGA-SETTLES broken %llu times at %d orders as reviewed, 0 fixed\n",
              static_cast<unsigned long long>(counts.at("SAGA-SETTLES")), kOrders);
}

// Found by the 1000-seed sweeps of fixed (light at 200 orders seed 575, chaos at 50 seed 622): a
// lapsed item was reserved and committed again, the confirmation then stopped at the next item's
// faulted reserve (or lost its commit), and the reservation_expired event cancelled the order
// before the redelivery. A rare race: with SIM-15 alone as reviewed (after SIM-16's fix moved the
// draws), chaos at 50 orders broke STOCK-NO-LEAK on 1 of seeds 1-5000 (1533), light at 200, heavy
// at 200 and swarm at 50 on none of 1-1000 (swarm: 1-4000); hence the budget. SIM-33's fix (the
// checkout worker's passes at start) moved every draw again: before SIM-32's fix, chaos at 50
// orders broke on 2 of seeds 1-8000 (5521, 6640), and on 4 with SIM-33 set back too (841, 2910,
// 7186, 7207); with both fixes the first is 5058. So the budget is 6000. Since SIM-40's fix the
// first was 3862, the only one of 1-6000 (2026-12-03), and that hunt took 45 s under the
// sanitizers. Swarm finds it blind since it authorizes cards in seconds (the teeth's hunt, first
// seed 28; 9 of 1-1000 since the fulfilment outage, which took seed 13 out), so the test names two
// swarm seeds at 50 orders: as written the warehouse holds units committed to no live order (seed
// 28: SKU-2 at WH-2, 7 committed where live orders and other channels account for 4, and SKU-3
// at WH-1, 9 for 6; seed 202: SKU-4 at WH-2, 7 for 4); fixed, nothing breaks.
TEST(Detectors, SIM_15_ReservedAgainForACancelledOrder) {
  constexpr std::int32_t kOrders = 50;
  struct Case {
    std::uint64_t seed;
    std::vector<std::string> entities;
  };
  const std::vector<Case> cases = {{28, {"sku=SKU-2 wh=WH-2", "sku=SKU-3 wh=WH-1"}},
                                   {202, {"sku=SKU-4 wh=WH-2"}}};
  for (const Case& c : cases) {
    SCOPED_TRACE("seed " + std::to_string(c.seed));
    const AsWrittenAndFixed runs =
        RunSwarmBothWays(c.seed, kOrders, FindingId("SIM-15"), DefaultConfig());
    const std::int64_t broke = ExpectOnlyAsWrittenBreaks(runs, "STOCK-NO-LEAK", kOrders);
    EXPECT_EQ(broke, static_cast<std::int64_t>(c.entities.size()));
    std::vector<std::string> entities;
    for (const Violation& v : runs.reviewed.run.violations) entities.push_back(v.entity);
    EXPECT_EQ(entities, c.entities);
  }
}

// SIM-39, found by the sweep of `fixed` over swarm seeds 301..2300 at 1000 orders: the warehouse is
// slow past every deadline from 480 s to 2460 s, so sagas' reserves time out after their effect and
// leave release rows by reference, while one SKU sells out and its rows' lookups are refused; the
// lookups are a hot crash point. As written every life of the two compensation-worker replicas
// looks the refused rows up again first, by id, and dies before it reaches the newer rows whose
// reservations exist (sess-373:v8:0's row waited 34 minutes untried). Fixed, the rows not yet
// refused go first and nothing breaks, with as many crashes. SIM-44's fix (a call to the
// fulfilment service before a cancellation) draws this world anew, and none of swarm seeds
// 301..1400 at 1000 orders breaks with SIM-39 alone set back; SIM-44 is set back in both runs, so
// the world is the one the sweep found.
TEST(Detectors, SIM_39_RefusedReleaseRowsStarveTheOnesThatHoldStock) {
  constexpr std::int32_t kOrders = 1'000;
  const AsWrittenAndFixed runs =
      RunSwarmBothWays(1260, kOrders, FindingId("SIM-39"), DefaultConfig(), FindingId("SIM-44"));
  const std::int64_t late = ExpectOnlyAsWrittenBreaks(runs, "STOCK-NO-LEAK", kOrders);
  ASSERT_GT(late, 0) << "as written releases came late";
  for (const WorldRun* run : {&runs.reviewed, &runs.fixed}) {
    const auto crashes = run->world->CrashCounts();
    ASSERT_TRUE(crashes.contains("compensation-worker") &&
                crashes.contains("compensation-worker-2"));
    EXPECT_GE(crashes.at("compensation-worker") + crashes.at("compensation-worker-2"), 40u)
        << "both profiles' compensation workers crash-looped at the lookups";
  }
  std::printf("SIM-39: STOCK-NO-LEAK broken %lld times as written, 0 fixed\n",
              static_cast<long long>(late));
}

// SIM-40, found by the mutation run's big stage (swarm seed 5 at 2000 orders, an operator's
// 60-minute reservation TTL): a hot crash point at the order database's find_by_session kills
// every life of the checkout worker within moments of its start, inside CartCleanupWorker's lookups
// of hundreds of stale checkout carts; FailedCompensationWorker, in the same process as written,
// dies with it, and a compensated attempt's stock waits past STOCK-NO-LEAK's 5 minutes. Fixed,
// the compensation jobs run in a process of their own and nothing breaks.
TEST(Detectors, SIM_40_CompensationsDieWithTheCartCleanup) {
  constexpr std::int32_t kOrders = 2'000;
  Config config = DefaultConfig();
  config.order.reservation_timeout_minutes = 60;
  const AsWrittenAndFixed runs = RunSwarmBothWays(5, kOrders, FindingId("SIM-40"), config);
  const std::int64_t late = ExpectOnlyAsWrittenBreaks(runs, "STOCK-NO-LEAK", kOrders);
  ASSERT_GT(late, 0) << "as written a release came late";
  const auto crashes = runs.reviewed.world->CrashCounts();
  ASSERT_TRUE(crashes.contains("checkout-worker"));
  EXPECT_GE(crashes.at("checkout-worker"), 10u) << "the checkout worker crash-looped";
  EXPECT_EQ(runs.fixed.world->job_services().at("FailedCompensationWorker"),
            std::set<std::string>{"compensation-worker"});
  std::printf(
      "SIM-40: STOCK-NO-LEAK broken %lld times as written (checkout worker crashed %llu "
      "times), 0 fixed\n",
      static_cast<long long>(late), static_cast<unsigned long long>(crashes.at("checkout-worker")));
}

// SIM-42, found by the sweep of `fixed` over swarm seeds 2301..4300 at 1000 orders: payment.capture
// is a hot crash point, and the order worker's one replica dies at it again at every restart, when
// the bus redelivers the capture requests it had in flight (over 90 crashes). As written
// DLQRetryWorker and ReservationCleanupJob run in the same process: their passes at start (SIM-35)
// die before they reach two cancelled orders' release rows, whose stock (res-268, res-305) stays
// held past STOCK-NO-LEAK's 5 minutes. The crashes are at a payment port, not the release's, so
// that downtime counts. Fixed, the stock repairs run in a process of their own and nothing breaks,
// with as many crashes of the order worker.
TEST(Detectors, SIM_42_StockRepairsDieWithTheCaptureConsumer) {
  constexpr std::int32_t kOrders = 1'000;
  const AsWrittenAndFixed runs =
      RunSwarmBothWays(2614, kOrders, FindingId("SIM-42"), DefaultConfig());
  const std::int64_t late = ExpectOnlyAsWrittenBreaks(runs, "STOCK-NO-LEAK", kOrders);
  // Which reservations come late moves whenever a fix draws this world anew (docs/findings.md,
  // SIM-42, has each build's); these are the ones of this build's world.
  std::vector<std::string> entities;
  for (const Violation& v : runs.reviewed.run.violations) entities.push_back(v.entity);
  EXPECT_EQ(entities, (std::vector<std::string>{"reservation=res-268", "reservation=res-305",
                                                "reservation=res-377", "reservation=res-378"}));
  EXPECT_EQ(late, 4);
  EXPECT_EQ(runs.fixed.world->job_services().at("DLQRetryWorker"),
            std::set<std::string>{"order-repair-worker"});
  EXPECT_EQ(runs.reviewed.world->job_services().at("DLQRetryWorker"),
            std::set<std::string>{"order-worker"});
  for (const WorldRun* run : {&runs.reviewed, &runs.fixed}) {
    const auto crashes = run->world->CrashCounts();
    ASSERT_TRUE(crashes.contains("order-worker"));
    EXPECT_GE(crashes.at("order-worker"), 80u) << "both profiles' order workers crash-looped";
  }
  std::printf(
      "SIM-42: STOCK-NO-LEAK broken %lld times as written (order worker crashed %llu "
      "times), 0 fixed\n",
      static_cast<long long>(late),
      static_cast<unsigned long long>(runs.reviewed.world->CrashCounts().at("order-worker")));
}

// SIM-43, found when the mutation run's big stage killed M10 (status moves without their dedup):
// on swarm seed 70 at 50 orders `order-sess-33`'s `processing` event is published at 722 s and
// refused by its consumer until 2466 s, and `shipped` (the goods left at 2042 s, the bus was down
// until 2404 s) is delivered at 2465 s, to an order still `confirmed`. As written it is
// acknowledged as if late and the order stays `processing` for good; ORDER-SETTLES reads the
// fulfilment service's own record of what it shipped. Fixed, the early event is delivered again
// once the order is `processing`, and nothing breaks.
TEST(Detectors, SIM_43_EarlyShippedEventIsDropped) {
  constexpr std::int32_t kOrders = 50;
  const AsWrittenAndFixed runs =
      RunSwarmBothWays(70, kOrders, FindingId("SIM-43"), DefaultConfig());
  const std::int64_t stuck = ExpectOnlyAsWrittenBreaks(runs, "ORDER-SETTLES", kOrders);
  EXPECT_EQ(stuck, 1) << "order-sess-33";
  for (const WorldRun* run : {&runs.reviewed, &runs.fixed}) {
    ASSERT_TRUE(run->world->fulfilment_shipped().contains("order-sess-33"));
  }
  EXPECT_EQ(runs.reviewed.world->order_db().Orders().at("order-sess-33").status,
            OrderStatus::kProcessing);
  EXPECT_EQ(runs.fixed.world->order_db().Orders().at("order-sess-33").status,
            OrderStatus::kDelivered);
}

// SIM-44, the open question of SIM-43's sweep made a finding: as written the order service
// cancels a confirmed or processing order without asking fulfilment, which hears of it only from
// the bus. Both ways it goes wrong, at 50 orders on swarm seeds:
// - seed 12: order-sess-4 is cancelled at 2388 s; its cancelled event waits in the outbox until
//   2412 s, and fulfilment ships at 2400 s. The order ends refunded, its goods on the way.
// - seed 33: order-sess-33's goods leave at 3120 s while the bus is down; the customer cancels the
//   still-processing order at 3505 s. It ends cancelled; it was paid in cash on delivery, and the
//   carrier, who delivers what left the warehouse, collects the cash (MONEY-CONSERVED).
// Fixed, fulfilment holds order-sess-4 before the cancellation commits (then stops on hearing of
// it), and refuses order-sess-33's call-off, which is delivered.
TEST(Detectors, SIM_44_CancelledOrdersGoodsLeaveAnyway) {
  constexpr std::int32_t kOrders = 50;
  struct Case {
    std::uint64_t seed;
    std::string order;
    std::map<std::string, std::int64_t> as_written_breaks;
    OrderStatus as_written;
    OrderStatus fixed;
    bool shipped_when_fixed;
  };
  const std::vector<Case> cases = {{12,
                                    "order-sess-4",
                                    {{"ORDER-SETTLES", 1}},
                                    OrderStatus::kRefunded,
                                    OrderStatus::kRefunded,
                                    false},
                                   {33,
                                    "order-sess-33",
                                    {{"MONEY-CONSERVED", 1}, {"ORDER-SETTLES", 1}},
                                    OrderStatus::kCancelled,
                                    OrderStatus::kDelivered,
                                    true}};
  for (const Case& c : cases) {
    SCOPED_TRACE("seed " + std::to_string(c.seed));
    const AsWrittenAndFixed runs =
        RunSwarmBothWays(c.seed, kOrders, FindingId("SIM-44"), DefaultConfig());
    EXPECT_EQ(runs.reviewed.run.violation_counts, c.as_written_breaks);
    EXPECT_TRUE(runs.fixed.run.violation_counts.empty());
    EXPECT_EQ(runs.fixed.run.customers, kOrders);
    const auto settles =
        std::find_if(runs.reviewed.run.violations.begin(), runs.reviewed.run.violations.end(),
                     [](const Violation& v) { return v.invariant == "ORDER-SETTLES"; });
    ASSERT_NE(settles, runs.reviewed.run.violations.end());
    EXPECT_EQ(settles->entity, "order=" + c.order);
    EXPECT_TRUE(runs.reviewed.world->fulfilment_shipped().contains(c.order));
    EXPECT_EQ(runs.reviewed.world->order_db().Orders().at(c.order).status, c.as_written);
    EXPECT_EQ(runs.fixed.world->fulfilment_shipped().contains(c.order), c.shipped_when_fixed);
    EXPECT_EQ(runs.fixed.world->order_db().Orders().at(c.order).status, c.fixed);
    EXPECT_GE(runs.fixed.world->counts().cancellations_during_fulfilment, 1);
  }
}

// P2-CC-03 / EC-12 is a missing feature, not a leak: as reviewed no points move, so no invariant
// can break (LOYALTY-CONSERVED holds trivially). This feature scenario shows what is missing: the
// customers of a whole world ask to redeem points they have; fixed, the orders carry them and the
// loyalty service (its own ground truth) deducted exactly those; as reviewed, nothing is redeemed
// anywhere and the customers pay full price.
TEST(Features, P2_CC_03_PointsAreRedeemedAtCheckout) {
  Profile as_reviewed = Profile::AllFixed();
  as_reviewed.SetAsReviewed(FindingId("P2-CC-03"));
  std::int64_t fixed_orders_with_points = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const WorldRun fixed = RunWorld(seed, 40, Profile::AllFixed(), DefaultConfig());
    EXPECT_TRUE(fixed.run.violation_counts.empty()) << "seed " << seed;
    const auto& loyalty = fixed.world->loyalty();
    for (const auto& [id, order] : fixed.world->order_db().Orders()) {
      if (order.points_redeemed == 0) continue;
      ++fixed_orders_with_points;
      EXPECT_EQ(order.points_value, order.points_redeemed * kVnd) << id;
      // Given back on cancellation; otherwise still deducted.
      const std::int64_t held = IsLive(order.status) ? order.points_redeemed : 0;
      EXPECT_EQ(loyalty.RedeemedActive(order.checkout_attempt), held) << id;
    }
    EXPECT_GT(loyalty.TotalRedeemed(), 0) << "seed " << seed;

    const WorldRun reviewed = RunWorld(seed, 40, as_reviewed, DefaultConfig());
    EXPECT_TRUE(reviewed.run.violation_counts.empty()) << "seed " << seed << ": nothing to break";
    std::int64_t asked = 0;
    for (const auto& customer : reviewed.world->workload().customers) {
      if (customer.points_to_redeem > 0 && customer.points_balance >= customer.points_to_redeem)
        ++asked;
    }
    EXPECT_GT(asked, 0) << "seed " << seed << ": customers asked to redeem points they have";
    EXPECT_EQ(reviewed.world->loyalty().TotalRedeemed(), 0) << "seed " << seed;
    for (const auto& [id, order] : reviewed.world->order_db().Orders()) {
      EXPECT_EQ(order.points_redeemed, 0) << id;
    }
    std::printf(
        "P2-CC-03 seed %llu: %lld customers asked for points; fixed redeemed %lld points, "
        "as reviewed 0\n",
        static_cast<unsigned long long>(seed), static_cast<long long>(asked),
        static_cast<long long>(loyalty.TotalRedeemed()));
  }
  EXPECT_GT(fixed_orders_with_points, 0);
}

}  // namespace
}  // namespace csim::properties
