// PRICE-AS-CONFIRMED: an order's total equals a total its customer confirmed for that checkout
// attempt (one per tab or click that sent a confirm), within 0.05 VND.
#include <fmt/format.h>

#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckPriceAsConfirmed(const Truth& world, bool, std::vector<Violation>& out) {
  const auto& confirmed = world.confirmed_totals();
  for (const auto& [id, order] : world.order_db().Orders()) {
    auto seen = confirmed.find(order.checkout_attempt);
    if (seen == confirmed.end()) continue;  // no customer of this world sent it (unit worlds)
    CSIM_CHECK(!seen->second.empty(), "a recorded attempt has a confirmed total");
    bool as_confirmed = false;
    for (const Money total : seen->second) {
      const Money difference = order.total > total ? order.total - total : total - order.total;
      as_confirmed = as_confirmed || difference <= kTotalToleranceMoney;
    }
    if (as_confirmed) continue;
    out.push_back({"PRICE-AS-CONFIRMED", "order=" + id,
                   fmt::format("total {} as confirmed", fmt::join(seen->second, " or ")),
                   fmt::format("total {}", order.total), world.now()});
  }
}

}  // namespace csim::properties
