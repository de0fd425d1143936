#include "properties/invariant.h"

#include "properties/change_tracker.h"

namespace csim::properties {

const std::vector<Invariant>& AllInvariants() {
  static const std::vector<Invariant> kAll{
      {"NO-OVERSELL", InvariantKind::kAlways, &CheckNoOversell, &CheckNoOversellChanged},
      {"NO-PHANTOM-WAREHOUSE", InvariantKind::kAlways, &CheckNoPhantomWarehouse,
       &CheckNoPhantomWarehouseChanged},
      {"STOCK-NO-LEAK", InvariantKind::kBoth, &CheckStockNoLeak, &CheckStockNoLeakChanged},
      {"PROMO-NO-BUDGET-LEAK", InvariantKind::kBoth, &CheckPromoNoBudgetLeak,
       &CheckPromoNoBudgetLeakChanged},
      // Per authorization, from the gateway: settled only, since a hold is voided or captured
      // minutes after its order changes, and its lapse (7 days) lies far past the drain.
      {"NO-LEAKED-AUTH", InvariantKind::kSettled, &CheckNoLeakedAuth},
      {"MONEY-CONSERVED", InvariantKind::kBoth, &CheckMoneyConserved, &CheckMoneyConservedChanged},
      // Read from the order database's append-only log of status changes: one check after the
      // drain sees every change ever committed, each reported at the time it was made.
      // (ONE-ORDER-PER-SESSION is not here: the order database's unique constraint on
      // cart_session_id, which the review names and the fake enforces, guarantees it, so checking
      // it would test the fake, not the services.)
      {"VALID-TRANSITIONS", InvariantKind::kSettled, &CheckValidTransitions},
      {"PRICE-AS-CONFIRMED", InvariantKind::kAlways, &CheckPriceAsConfirmed,
       &CheckPriceAsConfirmedChanged},
      {"EFFECT-ONCE", InvariantKind::kSettled, &CheckEffectOnce},  // the bus keeps every event
      {"NO-SILENT-EVENT-LOSS", InvariantKind::kBoth, &CheckNoSilentEventLoss,
       &CheckNoSilentEventLossChanged},
      {"EVENT-SETTLES", InvariantKind::kSettled, &CheckEventSettles},  // the bus's deliveries
      // The order database's rows and log of status changes against the events the bus accepted.
      {"STATUS-CHANGES-PUBLISHED", InvariantKind::kSettled, &CheckStatusChangesPublished},
      {"ORDER-SETTLES", InvariantKind::kSettled, &CheckOrderSettles},
      {"CART-NOT-CLEANED-UNDER-LIVE-ORDER", InvariantKind::kAlways,
       &CheckCartNotCleanedUnderLiveOrder, &CheckCartNotCleanedUnderLiveOrderChanged},
      {"SAGA-SETTLES", InvariantKind::kSettled, &CheckSagaSettles},
      {"LOYALTY-CONSERVED", InvariantKind::kBoth, &CheckLoyaltyConserved,
       &CheckLoyaltyConservedChanged},
  };
  return kAll;
}

std::vector<Violation> CheckInvariants(const Truth& world, bool settled) {
  std::vector<Violation> found;
  for (const Invariant& invariant : AllInvariants()) {
    if (invariant.kind == InvariantKind::kSettled && !settled) continue;
    invariant.check(world, settled, found);
  }
  return found;
}

std::vector<Violation> CheckChangedInvariants(const sim::World& world, ChangeTracker& tracker) {
  const Changes& changes = tracker.Step(world);
  std::vector<Violation> found;
  if (changes.empty()) return found;  // each check_changed looks only at the rows named
  for (const Invariant& invariant : AllInvariants()) {
    if (invariant.kind == InvariantKind::kSettled) continue;
    CSIM_CHECK(invariant.check_changed != nullptr, "an always invariant checks changes");
    invariant.check_changed(world, tracker, changes, found);
  }
  return found;
}

}  // namespace csim::properties
