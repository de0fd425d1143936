#include "core/order/order_service.h"

#include <string>

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

Event OutboxEvent(std::string id, std::string_view topic, const Order& order) {
  Event event;
  event.id = std::move(id);
  event.topic = std::string{topic};
  event.subject = order.id;
  event.fields["order_id"] = order.id;
  event.fields["customer_id"] = order.customer_id;
  event.fields["total"] = std::to_string(order.total);
  return event;
}

}  // namespace

Event StatusChangedEvent(const Order& order, OrderStatus from) {
  std::string id = order.id + ":status:" + std::string{Name(order.status)};
  Event event = OutboxEvent(id, topics::kOrderStatusChanged, order);
  event.fields["from"] = std::string{Name(from)};
  event.fields["to"] = std::string{Name(order.status)};
  return event;
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

  Status valid = ValidateOrderTotals(request, config_.order.max_order_amount);
  if (!valid.ok()) co_return valid;

  const TimeUs now = ports_.clock.Now();
  Order order;
  order.id = "order-" + request.cart_session_id;
  order.cart_session_id = request.cart_session_id;
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
  order.expiry_at = now + config_.order.order_timeout_minutes * kMinuteUs;
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

Task<bool> OrderService::ConfirmReservationWithRetry(const std::string& reservation_id) {
  DurationUs backoff_us = config_.order.confirm_backoff_ms * kMillisecondUs;
  for (std::int32_t attempt = 0;; ++attempt) {
    Status confirmed = co_await ports_.warehouse.Confirm(reservation_id);
    if (confirmed.ok()) co_return true;
    if (confirmed.code() == Code::kFailedPrecondition) co_return false;  // released or lapsed
    if (attempt >= config_.order.confirm_retries) co_return false;
    co_await ports_.clock.Sleep(backoff_us);
    backoff_us *= 2;  // 100, 200, 400 ms
  }
}

Task<Status> OrderService::ReleaseReservationWithRetry(const std::string& reservation_id) {
  Status released;
  for (std::int32_t attempt = 0; attempt <= config_.order.release_retries; ++attempt) {
    released = co_await ports_.warehouse.Release(reservation_id);
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
    CSIM_CHECK(CanTransition(order.status, OrderStatus::kConfirmed));
    updated.status = OrderStatus::kConfirmed;
    bool all_confirmed = true;
    for (const OrderItem& item : order.items) {
      if (!co_await ConfirmReservationWithRetry(item.reservation_id)) {
        all_confirmed = false;
        Event dlq = OutboxEvent(order.id + ":confirm:" + item.reservation_id,
                                topics::kReservationConfirmDlq, order);
        dlq.fields["reservation_id"] = item.reservation_id;
        write.outbox.push_back(std::move(dlq));
      }
    }
    updated.reservations_confirmed = all_confirmed;
    write.outbox.push_back(StatusChangedEvent(updated, order.status));
    if (all_confirmed) {
      write.outbox.push_back(
          OutboxEvent(order.id + ":stock_committed", topics::kStockCommitted, updated));
    }
  }
  write.update = updated;
  Status committed = co_await ports_.store.Commit(write);
  if (committed.code() == Code::kConflict) co_return Status{Code::kUnavailable, "retry"};
  co_return committed;
}

Task<Status> OrderService::ConsumePaymentFailed(const Event& event) {
  auto processed = co_await ports_.store.IsProcessed(event.id);
  if (!processed.ok()) co_return processed.status();
  if (processed.value()) co_return Status::Ok();
  Status cancelled = co_await CancelOrder(event.Get("order_id"), "payment failed");
  if (!cancelled.ok() && cancelled.code() != Code::kNotFound &&
      cancelled.code() != Code::kFailedPrecondition) {
    co_return cancelled;
  }
  OrderWrite mark;
  mark.processed_event_id = event.id;
  Status committed = co_await ports_.store.Commit(mark);
  co_return committed.code() == Code::kConflict ? Status::Ok() : committed;
}

Task<Status> OrderService::CancelOrder(const std::string& order_id, const std::string& reason) {
  auto loaded = co_await ports_.store.GetOrder(order_id);
  if (!loaded.ok()) co_return loaded.status();
  Order order = std::move(loaded).value();
  if (order.status == OrderStatus::kCancelled) co_return Status::Ok();
  if (!CanTransition(order.status, OrderStatus::kCancelled)) {
    co_return Status{Code::kFailedPrecondition,
                     "cannot cancel a " + std::string{Name(order.status)} + " order"};
  }
  OrderWrite write;
  Order updated = order;
  updated.version = order.version + 1;
  updated.status = OrderStatus::kCancelled;
  for (const OrderItem& item : order.items) {
    Status released = co_await ReleaseReservationWithRetry(item.reservation_id);
    if (released.code() == Code::kFailedPrecondition) {
      // Already committed (EC-10): put the units back on hand instead.
      Status restocked = co_await ports_.warehouse.Restock(
          item.sku, item.warehouse_id, item.quantity, order.id + ":restock:" + item.reservation_id);
      if (!restocked.ok()) {
        Event dlq = OutboxEvent(order.id + ":restock:" + item.reservation_id,
                                topics::kRefundRestockDlq, order);
        dlq.fields["reservation_id"] = item.reservation_id;
        write.outbox.push_back(std::move(dlq));
      }
    } else if (!released.ok()) {
      Event dlq = OutboxEvent(order.id + ":release:" + item.reservation_id,
                              topics::kReservationReleaseDlq, order);
      dlq.fields["reservation_id"] = item.reservation_id;
      write.outbox.push_back(std::move(dlq));
    }
  }
  updated.stock_released = true;
  if (!order.authorization_id.empty()) {
    if (order.captured > 0) {
      // A paid order that is cancelled is refunded; payments.refund.completed finishes it.
      (void)co_await ports_.payment.Refund(order.authorization_id, order.id, order.captured);
    } else {
      (void)co_await ports_.payment.Void(order.authorization_id);
    }
  }
  Event cancelled = OutboxEvent(order.id + ":cancelled", topics::kOrderCancelled, updated);
  cancelled.fields["reason"] = reason;
  write.outbox.push_back(std::move(cancelled));
  write.outbox.push_back(StatusChangedEvent(updated, order.status));
  write.update = updated;
  Status committed = co_await ports_.store.Commit(write);
  if (committed.code() == Code::kConflict) co_return Status{Code::kUnavailable, "retry"};
  co_return committed;
}

void OrderService::RegisterConsumers(EventBus& bus) {
  const std::string subscriber{kOrderWorkerSubscriber};
  bus.Subscribe(std::string{topics::kPaymentCaptureRequested}, subscriber,
                [this](const Event& e) { return ConsumePaymentCaptureRequested(e); });
  bus.Subscribe(std::string{topics::kPaymentConfirmed}, subscriber,
                [this](const Event& e) { return ConsumePaymentConfirmed(e); });
  bus.Subscribe(std::string{topics::kPaymentFailed}, subscriber,
                [this](const Event& e) { return ConsumePaymentFailed(e); });
}

}  // namespace csim
