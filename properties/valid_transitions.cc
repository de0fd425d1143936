// VALID-TRANSITIONS: every order status change is allowed by the one transition table. Read from
// the order database's own log of committed status changes (FakeOrderStore::StatusChanges), not
// from the status_changed events core writes, so a change that wrote no event is judged too.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckValidTransitions(const Truth& world, bool, std::vector<Violation>& out) {
  for (const auto& change : world.order_db().StatusChanges()) {
    if (CanTransition(change.from, change.to)) continue;
    out.push_back({"VALID-TRANSITIONS", "order=" + change.order_id, "an allowed transition",
                   fmt::format("{} -> {}", Name(change.from), Name(change.to)), change.at_us});
  }
}

}  // namespace csim::properties
