// PRICE-AS-CONFIRMED: an order's total equals a total its customer confirmed for that checkout
// attempt (one per tab or click that sent a confirm), within 0.05 VND.
#include <fmt/format.h>

#include "fakes/fake_order_store.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

void CheckOrder(const Truth& world, std::string_view id, const Order& order,
                std::vector<Violation>& out) {
  const auto& confirmed = world.confirmed_totals();
  auto seen = confirmed.find(order.checkout_attempt);
  if (seen == confirmed.end()) return;  // no customer of this world sent it (unit worlds)
  CSIM_CHECK(!seen->second.empty(), "a recorded attempt has a confirmed total");
  bool as_confirmed = false;
  for (const Money total : seen->second) {
    const Money difference = order.total > total ? order.total - total : total - order.total;
    as_confirmed = as_confirmed || difference <= kTotalToleranceMoney;
  }
  if (as_confirmed) return;
  out.push_back({"PRICE-AS-CONFIRMED", fmt::format("order={}", id),
                 fmt::format("total {} as confirmed", fmt::join(seen->second, " or ")),
                 fmt::format("total {}", order.total), world.now()});
}

}  // namespace

void CheckPriceAsConfirmed(const Truth& world, bool, std::vector<Violation>& out) {
  for (const auto& [id, order] : world.order_db().Orders()) CheckOrder(world, id, order, out);
}

void CheckPriceAsConfirmedChanged(const sim::World& world, const ChangeTracker&,
                                  const Changes& changes, std::vector<Violation>& out) {
  // A total confirmed later for a known attempt only adds a way to match; an attempt's first one
  // after its order is named by the tracker.
  ForEachHeld(
      changes.orders, [&](std::string_view id) { return world.order_db().FindOrder(id); },
      [&](std::string_view id, const Order& order) { CheckOrder(world, id, order, out); });
}

}  // namespace csim::properties
