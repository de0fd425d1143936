#include "core/order/order_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/order/transitions.h"
#include "core/topics.h"

namespace csim {
namespace {

Status Invalid(std::string message) {
  return Status{Code::kInvalidArgument, std::move(message)};
}

Status ValidateOrderTotals(const CreateOrderRequest& r, Money max_order_amount) {
  if (r.items.empty()) return Invalid("order has no items");
  Money items_sum = 0;
  for (const OrderItem& item : r.items) {
    if (item.quantity <= 0) return Invalid("item " + item.sku + " has quantity <= 0");
    if (item.reservation_id.empty()) return Invalid("item " + item.sku + " has no reservation");
    items_sum += item.unit_price * item.quantity;
  }
  auto differs = [](Money a, Money b) { return (a > b ? a - b : b - a) > kTotalToleranceMoney; };
  if (differs(items_sum, r.subtotal)) return Invalid("subtotal does not match the items");
  Money expected = r.subtotal + r.shipping_fee - r.discount - r.points_value;
  if (differs(expected, r.total)) return Invalid("total does not match its parts");
  if (r.total < 0) return Invalid("total is negative");
  if (r.total > max_order_amount) return Invalid("total exceeds the maximum order amount");
  return Status::Ok();
}

// The compensation row for `item`'s units held by `reservation_id`: on the release DLQ (its id
// names the reservation) or, for a committed reservation whose restock failed, on the restock DLQ
// (its id is the restock reference). Both carry what a restock needs, since a release row's
// reservation may turn out committed by the time it is redriven.
Event StockCompensationRow(const Order& order, const OrderItem& item,
                           const std::string& reservation_id, std::string_view topic) {
  const bool release = topic == topics::kReservationReleaseDlq;
  CSIM_CHECK(release || topic == topics::kRefundRestockDlq, "a release or restock row");
  std::string reference = RestockReference(order.id, reservation_id);
  Event row =
      OrderOutboxEvent(release ? order.id + ":release:" + reservation_id : reference, topic, order);
  row.fields["reservation_id"] = reservation_id;
  row.fields["sku"] = item.sku;
  row.fields["warehouse_id"] = item.warehouse_id;
  row.fields["quantity"] = std::to_string(item.quantity);
  row.fields["reference"] = std::move(reference);
  return row;
}

}  // namespace

std::string RestockReference(std::string_view order_id, std::string_view reservation_id) {
  CSIM_CHECK(!order_id.empty() && !reservation_id.empty(), "an order's reservation");
  std::string reference{order_id};
  reference.append(":restock:").append(reservation_id);
  return reference;
}

namespace {

// The fields in name order (customer_id, from, order_id, to, total), each appended once: the same
// fields operator[] would give, without a search and a shift per field (these events are built at
// every status move).
Event OrderEventWith(std::string id, std::string_view topic, const Order& order,
                     const OrderStatus* from) {
  CSIM_CHECK(!id.empty());
  CSIM_CHECK(!topic.empty());
  Event event;
  event.id = std::move(id);
  event.topic = std::string{topic};
  event.subject = order.id;
  event.fields.reserve(from != nullptr ? 5 : 3);
  event.fields.Append("customer_id", order.customer_id);
  if (from != nullptr) event.fields.Append("from", std::string{Name(*from)});
  event.fields.Append("order_id", order.id);
  if (from != nullptr) event.fields.Append("to", std::string{Name(order.status)});
  event.fields.Append("total", std::to_string(order.total));
  return event;
}

}  // namespace

Event OrderOutboxEvent(std::string id, std::string_view topic, const Order& order) {
  return OrderEventWith(std::move(id), topic, order, nullptr);
}

Event StatusChangedEvent(const Order& order, OrderStatus from) {
  const std::string_view to = Name(order.status);
  std::string id;
  id.reserve(order.id.size() + 8 + to.size());
  id.append(order.id).append(":status:").append(to);
  return OrderEventWith(std::move(id), topics::kOrderStatusChanged, order, &from);
}

Task<Result<Order>> OrderService::FindBySession(const std::string& cart_session_id) {
  co_return co_await ports_.store.FindBySession(cart_session_id);
}

Task<Result<Order>> OrderService::CreateOrder(const CreateOrderRequest& request) {
  CSIM_CHECK(!request.cart_session_id.empty());
  // The unique constraint on cart_session_id makes a repeated request return the first order.
  auto existing = co_await ports_.store.FindBySession(request.cart_session_id);
  if (existing.ok()) co_return existing;
  if (existing.code() != Code::kNotFound) co_return existing.status();

  // M-01 / P2-CC-08: as reviewed the maximum is the hard-coded constant, whatever the config says.
  const Money max_order_amount =
      profile_.Fixed(FindingId("M-01")) ? config_.order.max_order_amount : kMaxOrderAmount;
  Status valid = ValidateOrderTotals(request, max_order_amount);
  if (!valid.ok()) co_return valid;

  const TimeUs now = ports_.clock.Now();
  Order order;
  order.id = "order-" + request.cart_session_id;
  order.cart_session_id = request.cart_session_id;
  order.checkout_attempt = request.checkout_attempt;
  order.customer_id = request.customer_id;
  order.items = request.items;
  order.subtotal = request.subtotal;
  order.shipping_fee = request.shipping_fee;
  order.discount = request.discount;
  order.points_redeemed = request.points_redeemed;
  order.points_value = request.points_value;
  order.total = request.total;
  order.promo_codes = request.promo_codes;
  order.payment_method = request.payment_method;
  order.authorization_id = request.authorization_id;
  order.status = OrderStatus::kPending;
  order.created_at = now;
  // EC-11: as reviewed, a pending order expires after the order config map's
  // auto_cancel_minutes (1440: 24 h), while its reservations lapse after the 15-minute TTL. When
  // the warehouse's reservation_expired event does not arrive (its publish is at most once), the
  // order stays pending for a day after its stock is gone, holding the customer's authorization,
  // and the cleanup, which selects by expiry_at, does not touch it. Fixed: the expiry follows the
  // payment window (order_timeout_minutes, 30), so the cleanup cancels such an order soon after
  // its reservations lapsed.
  const std::int64_t expiry_minutes = profile_.Fixed(FindingId("EC-11"))
                                          ? config_.order.order_timeout_minutes
                                          : config_.order.auto_cancel_minutes;
  CSIM_CHECK(expiry_minutes > 0, "a pending order expires");
  order.expiry_at = now + expiry_minutes * kMinuteUs;
  order.version = 1;

  OrderWrite write;
  write.insert = order;
  write.outbox.push_back(StatusChangedEvent(order, OrderStatus::kPending));
  Status committed = co_await ports_.store.Commit(write);
  if (committed.code() == Code::kConflict) {
    // A concurrent create for the same session won the unique constraint.
    co_return co_await ports_.store.FindBySession(request.cart_session_id);
  }
  if (!committed.ok()) co_return committed;
  co_return order;
}

WarehouseInventory& OrderService::ConfirmWarehouse() const {
  // EC-14: as reviewed, reservation.go falls back to warehouseClient when
  // warehouseInventoryService is nil; fixed, one warehouse port.
  if (profile_.Fixed(FindingId("EC-14")) || ports_.primary_warehouse_configured) {
    return ports_.warehouse;
  }
  CSIM_CHECK(ports_.legacy_warehouse != nullptr,
             "EC-14: no primary warehouse interface and no legacy one");
  return *ports_.legacy_warehouse;
}

WarehouseInventory* OrderService::RollbackWarehouse() const {
  // EC-14: as reviewed, rollbackReservationsMap releases only through warehouseInventoryService,
  // so with that interface nil every release and restock is skipped without an error: the
  // reservations of a cancelled pending order hold stock until their TTL lapses, and the committed
  // units of a cancelled confirmed order never come back on hand. Fixed: one warehouse port.
  if (profile_.Fixed(FindingId("EC-14")) || ports_.primary_warehouse_configured) {
    return &ports_.warehouse;
  }
  return nullptr;
}

Task<Status> OrderService::ConfirmReservationWithRetry(const std::string& reservation_id) {
  CSIM_CHECK(!reservation_id.empty(), "an order item has a reservation");
  CSIM_CHECK(config_.order.confirm_retries >= 0);
  DurationUs backoff_us = config_.order.confirm_backoff_ms * kMillisecondUs;
  WarehouseInventory& warehouse = ConfirmWarehouse();
  for (std::int32_t attempt = 0;; ++attempt) {
    Status confirmed = co_await warehouse.Confirm(reservation_id);
    if (confirmed.ok()) co_return confirmed;
    if (confirmed.code() == Code::kFailedPrecondition) co_return confirmed;  // released or lapsed
    if (attempt >= config_.order.confirm_retries) co_return confirmed;
    co_await ports_.clock.Sleep(backoff_us);
    backoff_us *= 2;  // 100, 200, 400 ms
  }
}

ReserveRequest OrderService::ReserveAgainRequest(const Order& order, const OrderItem& item) const {
  CSIM_CHECK(!order.cart_session_id.empty(), "an order has its cart session");
  CSIM_CHECK(!item.reservation_id.empty(), "an order item has a reservation");
  ReserveRequest again;
  again.sku = item.sku;
  again.warehouse_id = item.warehouse_id;
  again.quantity = item.quantity;
  again.ttl_us = config_.order.reservation_timeout_minutes * kMinuteUs;
  // Starts with the session, as every reservation reference does (ConsumeReservationExpired).
  again.reference = order.cart_session_id + ":again:" + item.reservation_id;
  return again;
}

Task<Result<std::string>> OrderService::ReserveAgainAndConfirm(const Order& order,
                                                               const OrderItem& item) {
  CSIM_CHECK(profile_.Fixed(FindingId("SIM-05")));
  const ReserveRequest again = ReserveAgainRequest(order, item);
  auto reserved = co_await ConfirmWarehouse().ReserveWithTtl(again);
  if (!reserved.ok()) co_return reserved.status();
  CSIM_CHECK(!reserved->empty(), "a reservation has an id");
  CSIM_CHECK(reserved.value() != item.reservation_id, "a new reservation");
  Status confirmed = co_await ConfirmReservationWithRetry(reserved.value());
  if (!confirmed.ok()) co_return confirmed;
  co_return reserved;
}

Task<Status> OrderService::RecordReservingAgain(const Order& order) {
  CSIM_CHECK(order.status == OrderStatus::kPending, "only a pending order is confirmed");
  CSIM_CHECK(!order.reserving_again, "recorded once");
  OrderWrite write;
  Order marked = order;
  marked.version = order.version + 1;
  marked.reserving_again = true;
  write.update = std::move(marked);
  const Status committed = co_await ports_.store.Commit(write);
  // Nothing is reserved yet: the retry reloads the order and, once the flag is there, goes on.
  co_return Status{Code::kUnavailable, committed.ok()
                                           ? std::string{"recorded reserving again; retry"}
                                           : "recording reserving again: " + committed.ToString()};
}

Task<Result<std::string>> OrderService::FindReservedAgain(const ReserveRequest& again) {
  CSIM_CHECK(RollbackWarehouse() == &ports_.warehouse, "looked up where it was reserved");
  // Reserving with the same reference returns what was reserved under it, whatever its state, or
  // makes a reservation if none landed, which the caller then gives back: nothing stays held.
  auto found = co_await ports_.warehouse.ReserveWithTtl(again);
  if (found.code() == Code::kInsufficient || found.code() == Code::kNotFound ||
      found.code() == Code::kInvalidArgument) {
    co_return std::string{};  // refused, so nothing was ever reserved under this reference
  }
  if (found.ok()) CSIM_CHECK(!found->empty(), "a reservation has an id");
  co_return found;
}

Task<bool> OrderService::GiveBackReservedAgainByReference(const Order& order, const OrderItem& item,
                                                          OrderWrite& write) {
  CSIM_CHECK(order.reserving_again, "only an order that recorded it may have reserved again");
  CSIM_CHECK(RollbackWarehouse() == &ConfirmWarehouse(), "released where it was reserved");
  auto found = co_await FindReservedAgain(ReserveAgainRequest(order, item));
  // No id, so no DLQ row of its own: the order's stock_released stays false and
  // ReservationCleanupJob looks again (and, SIM-36 fixed, the cancellation's lookup row).
  if (!found.ok()) co_return false;
  if (found->empty()) co_return true;  // nothing was ever reserved under this reference
  const Status released = co_await ReleaseReservationWithRetry(found.value());
  if (released.ok()) co_return true;
  // Committed by a confirmation that then stopped or lost its commit: its restock reference is
  // GiveBackReservedAgain's, so the two never put the same units back twice.
  co_return co_await RestockOrDeadLetter(order, item, found.value(), released, write);
}

Task<Status> OrderService::ReleaseReservationWithRetry(const std::string& reservation_id) {
  WarehouseInventory* warehouse = RollbackWarehouse();
  CSIM_CHECK(warehouse != nullptr, "ReleaseStock skips releases without an interface");
  Status released;
  for (std::int32_t attempt = 0; attempt <= config_.order.release_retries; ++attempt) {
    released = co_await warehouse->Release(reservation_id);
    if (released.ok() || released.code() == Code::kFailedPrecondition) co_return released;
    co_await ports_.clock.Sleep(config_.order.confirm_backoff_ms * kMillisecondUs);
  }
  co_return released;
}

Task<Status> OrderService::ConsumePaymentCaptureRequested(const Event& event) {
  auto order = co_await ports_.store.GetOrder(event.Get("order_id"));
  if (order.code() == Code::kNotFound) co_return Status::Ok();  // nothing to capture for
  if (!order.ok()) co_return order.status();
  if (order->status != OrderStatus::kPending || order->authorization_id.empty()) {
    co_return Status::Ok();  // already confirmed, cancelled, or cash on delivery
  }
  // The gateway's capture is idempotent per order; its outcome arrives as a webhook.
  Status captured =
      co_await ports_.payment.Capture(order->authorization_id, order->id, order->total);
  if (captured.code() == Code::kUnavailable || captured.code() == Code::kTimeout) {
    co_return captured;  // redelivered by the bus
  }
  co_return Status::Ok();  // declined or lapsed: payments.payment.failed follows
}

Task<Status> OrderService::ConsumePaymentConfirmed(const Event& event) {
  auto processed = co_await ports_.store.IsProcessed(event.id);
  if (!processed.ok()) co_return processed.status();
  if (processed.value()) co_return Status::Ok();  // EC-03: duplicate webhook

  auto loaded = co_await ports_.store.GetOrder(event.Get("order_id"));
  if (!loaded.ok()) co_return loaded.code() == Code::kNotFound ? Status::Ok() : loaded.status();
  Order order = std::move(loaded).value();

  OrderWrite write;
  write.processed_event_id = event.id;
  Order updated = order;
  updated.version = order.version + 1;
  updated.captured = event.GetInt("amount");
  if (order.status == OrderStatus::kPending) {
    Status applied = co_await ApplyConfirm(order, updated, write);
    if (!applied.ok()) co_return applied;  // redelivered: nothing was committed
  }
  write.update = updated;
  Status committed = co_await ports_.store.Commit(write);
  co_await GiveBackReservedAgain(order, updated, committed);
  if (committed.code() == Code::kConflict) co_return Status{Code::kUnavailable, "retry"};
  co_return committed;
}

Task<void> OrderService::GiveBackReservedAgain(const Order& order, const Order& updated,
                                               const Status& committed) {
  CSIM_CHECK(updated.id == order.id);
  CSIM_CHECK(updated.items.size() == order.items.size());
  if (committed.ok() || committed.code() == Code::kTimeout) co_return;
  // SIM-12: as the services do it, nothing gives back what a confirm that lost its commit
  // reserved again: the order's cancellation releases only the reservations the order names.
  if (profile_.AsReviewedOn(FindingId("SIM-12"))) co_return;
  bool reserved_again = false;
  for (std::size_t i = 0; i < order.items.size(); ++i) {
    reserved_again =
        reserved_again || updated.items[i].reservation_id != order.items[i].reservation_id;
  }
  WarehouseInventory* warehouse = RollbackWarehouse();
  if (!reserved_again || warehouse == nullptr) co_return;
  // Still pending: the retry (redelivery, the next COD pass) reserves with the same reference and
  // gets the very same reservation back, so nothing is lost. Unknown: left as it is.
  auto now = co_await ports_.store.GetOrder(order.id);
  if (!now.ok() || now->status == OrderStatus::kPending) co_return;
  for (std::size_t i = 0; i < order.items.size(); ++i) {
    const OrderItem& item = updated.items[i];
    if (item.reservation_id == order.items[i].reservation_id) continue;
    // A twin delivery (a duplicate, another replica) reserved again under the same reference, got
    // this very reservation, and committed first: it is the order's stock now.
    if (now->items[i].reservation_id == item.reservation_id) continue;
    (void)co_await warehouse->Restock(item.sku, item.warehouse_id, item.quantity,
                                      RestockReference(order.id, item.reservation_id));
  }
}

Task<Status> OrderService::ConsumePaymentFailed(const Event& event) {
  CSIM_CHECK(!event.id.empty());
  auto processed = co_await ports_.store.IsProcessed(event.id);
  if (!processed.ok()) co_return processed.status();
  if (processed.value()) co_return Status::Ok();
  co_return co_await Cancel(event.Get("order_id"), "payment failed", event.id, CancelFrom::kAny);
}

Task<Status> OrderService::ApplyConfirm(const Order& order, Order& updated, OrderWrite& write) {
  CSIM_CHECK(CanTransition(order.status, OrderStatus::kConfirmed));
  CSIM_CHECK(updated.id == order.id);
  CSIM_CHECK(updated.items.size() == order.items.size());
  updated.status = OrderStatus::kConfirmed;
  const std::size_t outbox_before = write.outbox.size();
  bool all_confirmed = true;
  bool stock_gone = false;
  for (std::size_t i = 0; i < order.items.size(); ++i) {
    const OrderItem& item = order.items[i];
    Status confirmed = co_await ConfirmReservationWithRetry(item.reservation_id);
    if (confirmed.ok()) continue;
    // SIM-14: as the review has it, a confirm that still fails after its retries goes to the
    // confirm DLQ and the order is committed `confirmed` ahead of its stock. When the warehouse is
    // down longer than the reservation has left, the DLQ's retries meet a lapsed reservation and
    // can never confirm it: the order ships with no stock held. Fixed: a passing failure leaves the
    // whole confirmation uncommitted, to be tried again once the warehouse answers (a lapsed
    // reservation then takes SIM-05's path); confirming is idempotent.
    const bool passing =
        confirmed.code() == Code::kUnavailable || confirmed.code() == Code::kTimeout;
    if (passing && profile_.Fixed(FindingId("SIM-14"))) {
      co_return Status{Code::kUnavailable, "confirming reservation " + item.reservation_id + ": " +
                                               confirmed.ToString()};
    }
    // As the services do it (SIM-05), a reservation that lapsed before the payment arrived goes to
    // the confirm DLQ, whose retries fail the same way: the order is confirmed with no stock
    // held for it. Fixed: the stock is reserved again, and without stock the order is cancelled.
    if (confirmed.code() == Code::kFailedPrecondition && profile_.Fixed(FindingId("SIM-05"))) {
      // SIM-15: as SIM-05's fix was first written, the new reservation is made and committed
      // before any order names it. When this confirmation then returns early (SIM-09, SIM-14) or
      // loses its commit while the order is still pending, and a cancellation comes before the
      // retry, the cancellation releases only the lapsed reservation: the new units stay
      // committed for nothing. Fixed: the order first records that it is reserving again, so
      // every cancellation also looks the new reservation up by its reference.
      if (profile_.Fixed(FindingId("SIM-15")) && !order.reserving_again) {
        co_return co_await RecordReservingAgain(order);
      }
      auto again = co_await ReserveAgainAndConfirm(order, item);
      if (again.ok()) {
        updated.items[i].reservation_id = std::move(again).value();
        continue;
      }
      // SIM-23: a reserve again that timed out after its effect, retried more than a TTL later,
      // gets the same reservation back under its reference, lapsed by now, and its confirm fails
      // for good; as SIM-05's fix was written that falls back to the confirm DLQ below, whose
      // retries can never confirm: the order ships with no stock held. Fixed: a re-reservation
      // that lapsed too leaves the order without stock, cancelled like one whose stock ran out
      // (a third reservation would need a reference of its own that every cancellation looks up).
      const bool again_lapsed =
          again.code() == Code::kFailedPrecondition && profile_.Fixed(FindingId("SIM-23"));
      if (again.code() == Code::kInsufficient || again_lapsed) {
        stock_gone = true;
        continue;
      }
      // SIM-09: as SIM-05's fix was first written, any other failure of the new reservation falls
      // back to the confirm DLQ below, whose retries can never confirm a lapsed reservation: the
      // order is confirmed with no stock. Fixed: a passing failure (the warehouse unavailable, a
      // timeout) leaves the whole confirmation uncommitted, to be tried again; the new
      // reservation's reference makes a repeat return the reservation already made.
      const bool again_passing =
          again.code() == Code::kUnavailable || again.code() == Code::kTimeout;
      if (again_passing && profile_.Fixed(FindingId("SIM-09"))) {
        co_return Status{Code::kUnavailable,
                         "reserving a lapsed item again: " + again.status().ToString()};
      }
    }
    all_confirmed = false;
    Event dlq = OrderOutboxEvent(order.id + ":confirm:" + item.reservation_id,
                                 topics::kReservationConfirmDlq, order);
    dlq.fields["reservation_id"] = item.reservation_id;
    write.outbox.push_back(std::move(dlq));
  }
  if (stock_gone) {
    // Nothing of this order's DLQ rows matters any more: the cleanup gives back what was held.
    write.outbox.resize(outbox_before);
    updated.status = OrderStatus::kCancelled;
    updated.cancelled_at = ports_.clock.Now();
    updated.stock_released = false;
    updated.reservations_confirmed = false;
    AddCancelledEvents(updated, order.status, "stock lapsed before payment", write);
    co_return Status::Ok();
  }
  updated.reservations_confirmed = all_confirmed;
  write.outbox.push_back(StatusChangedEvent(updated, order.status));
  if (all_confirmed) {
    write.outbox.push_back(
        OrderOutboxEvent(order.id + ":stock_committed", topics::kStockCommitted, updated));
  }
  CSIM_CHECK(write.outbox.size() > outbox_before, "a confirmation writes its status change");
  co_return Status::Ok();
}

Task<bool> OrderService::ReleaseStock(const Order& order, OrderWrite& write) {
  // EC-14 as reviewed: `if warehouseInventoryService != nil { release }`, nothing else.
  if (RollbackWarehouse() == nullptr) co_return true;
  bool all_released = true;
  for (const OrderItem& item : order.items) {
    Status released = co_await ReleaseReservationWithRetry(item.reservation_id);
    if (!released.ok()) {
      all_released =
          co_await RestockOrDeadLetter(order, item, item.reservation_id, released, write) &&
          all_released;
    } else if (order.reserving_again) {
      // SIM-15 fixed: the lapsed reservation is gone; what was reserved in its place may not be.
      all_released = co_await GiveBackReservedAgainByReference(order, item, write) && all_released;
    }
  }
  co_return all_released;
}

Task<bool> OrderService::RestockOrDeadLetter(const Order& order, const OrderItem& item,
                                             const std::string& reservation_id,
                                             const Status& released, OrderWrite& write) {
  CSIM_CHECK(!released.ok(), "only a release that failed");
  WarehouseInventory* warehouse = RollbackWarehouse();
  CSIM_CHECK(warehouse != nullptr, "ReleaseStock skips releases without an interface");
  if (released.code() == Code::kFailedPrecondition) {
    // Already committed (EC-10): put the units back on hand instead.
    const std::string reference = RestockReference(order.id, reservation_id);
    Status restocked =
        co_await warehouse->Restock(item.sku, item.warehouse_id, item.quantity, reference);
    if (restocked.ok()) co_return true;
    write.outbox.push_back(
        StockCompensationRow(order, item, reservation_id, topics::kRefundRestockDlq));
  } else {
    write.outbox.push_back(
        StockCompensationRow(order, item, reservation_id, topics::kReservationReleaseDlq));
  }
  co_return false;
}

Task<Status> OrderService::CancelOrder(const std::string& order_id, const std::string& reason) {
  co_return co_await Cancel(order_id, reason, "", CancelFrom::kAny);
}

Task<Status> OrderService::Cancel(const std::string& order_id, const std::string& reason,
                                  const std::string& processed_event_id, CancelFrom from) {
  const bool from_event = !processed_event_id.empty();
  auto loaded = co_await ports_.store.GetOrder(order_id);
  if (!loaded.ok()) {
    if (from_event && loaded.code() == Code::kNotFound) {
      co_return co_await MarkProcessed(processed_event_id);
    }
    co_return loaded.status();
  }
  Order order = std::move(loaded).value();
  const bool admitted =
      from == CancelFrom::kAny || order.status == OrderStatus::kPending ||
      (from == CancelFrom::kPendingOrConfirmed && order.status == OrderStatus::kConfirmed);
  const bool skip = order.status == OrderStatus::kCancelled ||
                    !CanTransition(order.status, OrderStatus::kCancelled) || !admitted;
  if (skip) {
    if (from_event) co_return co_await MarkProcessed(processed_event_id);
    if (order.status == OrderStatus::kCancelled) co_return Status::Ok();
    co_return Status{Code::kFailedPrecondition,
                     "cannot cancel a " + std::string{Name(order.status)} + " order"};
  }
  // SIM-44: as written, an order the fulfilment service has heard of (confirmed or later) is
  // cancelled without asking it, so goods that left while the bus could not yet say so go to a
  // customer whose order is cancelled and refunded. Fixed: fulfilment holds the order first, and
  // refuses once its goods left; the cancellation commits within the hold or not at all.
  std::optional<TimeUs> held_until;
  if (order.status != OrderStatus::kPending && profile_.Fixed(FindingId("SIM-44"))) {
    CSIM_CHECK(ports_.fulfillment != nullptr,
               "OrderPorts::fulfillment is required with SIM-44 fixed");
    auto held = co_await ports_.fulfillment->CallOff(order.id);
    if (held.code() == Code::kFailedPrecondition) {
      // Nothing to call back: a return is the customer's way now; an event asking to cancel
      // (payment.failed arriving late) is recorded and dropped by this rule.
      if (from_event) co_return co_await MarkProcessed(processed_event_id);
      co_return Status{Code::kFailedPrecondition, "cannot cancel: the order's goods already left"};
    }
    if (!held.ok()) co_return held.status();
    held_until = held.value();
  }
  auto hold_lapsed = [&] {
    return held_until && ports_.clock.Now() + kCancelCommitMarginUs > *held_until;
  };
  if (profile_.Fixed(FindingId("SIM-01"))) {
    // CancelThenCompensate commits before it awaits anything else.
    if (hold_lapsed()) co_return Status{Code::kUnavailable, "fulfilment's hold lapsed: retry"};
    co_return co_await CancelThenCompensate(std::move(order), reason, processed_event_id);
  }
  // As the services do it (SIM-01): stock and money are given back first and the cancellation
  // is committed last, so a payments.refund.completed that arrives in between finds the order
  // not yet cancelled, and a commit that fails leaves a live order without its stock.
  OrderWrite write;
  write.processed_event_id = processed_event_id;
  Order updated = order;
  updated.version = order.version + 1;
  updated.status = OrderStatus::kCancelled;
  updated.cancelled_at = ports_.clock.Now();
  // Failed releases are in the outbox as DLQ rows, which RunDlqRetryOnce redrives.
  (void)co_await ReleaseStock(order, write);
  updated.stock_released = true;
  co_await ReturnPayment(order);
  AddCancelledEvents(updated, order.status, reason, write);
  write.update = std::move(updated);
  if (hold_lapsed()) co_return Status{Code::kUnavailable, "fulfilment's hold lapsed: retry"};
  Status committed = co_await ports_.store.Commit(write);
  if (committed.code() == Code::kConflict) co_return Status{Code::kUnavailable, "retry"};
  co_return committed;
}

Task<Status> OrderService::CancelThenCompensate(Order order, const std::string& reason,
                                                const std::string& processed_event_id) {
  // Fixed (SIM-01): the cancellation commits first; only then are stock and money given back.
  // What fails afterwards is retried from durable state: ReservationCleanupJob releases stock of
  // cancelled orders with stock_released == false, PaymentCompensationWorker refunds or voids.
  OrderWrite cancel;
  cancel.processed_event_id = processed_event_id;
  Order cancelled = order;
  cancelled.version = order.version + 1;
  cancelled.status = OrderStatus::kCancelled;
  cancelled.stock_released = false;
  cancelled.cancelled_at = ports_.clock.Now();
  AddCancelledEvents(cancelled, order.status, reason, cancel);
  // SIM-30: as SIM-01 was first fixed, a release that failed is written as a DLQ row only in the
  // second commit below, after the cancellation and the event's processed mark. When that commit
  // fails too, the row goes with it and nothing retries the release before ReservationCleanupJob's
  // next pass, up to 15 minutes later. Fixed: the cancellation itself carries the release row of
  // every reservation (the row ReleaseStock would write for it), so the compensation pipeline
  // releases whatever happens next; the direct release below is then only the quick way, and the
  // row it makes redundant redrives as a no-op (a released reservation releases Ok, a committed
  // one is restocked by the same reference, once). Without a release interface (EC-14 as
  // reviewed) ReleaseStock releases nothing, and nor do the rows.
  const bool rows_first = profile_.Fixed(FindingId("SIM-30")) && RollbackWarehouse() != nullptr;
  // SIM-36: an order reserving again may hold units under a reservation no order names, which
  // ReleaseStock looks up by its reference only after the lapsed reservation's release worked, and
  // for which it can write no row when the lookup fails (no id): when the warehouse refuses the
  // cancellation, those units wait for ReservationCleanupJob, up to 15 minutes. Fixed: the
  // cancellation also carries a row that looks the reservation up by that reference and gives
  // back what it finds, so the DLQ retry does it within a minute.
  const bool again_rows =
      rows_first && order.reserving_again && profile_.Fixed(FindingId("SIM-36"));
  if (rows_first) {
    for (const OrderItem& item : order.items) {
      if (item.reservation_id.empty()) continue;
      cancel.outbox.push_back(
          StockCompensationRow(order, item, item.reservation_id, topics::kReservationReleaseDlq));
      if (!again_rows) continue;
      Event again =
          StockCompensationRow(order, item, item.reservation_id, topics::kReservationReleaseDlq);
      again.id = order.id + ":release-again:" + item.reservation_id;
      again.fields["reservation_id"] = "";  // not known: the reference finds it
      again.fields["reference"] = "";       // the restock reference names the one found
      again.fields[std::string{topics::kAgainReferenceField}] =
          ReserveAgainRequest(order, item).reference;
      cancel.outbox.push_back(std::move(again));
    }
  }
  cancel.update = cancelled;
  Status committed = co_await ports_.store.Commit(cancel);
  if (committed.code() == Code::kConflict) co_return Status{Code::kUnavailable, "retry"};
  if (!committed.ok()) co_return committed;

  OrderWrite released;
  const bool all_released = co_await ReleaseStock(order, released);
  co_await ReturnPayment(order);
  Order after = cancelled;
  after.version = cancelled.version + 1;
  // Failures wrote DLQ rows; a partial release also leaves the flag false, so ReservationCleanupJob
  // tries the whole again, which also covers the SIM-15 lookups that had no id to write a row for.
  after.stock_released = all_released;
  released.update = after;
  if (rows_first) {
    // A release row the cancellation already holds is not written twice (it would redrive twice);
    // the rows with other ids (a restock that failed, SIM-15's reservation made again) stay.
    std::erase_if(released.outbox, [&cancel](const Event& row) {
      return std::any_of(cancel.outbox.begin(), cancel.outbox.end(),
                         [&row](const Event& first) { return first.id == row.id; });
    });
  }
  // As reviewed (SIM-30) a lost write here loses the DLQ rows of the releases that failed, not
  // only the flag; fixed, the cancellation's rows still release. Either way, with the flag left
  // false ReservationCleanupJob releases again (idempotent).
  (void)co_await ports_.store.Commit(released);
  co_return Status::Ok();
}

Task<void> OrderService::ReturnPayment(const Order& order) {
  if (order.authorization_id.empty()) co_return;
  if (order.captured > 0) {
    // A paid order that is cancelled is refunded; payments.refund.completed finishes it.
    (void)co_await ports_.payment.Refund(order.authorization_id, order.id, order.captured);
  } else {
    (void)co_await ports_.payment.Void(order.authorization_id);
  }
}

void OrderService::AddCancelledEvents(const Order& cancelled, OrderStatus from,
                                      const std::string& reason, OrderWrite& write) {
  Event event = OrderOutboxEvent(cancelled.id + ":cancelled", topics::kOrderCancelled, cancelled);
  event.fields["reason"] = reason;
  write.outbox.push_back(std::move(event));
  write.outbox.push_back(StatusChangedEvent(cancelled, from));
}

Task<Status> OrderService::MarkProcessed(const std::string& event_id) {
  CSIM_CHECK(!event_id.empty());
  OrderWrite mark;
  mark.processed_event_id = event_id;
  Status committed = co_await ports_.store.Commit(mark);
  // kConflict: a concurrent delivery recorded it first, which is the same outcome.
  co_return committed.code() == Code::kConflict ? Status::Ok() : committed;
}

std::vector<OrderService::Subscription> OrderService::Subscriptions() const {
  std::vector<Subscription> subs;
  // The compensation rows the outbox publisher published reach the DLQ consumer.
  for (std::string_view topic : {topics::kReservationConfirmDlq, topics::kReservationReleaseDlq,
                                 topics::kRefundRestockDlq}) {
    subs.push_back({topic, kOrderDlqSubscriber, &OrderService::ConsumeCompensation});
  }
  subs.push_back({topics::kFulfillmentStatusChanged, kOrderWorkerSubscriber,
                  &OrderService::ConsumeFulfillmentStatusChanged});
  subs.push_back({topics::kReservationExpired, kOrderWorkerSubscriber,
                  &OrderService::ConsumeReservationExpired});
  subs.push_back({topics::kShipmentDelivered, kOrderWorkerSubscriber,
                  &OrderService::ConsumeShipmentDelivered});
  // P0-CC-01: as reviewed the worker has no consumer for refund.completed, so a refund completes
  // at the gateway and the order never becomes refunded.
  if (profile_.Fixed(FindingId("P0-CC-01"))) {
    subs.push_back(
        {topics::kRefundCompleted, kOrderWorkerSubscriber, &OrderService::ConsumeRefundCompleted});
  }
  subs.push_back({topics::kPaymentCaptureRequested, kOrderWorkerSubscriber,
                  &OrderService::ConsumePaymentCaptureRequested});
  subs.push_back(
      {topics::kPaymentConfirmed, kOrderWorkerSubscriber, &OrderService::ConsumePaymentConfirmed});
  subs.push_back(
      {topics::kPaymentFailed, kOrderWorkerSubscriber, &OrderService::ConsumePaymentFailed});
  return subs;
}

void OrderService::RegisterConsumers(EventBus& bus) {
  for (const Subscription& sub : Subscriptions()) {
    bus.Subscribe(std::string{sub.topic}, std::string{sub.subscriber},
                  [this, consume = sub.consume](const Event& e) { return (this->*consume)(e); });
  }
}

std::vector<std::string_view> OrderService::SubscribedTopics() const {
  std::vector<std::string_view> names;
  for (const Subscription& sub : Subscriptions()) names.push_back(sub.topic);
  return names;
}

}  // namespace csim
