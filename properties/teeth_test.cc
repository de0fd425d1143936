// Teeth: the explorer finds each behavioural finding by itself. For each finding, a swarm sweep
// of `fixed` with only that finding turned back to as-reviewed must break its detecting
// invariant within kSeedsMax seeds at 50 orders, and the same seeds under plain `fixed` must
// break nothing. The workload, world and faults are drawn the same way under both: the explorer
// is not pointed at the finding, it finds it because core behaves differently.
//
// One test for all findings, so the fixed sweep runs once (ctest runs each test in a process of
// its own). It prints, per finding, the first seed that broke the invariant (the README's teeth
// table is made from these lines).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "properties/sweep.h"

namespace csim::properties {
namespace {

constexpr std::uint64_t kSeedsMax = 200;
constexpr std::int32_t kOrders = 50;

SweepOptions Swarm(std::uint64_t last_seed) {
  SweepOptions options;
  options.first_seed = 1;
  options.last_seed = last_seed;
  options.jobs = 2;
  options.workload.orders = kOrders;
  options.world.faults = sim::FaultPlan::Swarm();
  return options;
}

struct Hunt {
  std::string finding;
  std::string invariant;  // the detecting invariants it looks for, space separated: any one counts
  bool legacy_warehouse = false;
  bool deprecated_http_subscription = false;
  // Set back with the hunted finding, where a later fix hides most of it (the README says which).
  std::string also_as_reviewed = "";
};

// Whether the space-separated `list` has `name` as one of its words.
bool ListNames(std::string_view list, std::string_view name) {
  CSIM_CHECK(!name.empty(), "an invariant has a name");
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t end = std::min(list.find(' ', start), list.size());
    if (list.substr(start, end - start) == name) return true;
    start = end + 1;
  }
  return false;
}

void ExpectFoundBlind(const Hunt& hunt) {
  SweepOptions options = Swarm(kSeedsMax);  // every hunt has the same budget
  options.world.order_uses_legacy_warehouse = hunt.legacy_warehouse;
  options.world.deprecated_http_subscription = hunt.deprecated_http_subscription;
  auto finding = LookupFinding(hunt.finding);
  ASSERT_TRUE(finding.has_value()) << hunt.finding;
  options.world.profile.SetAsReviewed(*finding);
  if (!hunt.also_as_reviewed.empty()) {
    auto also = LookupFinding(hunt.also_as_reviewed);
    ASSERT_TRUE(also.has_value()) << hunt.also_as_reviewed;
    options.world.profile.SetAsReviewed(*also);
  }
  std::atomic<bool> found{false};
  std::mutex mutex;
  std::uint64_t first_seed = 0;
  const SweepResult hunted = RunSweep(
      options,
      [&](const SeedOutcome& outcome) {
        for (const std::string& name : outcome.invariants) {
          if (!ListNames(hunt.invariant, name)) continue;
          std::lock_guard lock(mutex);
          if (first_seed == 0 || outcome.seed < first_seed) first_seed = outcome.seed;
          found = true;
        }
      },
      &found);
  EXPECT_NE(first_seed, 0u) << hunt.finding << " as reviewed never broke " << hunt.invariant
                            << " in " << hunted.seeds_run << " swarm seeds at " << kOrders
                            << " orders";
  std::printf("teeth %s: %s first broken on seed %llu (%llu seeds run)\n", hunt.finding.c_str(),
              hunt.invariant.c_str(), static_cast<unsigned long long>(first_seed),
              static_cast<unsigned long long>(hunted.seeds_run));
}

// Plain `fixed` over the same 200 swarm seeds must break nothing. It broke on 5 of them before
// SIM-10 and SIM-11 were fixed (seeds 10, 80, 107, 197, 200).
TEST(Teeth, FixedHoldsOnTheSwarmSeeds) {
  const SweepResult fixed = RunSweep(Swarm(kSeedsMax));
  ASSERT_EQ(fixed.seeds_run, kSeedsMax);
  for (const SeedOutcome& failure : fixed.failures) {
    ADD_FAILURE() << "fixed broke seed " << failure.seed << ": "
                  << (failure.invariants.empty() ? failure.internal_error
                                                 : failure.invariants.front());
  }
}

TEST(Teeth, EveryBehaviouralFindingIsFoundBlind) {
  const Hunt hunts[] = {
      {"P0-CC-01", "ORDER-SETTLES"},
      {"EC-08", "NO-PHANTOM-WAREHOUSE"},
      {"P1-CC-03", "NO-SILENT-EVENT-LOSS"},
      {"EC-06", "STOCK-NO-LEAK"},
      {"R-1.4", "ORDER-SETTLES"},
      {"R-1.5", "PRICE-AS-CONFIRMED"},
      {"R-3.3", "EFFECT-ONCE", false, true},
      {"EC-14", "STOCK-NO-LEAK", true},
      {"SIM-01", "ORDER-SETTLES"},
      {"SIM-02", "SAGA-SETTLES"},
      {"SIM-03", "SAGA-SETTLES"},
      {"SIM-06", "STOCK-NO-LEAK"},
      {"SIM-07", "SAGA-SETTLES"},
      // A spent budget leaves a void's hold (SAGA-SETTLES) or a release's reservation held
      // (STOCK-NO-LEAK, timely half), whichever compensation the outage met.
      {"SIM-10", "SAGA-SETTLES STOCK-NO-LEAK"},
      {"SIM-11", "STOCK-NO-LEAK"},
      {"P2-CC-04", "PROMO-NO-BUDGET-LEAK"},
      // SIM-30's fix gives a cancellation's stock back through release rows written with it, so
      // ReservationCleanupJob, whose scan SIM-04 is about, rarely has anything left to release:
      // with SIM-04 alone set back 1 of swarm seeds 1-1000 breaks (246), with SIM-30 too 61
      // (first 6). The hunt sets SIM-30 back, as its detector hunt does.
      {"SIM-04", "STOCK-NO-LEAK", false, false, "SIM-30"},
      {"SIM-05", "ORDER-SETTLES"},
      // The order its compensation released keeps those reservations while it is live: that is
      // CART-NOT-CLEANED-UNDER-LIVE-ORDER's first half, and it breaks on more seeds than the
      // retry's held stock does.
      {"SIM-08", "STOCK-NO-LEAK CART-NOT-CLEANED-UNDER-LIVE-ORDER"},
      // Reached within the budget since swarm draws a slow bank (payments that wait on the
      // customer until reservations lapse meet the re-reservation: SIM-09, SIM-15) and one port's
      // bad day (a warehouse outage that outlasts what a reservation has left: SIM-14).
      // SIM-09 is the rarest of them: 7 of swarm seeds 1-1000 (first 218) since SIM-29's and
      // SIM-30's fixes and the drawn operator TTLs (longer reservations lapse less) changed the
      // worlds; it was 3 or 9 before. Since customers come back after an outage its first seed is
      // 26 (27 since swarm authorizes cards in seconds, 51 since its hot points), and its budget is
      // the 200 seeds of every hunt again (it was 400).
      {"SIM-09", "ORDER-SETTLES"},
      {"SIM-14", "ORDER-SETTLES"},
      // SIM-15 was always near the edge (first seed 83, 3 of 1-1000); SIM-32's redrives (a DLQ
      // call a minute after every compensation row) and SIM-33's passes at start changed the
      // worlds: first seed 807 after SIM-32, 539 after both, 262 since SIM-35, 178 since customers
      // come back after an outage, 13 since swarm authorizes cards in seconds. Its budget is the
      // 200 seeds of every hunt again (it was 1000).
      {"SIM-15", "STOCK-NO-LEAK"},
      // Reached within the budget since swarm draws one bad day on some seeds: a payment outage on
      // a shop with a small cron batch (SIM-16), a stalling checkout-api host (SIM-17), a long
      // warehouse slow period that on half of such days hangs in its middle (SIM-18: the release
      // rows' lookups hang until they back off for minutes, and the first lookup after the hang
      // reserves what the saga never got), a broker outage that loses reservation_expired events
      // while customers never approve (EC-11). On half of the other seeds one dependency answers
      // past its callers' deadline for 10-40 minutes (a slow payment provider: SIM-03; a slow order
      // service: SIM-08). SIM-19, SIM-21 to SIM-32, SIM-34 to SIM-40 and SIM-42 are not
      // reached within the budget (the README). SIM-21 was, on one seed (7, a degraded-egress
      // incident), until the world's supplier deliveries changed that seed's world.
      {"EC-11", "ORDER-SETTLES"},
      {"SIM-16", "SAGA-SETTLES"},
      {"SIM-17", "CART-NOT-CLEANED-UNDER-LIVE-ORDER"},
      {"SIM-18", "STOCK-NO-LEAK"},
      // A broker client's crash loop through the broker's outage (a checkout worker that never
      // lives a minute makes no FailedCompensationWorker pass as reviewed): 6 of swarm seeds
      // 1-2000 (first 42); 1 (1789, a bad deploy) before the broker's clients looped. SIM-40's
      // fix moved FailedCompensationWorker to a process of its own, which holds no broker
      // connection and so does not loop with the broker's clients: with SIM-33 alone set back 0
      // of swarm seeds 1-1000 break. The hunt sets SIM-40 back, as it was when SIM-33 was found.
      {"SIM-33", "STOCK-NO-LEAK", false, false, "SIM-40"},
      // Reached within the budget since swarm draws an operator's reservation TTL on half of the
      // seeds, most of them longer than the cart cleanup's auto_cancel_minutes (30): an abandoned
      // attempt's reservation then outlasts the cleanup that leaves it to its TTL. P1-CC-04 needs
      // that and more (an order still unpaid 30 minutes after its checkout began): 2 of swarm
      // seeds 1-1000 (first 70) with the TTL on 30 % of seeds; 3 (first 596) once swarm heated a
      // few points per seed; 7 (first 47: a 120-minute TTL, an order creation and the lookups
      // after it timing out, so the cleanup releases order-sess-37's stock at 40 minutes) with
      // the TTL on half of the seeds.
      {"SIM-13", "STOCK-NO-LEAK"},
      {"P1-CC-04", "CART-NOT-CLEANED-UNDER-LIVE-ORDER"},
      // An early fulfilment event dropped (SIM-43): 6 of swarm seeds 1-1000 (first 70), a
      // `processing` event refused or held back by the bus while `shipped` gets through.
      {"SIM-43", "ORDER-SETTLES"},
      // A cancellation fulfilment hears of only from the bus (SIM-44): 43 of swarm seeds 1-1000
      // (first 12): the cancelled event waits in the outbox while the goods leave, or the goods
      // left while the bus was down and the still-processing order is cancelled.
      {"SIM-44", "ORDER-SETTLES"},
      // SIM-37 (NO-SILENT-EVENT-LOSS's timely half) was hunted here while its first seed lay
      // within the budget: 6 of swarm seeds 1-1000 (first 16) before SIM-42's fix, which moved
      // the order service's stock repairs to a process of their own and so drew every world with
      // an order anew; 6 of 1-1000 still, first 360. Its world test stands in (invariants_test).
  };
  for (const Hunt& hunt : hunts) ExpectFoundBlind(hunt);
}

}  // namespace
}  // namespace csim::properties
