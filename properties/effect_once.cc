// EFFECT-ONCE: each event's effect is applied at most once, however often it is delivered: one
// inventory.stock.committed per order and one status change per (order, from, to). Read from what
// the bus carried (FakeEventBus::Published), where downstream services see it: they deduplicate
// by event id, so a republished event counts once and two distinct events for the same effect
// (a path that processes a payment confirmation twice, R-3.3) count twice.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/topics.h"
#include "fakes/fake_event_bus.h"
#include "properties/invariant.h"
#include "sim/detail_text.h"

namespace csim::properties {

void CheckEffectOnce(const Truth& world, bool, std::vector<Violation>& out) {
  // (effect, event id) of every event with an effect, sorted: an effect's events are then side by
  // side, by id, in the order a map of effects to sets of ids would give, without a node per
  // effect and per id (one of the run's largest settled checks at 20000 customers).
  std::vector<std::pair<std::string, std::string_view>> effects;
  effects.reserve(world.bus().Published().size());
  for (const Event& event : world.bus().Published()) {
    if (event.topic == topics::kStockCommitted) {
      effects.emplace_back("stock committed for " + event.subject, event.id);
    } else if (event.topic == topics::kOrderStatusChanged) {
      effects.emplace_back(
          sim::DetailText(event.View("from"), " -> ", event.View("to"), " of ", event.subject),
          event.id);
    }
  }
  std::sort(effects.begin(), effects.end());
  effects.erase(std::unique(effects.begin(), effects.end()), effects.end());  // each id once
  const TimeUs now = world.now();
  for (std::size_t first = 0, next = 0; first < effects.size(); first = next) {
    next = first + 1;
    while (next < effects.size() && effects[next].first == effects[first].first) ++next;
    const std::size_t ids = next - first;
    CSIM_CHECK(ids >= 1 && next <= effects.size(), "a group holds the effect's distinct ids");
    if (ids <= 1) continue;
    out.push_back({"EFFECT-ONCE", effects[first].first, "applied once",
                   fmt::format("applied {} times (events {})", ids, effects[first].second), now});
  }
}

}  // namespace csim::properties
