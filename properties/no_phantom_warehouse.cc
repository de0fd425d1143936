// NO-PHANTOM-WAREHOUSE: no reservation or commit against an empty or unknown warehouse id.
#include <fmt/format.h>

#include "fakes/fake_warehouse.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckNoPhantomWarehouse(const Truth& world, bool, std::vector<Violation>& out) {
  for (const fakes::Reservation& r : world.warehouse().Reservations()) {
    if (!r.warehouse_id.empty()) continue;
    out.push_back({"NO-PHANTOM-WAREHOUSE", fmt::format("reservation={} sku={}", r.id, r.sku),
                   "a named warehouse", fmt::format("warehouse_id=\"\" qty={}", r.quantity),
                   world.now()});
  }
}

}  // namespace csim::properties
