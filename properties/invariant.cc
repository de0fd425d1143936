#include "properties/invariant.h"

namespace csim::properties {

const std::vector<Invariant>& AllInvariants() {
  static const std::vector<Invariant> kAll{
      {"NO-OVERSELL", InvariantKind::kAlways, &CheckNoOversell},
      {"NO-PHANTOM-WAREHOUSE", InvariantKind::kAlways, &CheckNoPhantomWarehouse},
      {"STOCK-NO-LEAK", InvariantKind::kBoth, &CheckStockNoLeak},
      {"PROMO-NO-BUDGET-LEAK", InvariantKind::kBoth, &CheckPromoNoBudgetLeak},
      {"MONEY-CONSERVED", InvariantKind::kBoth, &CheckMoneyConserved},
      // Read from the order database's append-only log of status changes: one check after the
      // drain sees every change ever committed, each reported at the time it was made.
      // (ONE-ORDER-PER-SESSION is not here: the order database's unique constraint on
      // cart_session_id, which the review names and the fake enforces, guarantees it, so checking
      // it would test the fake, not the services.)
      {"VALID-TRANSITIONS", InvariantKind::kSettled, &CheckValidTransitions},
      {"PRICE-AS-CONFIRMED", InvariantKind::kAlways, &CheckPriceAsConfirmed},
      {"EFFECT-ONCE", InvariantKind::kSettled, &CheckEffectOnce},  // the bus keeps every event
      {"NO-SILENT-EVENT-LOSS", InvariantKind::kSettled, &CheckNoSilentEventLoss},
      {"EVENT-SETTLES", InvariantKind::kSettled, &CheckEventSettles},  // the bus's deliveries
      {"ORDER-SETTLES", InvariantKind::kSettled, &CheckOrderSettles},
      {"CART-NOT-CLEANED-UNDER-LIVE-ORDER", InvariantKind::kAlways,
       &CheckCartNotCleanedUnderLiveOrder},
      {"SAGA-SETTLES", InvariantKind::kSettled, &CheckSagaSettles},
      {"LOYALTY-CONSERVED", InvariantKind::kBoth, &CheckLoyaltyConserved},
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

}  // namespace csim::properties
