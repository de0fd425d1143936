// EFFECT-ONCE: each delivered event's effect is applied at most once: one stock commit per order
// and one status change per (order, status), however often payments.payment.confirmed and the
// other events were delivered.
#include <fmt/format.h>

#include <map>

#include "core/topics.h"
#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckEffectOnce(const sim::World& world, bool, std::vector<Violation>& out) {
  std::map<std::string, int> effects;
  std::map<std::string, TimeUs> repeated_at;  // when the effect was applied a second time
  for (const auto& [id, row] : world.order_db().Outbox()) {
    std::string effect;
    if (row.event.topic == topics::kStockCommitted) {
      effect = "stock committed for " + row.event.subject;
    } else if (row.event.topic == topics::kOrderStatusChanged) {
      effect = fmt::format("{} -> {} of {}", row.event.Get("from"), row.event.Get("to"),
                           row.event.subject);
    } else {
      continue;
    }
    if (++effects[effect] == 2) repeated_at[effect] = row.created_at;
  }
  for (const auto& [effect, count] : effects) {
    if (count <= 1) continue;
    out.push_back({"EFFECT-ONCE", effect, "applied once", fmt::format("applied {} times", count),
                   repeated_at[effect]});
  }
}

}  // namespace csim::properties
