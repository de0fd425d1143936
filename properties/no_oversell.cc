// NO-OVERSELL: for every (sku, warehouse), committed + actively reserved <= on hand.
#include <fmt/format.h>

#include "fakes/fake_warehouse.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckNoOversell(const Truth& world, bool, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  for (const fakes::StockView& row : world.warehouse().StockViews(now)) {
    if (row.warehouse_id.empty()) continue;  // the phantom pool: NO-PHANTOM-WAREHOUSE's business
    const std::int64_t promised = row.committed + row.active_reserved;
    if (promised <= row.on_hand) continue;
    out.push_back({"NO-OVERSELL", fmt::format("sku={} wh={}", row.sku, row.warehouse_id),
                   fmt::format("committed+reserved <= on_hand={}", row.on_hand),
                   fmt::format("committed={} reserved={} (total {})", row.committed,
                               row.active_reserved, promised),
                   now});
  }
}

}  // namespace csim::properties
