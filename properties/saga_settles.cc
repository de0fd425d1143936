// SAGA-SETTLES (settled): every checkout ended completed or fully compensated: a session without a
// live order holds no authorization, promotion usage or redeemed points, and its compensation left
// no coupon lock to its TTL (saga_locks.cc). NO-LEAKED-AUTH (no_leaked_auth.cc) asks the same of
// each authorization, and that a live order's was captured.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_promotions.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"

namespace csim::properties {

void CheckSagaSettles(const Truth& world, bool settled, std::vector<Violation>& out) {
  if (!settled) return;
  const TimeUs now = world.now();
  const auto by_attempt = OrdersByAttempt(world.order_db().Orders());
  auto live = [&](const std::string& attempt) {
    auto order = by_attempt.find(attempt);
    return order != by_attempt.end() && IsLive(order->second->status);
  };
  constexpr std::string_view kAuthPrefix = "auth:";
  for (const auto& auth : world.payment().Authorizations()) {
    if (auth.status != fakes::AuthStatus::kAuthorized) continue;
    std::string attempt = auth.idempotency_key.substr(kAuthPrefix.size());
    if (live(attempt)) continue;
    out.push_back({"SAGA-SETTLES", "authorization=" + auth.id,
                   "voided: attempt " + attempt + " has no live order", "still authorized", now});
  }
  for (const auto& [code, promo] : world.promotions().PromotionsByCode()) {
    for (const auto& [reference, discount] : promo.usages) {
      if (live(reference)) continue;
      out.push_back({"SAGA-SETTLES", fmt::format("promo={} attempt={}", code, reference),
                     "usage released: no live order", fmt::format("usage of {} kept", discount),
                     now});
    }
  }
  for (const auto& [reference, redemption] : world.loyalty().Redemptions()) {
    if (redemption.given_back || live(reference)) continue;
    out.push_back({"SAGA-SETTLES", "redemption=" + reference, "points given back: no live order",
                   fmt::format("{} points kept", redemption.points), now});
  }
  CheckCouponLocksReleased(world, out);
}

}  // namespace csim::properties
