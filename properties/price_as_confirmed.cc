// PRICE-AS-CONFIRMED: an order's total equals the total its customer confirmed for the attempt
// that created it, within 0.05 VND.
#include <fmt/format.h>

#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckPriceAsConfirmed(const sim::World& world, bool, std::vector<Violation>& out) {
  const auto& confirmed = world.confirmed_totals();
  for (const auto& [id, order] : world.order_db().Orders()) {
    auto seen = confirmed.find(order.checkout_attempt);
    if (seen == confirmed.end()) continue;  // its customer's confirm call has not returned yet
    const Money difference =
        order.total > seen->second ? order.total - seen->second : seen->second - order.total;
    if (difference <= kTotalToleranceMoney) continue;
    out.push_back({"PRICE-AS-CONFIRMED", "order=" + id,
                   fmt::format("total {} as confirmed", seen->second),
                   fmt::format("total {}", order.total), world.kernel().now()});
  }
}

}  // namespace csim::properties
