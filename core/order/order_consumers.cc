// The order worker's consumers of fulfilment, shipping, warehouse and refund events, and the
// deprecated HTTP subscription path of finding.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/order/order_service.h"
#include "core/order/transitions.h"
#include "core/topics.h"

namespace csim {

Task<Status> OrderService::MoveOrder(const Event& event, std::vector<OrderStatus> from,
                                     OrderStatus to, Effect effect, EarlyEvent early) {
  CSIM_CHECK(!event.id.empty(), "consumers deduplicate by event id");
  CSIM_CHECK(!from.empty());
  auto processed = co_await ports_.store.IsProcessed(event.id);
  if (!processed.ok()) co_return processed.status();
  if (processed.value()) co_return Status::Ok();  // a redelivery: already applied

  auto loaded = co_await ports_.store.GetOrder(event.Get("order_id"));
  if (loaded.code() == Code::kNotFound) co_return co_await MarkProcessed(event.id);
  if (!loaded.ok()) co_return loaded.status();
  Order order = std::move(loaded).value();
  const bool from_ok = std::find(from.begin(), from.end(), order.status) != from.end();
  if (!from_ok || !CanTransition(order.status, to)) {
    if (early == EarlyEvent::kRedeliver && CanReach(order.status, to)) {
      co_return Status{Code::kUnavailable, "order " + order.id + " is " +
                                               std::string{Name(order.status)} + ", before " +
                                               std::string{Name(to)} + ": delivered again later"};
    }
    co_return co_await MarkProcessed(event.id);  // late: acknowledged, ignored
  }
  OrderWrite write;
  write.processed_event_id = event.id;  // the dedup record commits with the effect
  // The loaded row becomes the update (moved, not copied: nothing reads it again).
  const OrderStatus was = order.status;
  Order updated = std::move(order);
  updated.version += 1;
  updated.status = to;
  if (effect) effect(updated, write);
  CSIM_CHECK(updated.status == to, "an effect must not change the status");
  write.outbox.push_back(StatusChangedEvent(updated, was));
  write.update = std::move(updated);
  Status committed = co_await ports_.store.Commit(write);
  if (committed.code() == Code::kConflict) co_return Status{Code::kUnavailable, "retry"};
  co_return committed;
}

Task<Status> OrderService::ConsumeRefundCompleted(const Event& event) {
  const Money amount = event.GetInt("amount");
  CSIM_CHECK(amount >= 0, "a refund amount is never negative");
  // Named, not a braced list in the co_await: g++ 12 rejects those in coroutines.
  std::vector<OrderStatus> from{OrderStatus::kCancelled, OrderStatus::kDelivered,
                                OrderStatus::kReturned};
  co_return co_await MoveOrder(event, std::move(from), OrderStatus::kRefunded,
                               [amount](Order& order, OrderWrite&) { order.refunded = amount; });
}

// SIM-43: as written, a fulfilment or delivery event that comes before the order can take its move
// (its `processing` event still refused or held back by the bus when `shipped` arrives) is
// acknowledged as if it were late, and the order never reaches the status: it stays `processing`
// though its goods were shipped. Fixed: such an event is refused while the order can still reach
// its status, and the bus delivers it again once the order has caught up; an event the order is
// past is acknowledged as before.
OrderService::EarlyEvent OrderService::EarlyFulfilmentEvents() const {
  return profile_.Fixed(FindingId("SIM-43")) ? EarlyEvent::kRedeliver : EarlyEvent::kAcknowledge;
}

Task<Status> OrderService::ConsumeShipmentDelivered(const Event& event) {
  std::vector<OrderStatus> from{OrderStatus::kShipped, OrderStatus::kPartiallyShipped};
  co_return co_await MoveOrder(
      event, std::move(from), OrderStatus::kDelivered,
      [](Order& order, OrderWrite& write) {
        write.outbox.push_back(
            OrderOutboxEvent(order.id + ":completed", topics::kOrderCompleted, order));
      },
      EarlyFulfilmentEvents());
}

Task<Status> OrderService::ConsumeFulfillmentStatusChanged(const Event& event) {
  std::optional<OrderStatus> to = ParseOrderStatus(event.Get("status"));
  const bool known = to == OrderStatus::kProcessing || to == OrderStatus::kPartiallyShipped ||
                     to == OrderStatus::kShipped;
  // A fulfilment status the order side does not map is acknowledged, never redelivered forever.
  if (!known) co_return co_await MarkProcessed(event.id);
  // Any status the one table allows the move from; the table decides. (Checkout's stale copy of
  // the table, finding P1-CC-05 / M-05, is used by nothing on the order side: see
  // CheckoutService::TransitionTableAudit.)
  std::vector<OrderStatus> from;
  for (int i = 0; i < kOrderStatusCount; ++i) from.push_back(static_cast<OrderStatus>(i));
  co_return co_await MoveOrder(event, std::move(from), *to, nullptr, EarlyFulfilmentEvents());
}

Task<Status> OrderService::ConsumeReservationExpired(const Event& event) {
  CSIM_CHECK(!event.id.empty(), "consumers deduplicate by event id");
  auto processed = co_await ports_.store.IsProcessed(event.id);
  if (!processed.ok()) co_return processed.status();
  if (processed.value()) co_return Status::Ok();

  // Checkout reserves with reference "<cart_session_id>:v<version>:<item index>" (a session id
  // never holds ':').
  const std::string reference = event.Get("reference");
  const std::size_t colon = reference.find(':');
  if (colon == std::string::npos || colon == 0) co_return co_await MarkProcessed(event.id);
  auto found = co_await ports_.store.FindBySession(reference.substr(0, colon));
  if (found.code() == Code::kNotFound) co_return co_await MarkProcessed(event.id);  // no order
  if (!found.ok()) co_return found.status();
  const std::string reservation_id = event.Get("reservation_id");
  const bool holds = std::any_of(found->items.begin(), found->items.end(), [&](const OrderItem& i) {
    return i.reservation_id == reservation_id;
  });
  // A confirmed order already committed its stock: the lapse of the hold does not concern it.
  if (!holds || found->status != OrderStatus::kPending) co_return co_await MarkProcessed(event.id);
  co_return co_await Cancel(found->id, "reservation expired", event.id, CancelFrom::kPending);
}

Task<Status> OrderService::ConsumePaymentConfirmedHttpDeprecated(const Event& event) {
  // this path never looks at the processed-event table, so every delivery (and every
  // redelivery) applies its effect again.
  auto loaded = co_await ports_.store.GetOrder(event.Get("order_id"));
  if (loaded.code() == Code::kNotFound) co_return Status::Ok();
  if (!loaded.ok()) co_return loaded.status();
  Order order = std::move(loaded).value();
  if (order.status != OrderStatus::kPending && order.status != OrderStatus::kConfirmed) {
    co_return Status::Ok();
  }
  bool all_confirmed = true;
  for (const OrderItem& item : order.items) {
    all_confirmed =
        (co_await ConfirmReservationWithRetry(item.reservation_id)).ok() && all_confirmed;
  }
  if (!all_confirmed) co_return Status::Ok();
  OrderWrite write;
  Order updated = order;
  updated.version = order.version + 1;
  // A distinct id per application: downstream sees one more stock commit each time.
  const std::string id = order.id + ":stock_committed:http:v" + std::to_string(updated.version);
  write.outbox.push_back(OrderOutboxEvent(id, topics::kStockCommitted, updated));
  write.update = std::move(updated);
  Status committed = co_await ports_.store.Commit(write);
  if (committed.code() == Code::kConflict) co_return Status{Code::kUnavailable, "retry"};
  co_return committed;
}

void OrderService::RegisterDeprecatedHttpHandlers(EventBus& bus) {
  // Fixed: one entry point per topic (RegisterConsumers), with the shared dedup.
  if (profile_.Fixed(FindingId("R-3.3"))) return;
  bus.Subscribe(std::string{topics::kPaymentConfirmed}, std::string{kOrderHttpSubscriber},
                [this](const Event& e) { return ConsumePaymentConfirmedHttpDeprecated(e); });
}

}  // namespace csim
