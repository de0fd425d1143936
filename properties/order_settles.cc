// ORDER-SETTLES (settled): no order left pending past its expiry (an order without expiry_at
// counts from its creation), nor pending longer than kPendingAfterLapseBoundUs after every one of
// its reservations lapsed at the warehouse (EC-11: an expiry a day away hides such an order from
// the first check); no cart left in checkout; refund completed => order refunded; payment
// captured => order confirmed or later (or cancelled and refunded), and a confirmed order holds
// its stock: every reservation committed; an order the fulfilment service shipped is shipped or
// later (SIM-43) and was not cancelled (SIM-44).
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/order/transitions.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_warehouse.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

// How long an order may stay pending once the warehouse holds nothing for it any more: the
// order's own expiry (the payment window, 30 minutes from creation, so about 15 after the 15-minute
// reservations lapse) plus one missed pass of the 15-minute cleanup, rounded up. A pending order
// past this holds the customer's authorization for stock that is gone.
constexpr DurationUs kPendingAfterLapseBoundUs = kHourUs;

// When the last of `order`'s reservations lapsed at the warehouse (its TTL ran out while it was
// still active); nullopt if any of them is confirmed, released, unknown or still holds stock.
std::optional<TimeUs> AllLapsedAt(const Truth& world, const Order& order, TimeUs now) {
  TimeUs last = 0;
  for (const OrderItem& item : order.items) {
    const fakes::Reservation* r = world.warehouse().FindReservation(item.reservation_id);
    if (r == nullptr) return std::nullopt;
    const bool lapsed = r->status == fakes::ReservationStatus::kExpired ||
                        (r->status == fakes::ReservationStatus::kActive && r->expires_at <= now);
    if (!lapsed) return std::nullopt;
    last = std::max(last, r->expires_at);
  }
  CSIM_CHECK(!order.items.empty(), "an order has items");
  return last;
}

}  // namespace

void CheckOrderSettles(const Truth& world, bool settled, std::vector<Violation>& out) {
  if (!settled) return;
  const TimeUs now = world.now();
  const DurationUs timeout_us = world.config().order.order_timeout_minutes * kMinuteUs;
  const auto& orders = world.order_db().Orders();
  for (const auto& [id, order] : orders) {
    const TimeUs due = order.expiry_at.value_or(order.created_at + timeout_us);
    if (order.status == OrderStatus::kPending && due < now) {
      out.push_back({"ORDER-SETTLES", "order=" + id, "not pending past its expiry",
                     fmt::format("pending, {} expiry_at, created at {}",
                                 order.expiry_at ? "with" : "without", order.created_at),
                     now});
      continue;
    }
    if (order.status != OrderStatus::kPending) continue;
    const std::optional<TimeUs> lapsed_at = AllLapsedAt(world, order, now);
    if (lapsed_at && now - *lapsed_at > kPendingAfterLapseBoundUs) {
      out.push_back({"ORDER-SETTLES", "order=" + id,
                     fmt::format("not pending {} min after its reservations lapsed",
                                 kPendingAfterLapseBoundUs / kMinuteUs),
                     fmt::format("pending {} min after they lapsed, expiry in {} min",
                                 (now - *lapsed_at) / kMinuteUs,
                                 order.expiry_at ? (*order.expiry_at - now) / kMinuteUs : -1),
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
  // What the fulfilment service shipped is shipped for the order service too (SIM-43), and is
  // not cancelled under the customer (SIM-44): the world's own record of the goods that left,
  // whatever the order service made of fulfilment's events. A refund after delivery (a return)
  // is no cancellation: such an order was never cancelled.
  if (const auto* shipped = world.fulfilment_shipped(); shipped != nullptr) {
    for (const auto& [order_id, shipped_at] : *shipped) {
      auto order = orders.find(order_id);
      CSIM_CHECK(order != orders.end(), "the fulfilment service ships stored orders only");
      const OrderStatus status = order->second.status;
      if (status == OrderStatus::kShipped || status == OrderStatus::kDelivered ||
          status == OrderStatus::kReturned) {
        continue;
      }
      const bool cancelled = order->second.cancelled_at.has_value();
      if (status == OrderStatus::kRefunded && !cancelled) continue;
      out.push_back(
          {"ORDER-SETTLES", "order=" + order_id,
           fmt::format("{}: the fulfilment service shipped it at {} s",
                       cancelled ? "not cancelled" : "shipped or later", shipped_at / kSecondUs),
           std::string{Name(status)}, now});
    }
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
