// MONEY-CONSERVED: captured - refunded = sum of totals of orders paid and not refunded; no double
// capture, no double refund. Always: per order, what the gateway holds matches the order. Settled:
// the sums agree.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

// Card orders are paid once confirmed (the capture confirmed them); cash-on-delivery orders only
// once delivered, when the cash is collected.
bool Paid(const Order& order) {
  if (order.payment_method == PaymentMethod::kCashOnDelivery) {
    return order.status == OrderStatus::kDelivered || order.status == OrderStatus::kReturned;
  }
  switch (order.status) {
    case OrderStatus::kConfirmed:
    case OrderStatus::kProcessing:
    case OrderStatus::kPartiallyShipped:
    case OrderStatus::kShipped:
    case OrderStatus::kDelivered:
    case OrderStatus::kReturned:
      return true;
    default:
      return false;
  }
}

}  // namespace

namespace {

// The always half for the money of one order.
void CheckOrderMoney(std::string_view order_id, const fakes::OrderMoney& money,
                     const fakes::FakeOrderStore& order_db, TimeUs now,
                     std::vector<Violation>& out) {
  // Named only when violated: this runs after every event that touched the order's money.
  const auto entity = [order_id] { return "order=" + std::string{order_id}; };
  if (money.capture_count > 1) {
    out.push_back({"MONEY-CONSERVED", entity(), "captured once",
                   fmt::format("captured {} times", money.capture_count), now});
  }
  if (money.refund_count > 1 || money.refunded > money.captured) {
    out.push_back({"MONEY-CONSERVED", entity(), "refunded at most once, at most what was captured",
                   fmt::format("refunded {} in {} refunds of {} captured", money.refunded,
                               money.refund_count, money.captured),
                   now});
  }
  const Order* order = order_db.FindOrder(order_id);
  if (money.captured > 0 && (order == nullptr || order->total != money.captured)) {
    out.push_back({"MONEY-CONSERVED", entity(),
                   order == nullptr ? std::string{"an order for the capture"}
                                    : fmt::format("capture = total {}", order->total),
                   fmt::format("captured {}", money.captured), now});
  }
}

}  // namespace

void CheckMoneyConservedChanged(const sim::World& world, const ChangeTracker&,
                                const Changes& changes, std::vector<Violation>& out) {
  // An order's money and its total are the only inputs: the tracker names both changes.
  ForEachHeld(
      changes.orders, [&](std::string_view id) { return world.payment().FindOrderMoney(id); },
      [&](std::string_view order_id, const fakes::OrderMoney& money) {
        CheckOrderMoney(order_id, money, world.order_db(), changes.now, out);
      });
}

void CheckMoneyConserved(const Truth& world, bool settled, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  const auto& orders = world.order_db().Orders();
  for (const auto& [order_id, money] : world.payment().Orders()) {
    CheckOrderMoney(order_id, money, world.order_db(), now, out);
  }
  if (!settled) return;
  Money held = world.payment().TotalCaptured() - world.payment().TotalRefunded();
  Money owed = 0;
  for (const auto& [id, order] : orders) {
    if (Paid(order)) owed += order.total;
  }
  if (held != owed) {
    out.push_back({"MONEY-CONSERVED", "all orders",
                   fmt::format("captured-refunded = paid order totals = {}", owed),
                   fmt::format("captured-refunded = {}", held), now});
  }
}

}  // namespace csim::properties
