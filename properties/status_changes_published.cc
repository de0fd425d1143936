// STATUS-CHANGES-PUBLISHED (settled): every status an order took is announced on the bus by one
// orders.order.status_changed event naming the order and the move (its creation as pending ->
// pending), or an alert names the outbox row that carried it. Fulfillment, notification and
// analytics learn of an order's moves only from these events: the review lists the topic as
// published through the outbox for all status transitions. Read from ground truth: the order
// database's rows (one creation each) and its own log of committed status changes, the events
// the bus accepted, and the alerts raised; never from what core says it published.
//
// Settled, because the outbox publisher is asynchronous: the announcement of a move may trail it
// by the publisher's retries, and the drain gives every row its chance.
#include <fmt/format.h>

#include <set>
#include <string_view>
#include <tuple>
#include <unordered_set>

#include "core/order/transitions.h"
#include "core/topics.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

// (order id, from, to), as the status_changed event's fields spell them. Views into the events
// the bus and the outbox rows hold and into the orders' keys, all alive while the check runs: the
// check copies no string per event.
using Move = std::tuple<std::string_view, std::string_view, std::string_view>;

// The announced moves are only asked whether they hold a move, never iterated: a hash set (a
// search of a std::set of every order's moves misses the cache at each level).
struct MoveHash {
  std::size_t operator()(const Move& move) const {
    const std::hash<std::string_view> hash;
    std::size_t h = hash(std::get<0>(move));
    h = h * 1'000'003 + hash(std::get<1>(move));
    return h * 1'000'003 + hash(std::get<2>(move));
  }
};
using Moves = std::unordered_set<Move, MoveHash>;

Move MoveOf(const Event& event) {
  return {event.View("order_id"), event.View("from"), event.View("to")};
}

// Every move announced: accepted by the bus, or carried by an outbox row an alert names.
Moves AnnouncedMoves(const Truth& world) {
  Moves announced;
  for (const Event& event : world.bus().Published()) {
    if (event.topic == topics::kOrderStatusChanged) announced.insert(MoveOf(event));
  }
  std::set<std::string> alerted;
  for (const Alert& alert : world.alerts().Raised()) alerted.insert(alert.subject);
  for (const auto& [id, row] : world.order_db().Outbox()) {
    if (row.event.topic == topics::kOrderStatusChanged && alerted.contains(row.event.id)) {
      announced.insert(MoveOf(row.event));
    }
  }
  return announced;
}

void ExpectAnnounced(const Moves& announced, const Move& move, TimeUs at,
                     std::vector<Violation>& out) {
  if (announced.contains(move)) return;
  const auto& [order_id, from, to] = move;
  out.push_back({"STATUS-CHANGES-PUBLISHED", fmt::format("order={}", order_id),
                 fmt::format("{} {} -> {} published, or an alert naming it",
                             topics::kOrderStatusChanged, from, to),
                 "no such event accepted by the bus, no alert", at});
}

}  // namespace

void CheckStatusChangesPublished(const Truth& world, bool, std::vector<Violation>& out) {
  const Moves announced = AnnouncedMoves(world);
  const std::string_view pending = Name(OrderStatus::kPending);
  for (const auto& [id, order] : world.order_db().Orders()) {
    ExpectAnnounced(announced, {id, pending, pending}, order.created_at, out);
  }
  for (const fakes::FakeOrderStore::StatusChange& change : world.order_db().StatusChanges()) {
    CSIM_CHECK(world.order_db().FindOrder(change.order_id) != nullptr,
               "a logged status change belongs to a stored order");
    ExpectAnnounced(announced, {change.order_id, Name(change.from), Name(change.to)}, change.at_us,
                    out);
  }
}

}  // namespace csim::properties
