// CART-NOT-CLEANED-UNDER-LIVE-ORDER (always): cleanup never abandons the cart of a live order, and
// no live order holds a reservation that was released from under it. Both are checked after every
// event: a release under a live order is harm at that moment (its stock is free for anyone to
// take), even if the order later reserves again (SIM-05's fix) or is cancelled.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"

namespace csim::properties {

void CheckCartNotCleanedUnderLiveOrder(const Truth& world, bool, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  const auto& orders = world.order_db().Orders();
  // An order is never cancelled before its release commits (SIM-01's fix), so a released
  // reservation on a live order was released by someone who must not have (the warehouse marks a
  // reservation released only while it held stock: releasing a lapsed one changes nothing).
  for (const auto& [id, order] : orders) {
    if (!IsLive(order.status)) continue;
    for (const OrderItem& item : order.items) {
      const fakes::Reservation* r = world.warehouse().FindReservation(item.reservation_id);
      if (r == nullptr || r->status != fakes::ReservationStatus::kReleased) continue;
      out.push_back({"CART-NOT-CLEANED-UNDER-LIVE-ORDER", "order=" + order.id,
                     "its reservations kept while it is live", "reservation " + r->id + " released",
                     now});
    }
  }
  bool any_abandoned = false;
  for (const auto& [id, cart] : world.checkout_db().Carts()) {
    any_abandoned = any_abandoned || cart.status == CartStatus::kAbandoned;
  }
  if (!any_abandoned) return;
  const auto by_session = OrdersBySession(orders);
  for (const auto& [id, cart] : world.checkout_db().Carts()) {
    if (cart.status != CartStatus::kAbandoned) continue;
    auto order = by_session.find(cart.session_id);
    if (order == by_session.end() || !IsLive(order->second->status)) continue;
    out.push_back({"CART-NOT-CLEANED-UNDER-LIVE-ORDER", "cart=" + id,
                   "not abandoned while " + order->second->id + " is live", "abandoned", now});
  }
}

}  // namespace csim::properties
