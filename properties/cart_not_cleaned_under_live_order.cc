// CART-NOT-CLEANED-UNDER-LIVE-ORDER (always): cleanup never abandons the cart of a live order, and
// no live order holds a reservation that was released from under it. Both are checked after every
// event: a release under a live order is harm at that moment (its stock is free for anyone to
// take), even if the order later reserves again (SIM-05's fix) or is cancelled.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"

namespace csim::properties {
namespace {

// An order is never cancelled before its release commits (SIM-01's fix), so a released
// reservation on a live order was released by someone who must not have (the warehouse marks a
// reservation released only while it held stock: releasing a lapsed one changes nothing).
void CheckOrder(const Truth& world, const Order& order, TimeUs now, std::vector<Violation>& out) {
  if (!IsLive(order.status)) return;
  for (const OrderItem& item : order.items) {
    const fakes::Reservation* r = world.warehouse().FindReservation(item.reservation_id);
    if (r == nullptr || r->status != fakes::ReservationStatus::kReleased) continue;
    out.push_back({"CART-NOT-CLEANED-UNDER-LIVE-ORDER", "order=" + order.id,
                   "its reservations kept while it is live", "reservation " + r->id + " released",
                   now});
  }
}

// The cart `id`, with its session's order (nullptr if none).
void CheckCart(const std::string& id, const Cart& cart, const Order* order, TimeUs now,
               std::vector<Violation>& out) {
  if (cart.status != CartStatus::kAbandoned) return;
  if (order == nullptr || !IsLive(order->status)) return;
  out.push_back({"CART-NOT-CLEANED-UNDER-LIVE-ORDER", "cart=" + id,
                 "not abandoned while " + order->id + " is live", "abandoned", now});
}

}  // namespace

void CheckCartNotCleanedUnderLiveOrder(const Truth& world, bool, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  const auto& orders = world.order_db().Orders();
  for (const auto& [id, order] : orders) CheckOrder(world, order, now, out);
  bool any_abandoned = false;
  for (const auto& [id, cart] : world.checkout_db().Carts()) {
    any_abandoned = any_abandoned || cart.status == CartStatus::kAbandoned;
  }
  if (!any_abandoned) return;
  const auto by_session = OrdersBySession(orders);
  for (const auto& [id, cart] : world.checkout_db().Carts()) {
    auto order = by_session.find(cart.session_id);
    CheckCart(id, cart, order == by_session.end() ? nullptr : order->second, now, out);
  }
}

void CheckCartNotCleanedUnderLiveOrderChanged(const sim::World& world, const ChangeTracker&,
                                              const Changes& changes, std::vector<Violation>& out) {
  // The tracker names orders whose status or reservations changed and carts whose status or
  // session's order changed.
  const auto& order_db = world.order_db();
  ForEachHeld(
      changes.orders, [&](std::string_view id) { return order_db.FindOrder(id); },
      [&](std::string_view, const Order& order) { CheckOrder(world, order, changes.now, out); });
  for (std::string_view id : changes.carts) {
    const Cart* cart = world.checkout_db().FindCart(id);
    CSIM_CHECK(cart != nullptr, "the tracker names stored carts");
    const std::string* order_id = order_db.OrderIdOfSession(cart->session_id);  // one a session
    const Order* order = order_id == nullptr ? nullptr : order_db.FindOrder(*order_id);
    CSIM_CHECK(order_id == nullptr || order != nullptr, "the session index names an order");
    CheckCart(cart->id, *cart, order, changes.now, out);
  }
}

}  // namespace csim::properties
