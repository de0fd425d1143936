// EFFECT-ONCE: each event's effect is applied at most once, however often it is delivered: one
// inventory.stock.committed per order and one status change per (order, from, to). Read from what
// the bus carried (FakeEventBus::Published), where downstream services see it: they deduplicate
// by event id, so a republished event counts once and two distinct events for the same effect
// (a path that processes a payment confirmation twice, R-3.3) count twice.
#include <fmt/format.h>

#include <map>
#include <set>

#include "core/topics.h"
#include "fakes/fake_event_bus.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckEffectOnce(const Truth& world, bool, std::vector<Violation>& out) {
  std::map<std::string, std::set<std::string>> event_ids_of_effect;
  for (const Event& event : world.bus().Published()) {
    std::string effect;
    if (event.topic == topics::kStockCommitted) {
      effect = "stock committed for " + event.subject;
    } else if (event.topic == topics::kOrderStatusChanged) {
      effect = fmt::format("{} -> {} of {}", event.Get("from"), event.Get("to"), event.subject);
    } else {
      continue;
    }
    event_ids_of_effect[effect].insert(event.id);
  }
  const TimeUs now = world.now();
  for (const auto& [effect, ids] : event_ids_of_effect) {
    if (ids.size() <= 1) continue;
    out.push_back({"EFFECT-ONCE", effect, "applied once",
                   fmt::format("applied {} times (events {})", ids.size(), *ids.begin()), now});
  }
}

}  // namespace csim::properties
