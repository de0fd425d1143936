// VALID-TRANSITIONS: every order status change is allowed by the business's transition table.
// Read from the order database's own log of committed status changes
// (FakeOrderStore::StatusChanges), not from the status_changed events core writes, so a change
// that wrote no event is judged too. The table is the invariant's own, written from the domain's
// order lifecycle, not core's CanTransition: a move core's table wrongly admits is still judged.
#include <fmt/format.h>

#include <array>
#include <utility>

#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

using S = OrderStatus;
// The domain's lifecycle: pending -> confirmed -> processing -> partially_shipped -> shipped ->
// delivered; pending, confirmed and processing -> cancelled; delivered -> returned -> refunded and
// delivered -> refunded; a paid order that is cancelled is refunded (cancelled -> refunded).
// Besides: one shipment that carries every item (processing -> shipped), and a delivery that
// overtakes the last `shipped` event (partially_shipped -> delivered).
constexpr std::array<std::pair<S, S>, 14> kLifecycle{{
    {S::kPending, S::kConfirmed},
    {S::kPending, S::kCancelled},
    {S::kConfirmed, S::kProcessing},
    {S::kConfirmed, S::kCancelled},
    {S::kProcessing, S::kPartiallyShipped},
    {S::kProcessing, S::kShipped},
    {S::kProcessing, S::kCancelled},
    {S::kPartiallyShipped, S::kShipped},
    {S::kPartiallyShipped, S::kDelivered},
    {S::kShipped, S::kDelivered},
    {S::kDelivered, S::kReturned},
    {S::kDelivered, S::kRefunded},
    {S::kReturned, S::kRefunded},
    {S::kCancelled, S::kRefunded},
}};

}  // namespace

bool LifecycleAllows(OrderStatus from, OrderStatus to) {
  for (const auto& [a, b] : kLifecycle) {
    if (a == from && b == to) return true;
  }
  return false;
}

void CheckValidTransitions(const Truth& world, bool, std::vector<Violation>& out) {
  for (const auto& change : world.order_db().StatusChanges()) {
    if (LifecycleAllows(change.from, change.to)) continue;
    out.push_back({"VALID-TRANSITIONS", "order=" + change.order_id, "an allowed transition",
                   fmt::format("{} -> {}", Name(change.from), Name(change.to)), change.at_us});
  }
}

}  // namespace csim::properties
