// NO-LEAKED-AUTH (settled): every payment authorization is captured for a live order, or voided or
// lapsed for an order that does not exist or was cancelled; and money captured on an authorization
// whose order is not live went back (refunded in full). Read per authorization from the gateway,
// against the order store by checkout attempt: SAGA-SETTLES asks the same of each attempt's
// compensation, this asks it of each hold on a customer's card, including the holds of orders
// that were created and later cancelled.
#include <fmt/format.h>

#include <string_view>

#include "core/order/transitions.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"

namespace csim::properties {

void CheckNoLeakedAuth(const Truth& world, bool settled, std::vector<Violation>& out) {
  if (!settled) return;
  const TimeUs now = world.now();
  const auto by_attempt = OrdersByAttempt(world.order_db().Orders());
  constexpr std::string_view kAuthPrefix = "auth:";
  for (const fakes::Authorization& auth : world.payment().Authorizations()) {
    // Every authorization core asks for is keyed by its attempt; a key of another shape was not
    // made by a checkout, and no order can answer for it.
    if (!auth.idempotency_key.starts_with(kAuthPrefix)) continue;
    const std::string attempt = auth.idempotency_key.substr(kAuthPrefix.size());
    auto found = by_attempt.find(attempt);
    const Order* order = found == by_attempt.end() ? nullptr : found->second;
    const std::string entity = "authorization=" + auth.id;
    if (order != nullptr && IsLive(order->status)) {
      if (auth.status == fakes::AuthStatus::kCaptured && auth.order_id == order->id) continue;
      out.push_back({"NO-LEAKED-AUTH", entity, "captured for live order " + order->id,
                     fmt::format("{}{}", fakes::Name(auth.status),
                                 auth.order_id.empty() ? "" : " for " + auth.order_id),
                     now});
      continue;
    }
    const std::string owner = order == nullptr
                                  ? "attempt " + attempt + " has no order"
                                  : order->id + " is " + std::string{Name(order->status)};
    if (auth.status == fakes::AuthStatus::kAuthorized) {
      out.push_back(
          {"NO-LEAKED-AUTH", entity, "voided or lapsed: " + owner, "still authorized", now});
    } else if (auth.status == fakes::AuthStatus::kCaptured && auth.refunded != auth.captured) {
      out.push_back({"NO-LEAKED-AUTH", entity, "refunded in full: " + owner,
                     fmt::format("captured {}, refunded {}", auth.captured, auth.refunded), now});
    }
  }
}

}  // namespace csim::properties
