// ORDER-SETTLES (settled): no order left pending past its expiry (an order without expiry_at
// counts from its creation, so EC-11's orders are caught); no cart left in checkout; refund
// completed => order refunded; payment captured => order confirmed or later (or cancelled and
// refunded), and a confirmed order holds its stock: every reservation committed.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_warehouse.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckOrderSettles(const sim::World& world, bool settled, std::vector<Violation>& out) {
  if (!settled) return;
  const TimeUs now = world.kernel().now();
  const DurationUs timeout_us = world.options().config.order.order_timeout_minutes * kMinuteUs;
  const auto& orders = world.order_db().Orders();
  for (const auto& [id, order] : orders) {
    const TimeUs due = order.expiry_at.value_or(order.created_at + timeout_us);
    if (order.status == OrderStatus::kPending && due < now) {
      out.push_back({"ORDER-SETTLES", "order=" + id, "not pending past its expiry",
                     fmt::format("pending, {} expiry_at, created at {}",
                                 order.expiry_at ? "with" : "without", order.created_at),
                     now});
    }
  }
  for (const auto& [id, order] : orders) {
    const bool confirmed_or_later = IsLive(order.status) && order.status != OrderStatus::kPending;
    if (!confirmed_or_later) continue;
    for (const OrderItem& item : order.items) {
      const fakes::Reservation* r = world.warehouse().FindReservation(item.reservation_id);
      if (r != nullptr && r->status == fakes::ReservationStatus::kConfirmed) continue;
      out.push_back(
          {"ORDER-SETTLES", "order=" + id,
           "a " + std::string{Name(order.status)} + " order holds its stock",
           "reservation " + item.reservation_id + " " +
               (r == nullptr ? std::string{"unknown"} : std::string{fakes::Name(r->status)}),
           now});
    }
  }
  for (const auto& [id, cart] : world.checkout_db().Carts()) {
    if (cart.status != CartStatus::kCheckout) continue;
    out.push_back({"ORDER-SETTLES", "cart=" + id, "no cart left in checkout", "checkout", now});
  }
  for (const auto& [order_id, money] : world.payment().Orders()) {
    auto order = orders.find(order_id);
    if (order == orders.end()) continue;  // MONEY-CONSERVED reports captures without an order
    const OrderStatus status = order->second.status;
    if (money.refunded > 0 && status != OrderStatus::kRefunded) {
      out.push_back({"ORDER-SETTLES", "order=" + order_id, "refund completed => refunded",
                     std::string{Name(status)}, now});
    }
    if (money.captured > 0 && status == OrderStatus::kPending) {
      out.push_back(
          {"ORDER-SETTLES", "order=" + order_id, "payment captured => confirmed", "pending", now});
    }
  }
}

}  // namespace csim::properties
