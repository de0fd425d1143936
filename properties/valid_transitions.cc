// VALID-TRANSITIONS: every order status change is allowed by the one transition table. Read from
// the orders.order.status_changed rows of the order outbox, which every change writes.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "core/topics.h"
#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckValidTransitions(const sim::World& world, bool, std::vector<Violation>& out) {
  for (const auto& [id, row] : world.order_db().Outbox()) {
    if (row.event.topic != topics::kOrderStatusChanged) continue;
    auto from = ParseOrderStatus(row.event.Get("from"));
    auto to = ParseOrderStatus(row.event.Get("to"));
    if (from && to && (*from == *to || CanTransition(*from, *to))) continue;
    out.push_back({"VALID-TRANSITIONS", "order=" + row.event.subject, "an allowed transition",
                   fmt::format("{} -> {}", row.event.Get("from"), row.event.Get("to")),
                   row.created_at});
  }
}

}  // namespace csim::properties
