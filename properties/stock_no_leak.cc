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
#include "properties/change_tracker.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"

namespace csim::properties {

namespace {

// A third of the 15 minute reservation TTL: the fixed compensation retries a failed release every
// 30 s (FailedCompensationWorker), so a release that is still missing after this is not coming.
// Counted in time the release could happen: time in which a fault window touched the warehouse or
// the checkout DB (whose rows drive the retries) does not count, since no code can release through
// an outage, nor time in which every replica of the checkout worker was paused. The TTL still ends
// such a hold.
constexpr DurationUs kReleaseBoundUs = 5 * kMinuteUs;

// Whether reservation `r` is old enough to be late at `now` and still holds stock: the test every
// event applies first (most reservations fail it, whatever their owner).
bool MayBeLate(const fakes::Reservation& r, TimeUs now) {
  return r.status == fakes::ReservationStatus::kActive && now - r.created_at > kReleaseBoundUs &&
         fakes::FakeWarehouse::HoldsStock(r, now);
}

// The timely rule for one reservation that MayBeLate, of checkout attempt `attempt` (non-empty):
// `has_order` says an order owns the attempt, `owner` is its session's cart (nullptr if none).
void CheckLate(const Truth& world, const fakes::Reservation& r, const std::string& attempt,
               bool has_order, const Cart* owner, TimeUs now, std::vector<Violation>& out) {
  if (has_order || owner == nullptr) return;
  // The attempt's saga runs while its cart sits in checkout at the version StartSession wrote.
  const std::int64_t attempt_version = std::stoll(attempt.substr(attempt.find(":v") + 2));
  if (owner->status == CartStatus::kCheckout && owner->version == attempt_version + 1) return;
  if (now <= LateReleaseDueUs(world.faults(), world.checkout_db(), r, owner)) return;
  out.push_back({"STOCK-NO-LEAK", "reservation=" + r.id,
                 fmt::format("released within {} min of attempt {} ending without an order",
                             kReleaseBoundUs / kMinuteUs, attempt),
                 fmt::format("still active, {} x {} at {}", r.quantity, r.sku, r.warehouse_id),
                 now});
}

void CheckReleasedInTime(const Truth& world, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  // The maps of orders and carts are built only once a reservation is old enough to be late.
  std::map<std::string, const Order*> by_attempt;
  std::map<std::string, const Cart*> cart_of_session;
  bool indexed = false;
  for (const fakes::Reservation& r : world.warehouse().Reservations()) {
    if (!MayBeLate(r, now)) continue;
    const std::string attempt = AttemptOfReference(r.reference);
    if (attempt.empty()) continue;
    if (!indexed) {
      by_attempt = OrdersByAttempt(world.order_db().Orders());
      for (const auto& [id, cart] : world.checkout_db().Carts()) {
        cart_of_session[cart.session_id] = &cart;
      }
      indexed = true;
    }
    auto cart = cart_of_session.find(attempt.substr(0, attempt.find(':')));
    CheckLate(world, r, attempt, by_attempt.contains(attempt),
              cart == cart_of_session.end() ? nullptr : cart->second, now, out);
  }
}

}  // namespace

std::string AttemptOfReference(const std::string& reference) {
  const std::size_t first = reference.find(':');
  if (first == std::string::npos || reference.compare(first + 1, 1, "v") != 0) return "";
  const std::size_t second = reference.find(':', first + 1);
  return second == std::string::npos ? "" : reference.substr(0, second);
}

TimeUs LateReleaseDueUs(const sim::FaultLayer* faults, const fakes::FakeCheckoutStore& carts,
                        const fakes::Reservation& r, const Cart* owner) {
  // The attempt ended when the store took the write that moved its cart on, not at the time the
  // writer stamped: a saga paused for minutes before that commit still held its attempt.
  const TimeUs since =
      owner == nullptr ? r.created_at : std::max(carts.CartWrittenAt(owner->id), r.created_at);
  // A real backend has no fault windows.
  if (faults == nullptr) return since + kReleaseBoundUs;
  // Nor does time in which every checkout worker was paused: no pass could retry the release.
  return faults->UndisturbedDeadline({"warehouse.", "checkout_db."}, since, kReleaseBoundUs,
                                     "checkout-worker");
}

void CheckStockNoLeakChanged(const sim::World& world, const ChangeTracker& tracker,
                             const Changes& changes, std::vector<Violation>& out) {
  // The tracker times each candidate to its bound and hands it back whenever its cart or order
  // changed since: those are the only reservations that can have become late.
  for (std::size_t index : changes.late_reservations) {
    const fakes::Reservation& r = world.warehouse().Reservations().at(index);
    if (!MayBeLate(r, changes.now)) continue;
    const std::string attempt = AttemptOfReference(r.reference);
    CSIM_CHECK(!attempt.empty(), "a candidate belongs to a checkout attempt");
    CheckLate(world, r, attempt, tracker.HasOrderFor(world, attempt),
              tracker.CartOfSession(world, attempt.substr(0, attempt.find(':'))), changes.now, out);
  }
}

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
