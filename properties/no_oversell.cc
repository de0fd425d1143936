// NO-OVERSELL: for every (sku, warehouse), committed + actively reserved <= on hand.
#include <fmt/format.h>

#include "fakes/fake_warehouse.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

void CheckRow(const fakes::StockView& row, TimeUs now, std::vector<Violation>& out) {
  if (row.warehouse_id.empty()) return;  // the phantom pool: NO-PHANTOM-WAREHOUSE's business
  const std::int64_t promised = row.committed + row.active_reserved;
  if (promised <= row.on_hand) return;
  out.push_back({"NO-OVERSELL", fmt::format("sku={} wh={}", row.sku, row.warehouse_id),
                 fmt::format("committed+reserved <= on_hand={}", row.on_hand),
                 fmt::format("committed={} reserved={} (total {})", row.committed,
                             row.active_reserved, promised),
                 now});
}

}  // namespace

void CheckNoOversell(const Truth& world, bool, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  for (const fakes::StockView& row : world.warehouse().StockViews(now)) CheckRow(row, now, out);
}

void CheckNoOversellChanged(const sim::World& world, const ChangeTracker&, const Changes& changes,
                            std::vector<Violation>& out) {
  // A lapse only lowers what is reserved: a row no event touched cannot start overselling.
  const auto& rows = world.warehouse().StockRows();
  for (const auto& key : changes.stock_rows) {
    fakes::StockView view{key.first, key.second, 0, 0, 0, 0};
    if (auto row = rows.find(key); row != rows.end()) {
      view.on_hand = row->second.on_hand;
      view.committed = row->second.committed;
    }
    view.active_reserved = world.warehouse().ActiveReserved(key.first, key.second, changes.now);
    CheckRow(view, changes.now, out);
  }
}

}  // namespace csim::properties
