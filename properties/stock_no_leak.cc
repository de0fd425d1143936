// STOCK-NO-LEAK: while the world runs (timely), a reservation whose checkout attempt ended
// without an order (the saga compensated, the cart left `checkout`) is released within
// kReleaseBoundUs of the cart leaving checkout, well under the reservation TTL, so a leak the TTL
// would later hide is still seen. Once settled, every reservation ended committed to a live
// order, released or expired; and the units committed in each (sku, warehouse) are exactly those
// of live orders' confirmed reservations plus what other channels sold there.
#include <fmt/format.h>

#include <map>

#include "core/order/transitions.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"

namespace csim::properties {

namespace {

// A third of the 15 minute reservation TTL: the fixed compensation retries a failed release every
// 30 s (FailedCompensationWorker), so a release that is still missing after this is not coming.
constexpr DurationUs kReleaseBoundUs = 5 * kMinuteUs;

// "<session>:v<version>" of a checkout reservation's reference "<session>:v<version>:<item>", or
// "" for a reference of another shape (the order side's reservations made again).
std::string AttemptOf(const std::string& reference) {
  const std::size_t first = reference.find(':');
  if (first == std::string::npos || reference.compare(first + 1, 1, "v") != 0) return "";
  const std::size_t second = reference.find(':', first + 1);
  return second == std::string::npos ? "" : reference.substr(0, second);
}

void CheckReleasedInTime(const Truth& world, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  // Runs after every event: the maps of orders and carts are built only once a reservation is old
  // enough to be late (a younger one can never be, whatever its owner), which most events lack.
  std::map<std::string, const Order*> by_attempt;
  std::map<std::string, const Cart*> cart_of_session;
  bool indexed = false;
  for (const fakes::Reservation& r : world.warehouse().Reservations()) {
    if (r.status != fakes::ReservationStatus::kActive || now - r.created_at <= kReleaseBoundUs ||
        !fakes::FakeWarehouse::HoldsStock(r, now)) {
      continue;
    }
    const std::string attempt = AttemptOf(r.reference);
    if (attempt.empty()) continue;
    if (!indexed) {
      by_attempt = OrdersByAttempt(world.order_db().Orders());
      for (const auto& [id, cart] : world.checkout_db().Carts()) {
        cart_of_session[cart.session_id] = &cart;
      }
      indexed = true;
    }
    if (by_attempt.contains(attempt)) continue;  // an order owns it
    auto cart = cart_of_session.find(attempt.substr(0, attempt.find(':')));
    if (cart == cart_of_session.end()) continue;
    // The attempt's saga runs while its cart sits in checkout at the version StartSession wrote.
    const std::int64_t attempt_version = std::stoll(attempt.substr(attempt.find(":v") + 2));
    const Cart& owner = *cart->second;
    if (owner.status == CartStatus::kCheckout && owner.version == attempt_version + 1) continue;
    if (now - std::max(owner.updated_at, r.created_at) <= kReleaseBoundUs) continue;
    out.push_back({"STOCK-NO-LEAK", "reservation=" + r.id,
                   fmt::format("released within {} min of attempt {} ending without an order",
                               kReleaseBoundUs / kMinuteUs, attempt),
                   fmt::format("still active, {} x {} at {}", r.quantity, r.sku, r.warehouse_id),
                   now});
  }
}

}  // namespace

void CheckStockNoLeak(const Truth& world, bool settled, std::vector<Violation>& out) {
  if (!settled) {
    CheckReleasedInTime(world, out);
    return;
  }
  const TimeUs now = world.now();
  std::map<std::string, const Order*> order_of_reservation;
  for (const auto& [id, order] : world.order_db().Orders()) {
    for (const OrderItem& item : order.items) order_of_reservation[item.reservation_id] = &order;
  }
  using Key = fakes::FakeWarehouse::StockKey;
  std::map<Key, std::int64_t> expected;
  for (const auto& [key, row] : world.warehouse().StockRows()) expected[key] = row.sold_elsewhere;
  for (const fakes::Reservation& r : world.warehouse().Reservations()) {
    if (fakes::FakeWarehouse::HoldsStock(r, now) && r.status == fakes::ReservationStatus::kActive) {
      out.push_back({"STOCK-NO-LEAK", "reservation=" + r.id, "released, expired or committed",
                     "still active after the drain", now});
    }
    if (r.status != fakes::ReservationStatus::kConfirmed) continue;
    auto order = order_of_reservation.find(r.id);
    if (order != order_of_reservation.end() && IsLive(order->second->status)) {
      expected[Key{r.sku, r.committed_warehouse_id.value_or(r.warehouse_id)}] += r.quantity;
    }
  }
  for (const auto& [key, row] : world.warehouse().StockRows()) {
    if (row.committed == expected[key]) continue;
    out.push_back({"STOCK-NO-LEAK", fmt::format("sku={} wh={}", key.first, key.second),
                   fmt::format("committed = live orders + other channels = {}", expected[key]),
                   fmt::format("committed {}", row.committed), now});
  }
}

}  // namespace csim::properties
