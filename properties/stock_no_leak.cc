// STOCK-NO-LEAK (settled): every reservation ended committed to a live order, released or
// expired; and the units committed in each (sku, warehouse) are exactly those of live orders'
// confirmed reservations plus what other channels sold there.
#include <fmt/format.h>

#include <map>

#include "core/order/transitions.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckStockNoLeak(const sim::World& world, bool settled, std::vector<Violation>& out) {
  if (!settled) return;
  const TimeUs now = world.kernel().now();
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
