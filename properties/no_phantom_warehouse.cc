// NO-PHANTOM-WAREHOUSE: no reservation or commit against an empty or unknown warehouse id.
#include <fmt/format.h>

#include "fakes/fake_warehouse.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

void CheckReservation(const fakes::Reservation& r, TimeUs now, std::vector<Violation>& out) {
  if (!r.warehouse_id.empty()) return;
  out.push_back({"NO-PHANTOM-WAREHOUSE", fmt::format("reservation={} sku={}", r.id, r.sku),
                 "a named warehouse", fmt::format("warehouse_id=\"\" qty={}", r.quantity), now});
}

}  // namespace

void CheckNoPhantomWarehouse(const Truth& world, bool, std::vector<Violation>& out) {
  for (const fakes::Reservation& r : world.warehouse().Reservations()) {
    CheckReservation(r, world.now(), out);
  }
}

void CheckNoPhantomWarehouseChanged(const sim::World& world, const ChangeTracker&,
                                    const Changes& changes, std::vector<Violation>& out) {
  // A reservation's warehouse is set when it is made, which the journal notes.
  for (std::size_t index : changes.reservations) {
    CheckReservation(world.warehouse().Reservations().at(index), changes.now, out);
  }
}

}  // namespace csim::properties
