// CART-NOT-CLEANED-UNDER-LIVE-ORDER: cleanup never abandons the cart of a live order (always),
// and once settled no live order is left with a reservation that was released from under it.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"

namespace csim::properties {

void CheckCartNotCleanedUnderLiveOrder(const sim::World& world, bool settled,
                                       std::vector<Violation>& out) {
  const TimeUs now = world.kernel().now();
  const auto by_session = OrdersBySession(world.order_db().Orders());
  for (const auto& [id, cart] : world.checkout_db().Carts()) {
    if (cart.status != CartStatus::kAbandoned) continue;
    auto order = by_session.find(cart.session_id);
    if (order == by_session.end() || !IsLive(order->second->status)) continue;
    out.push_back({"CART-NOT-CLEANED-UNDER-LIVE-ORDER", "cart=" + id,
                   "not abandoned while " + order->second->id + " is live", "abandoned", now});
  }
  if (!settled) return;
  for (const auto& [session, order] : by_session) {
    if (!IsLive(order->status)) continue;
    for (const OrderItem& item : order->items) {
      const fakes::Reservation* r = world.warehouse().FindReservation(item.reservation_id);
      if (r == nullptr || r->status != fakes::ReservationStatus::kReleased) continue;
      out.push_back({"CART-NOT-CLEANED-UNDER-LIVE-ORDER", "order=" + order->id,
                     "its reservations kept", "reservation " + r->id + " released", now});
    }
  }
}

}  // namespace csim::properties
