// The order worker's cron jobs, one pass per call; the simulator calls each on its schedule.

#include <limits>
#include <string>
#include <utility>

#include "core/order/order_service.h"
#include "core/order/transitions.h"
#include "core/topics.h"

namespace csim {
namespace {

bool IsCompensationTopic(std::string_view topic) {
  return topic == topics::kReservationConfirmDlq || topic == topics::kReservationReleaseDlq ||
         topic == topics::kRefundRestockDlq;
}

// Codes a retry cannot change: the row is handed to an operator (marked failed).
bool IsPermanent(Code code) {
  return code == Code::kFailedPrecondition || code == Code::kInvalidArgument ||
         code == Code::kNotFound;
}

}  // namespace

Task<std::int32_t> OrderService::RunOrderCleanupOnce() {
  const TimeUs now = ports_.clock.Now();
  OrderQuery query;
  query.statuses = {OrderStatus::kPending};
  query.expiry_before = now;
  query.limit = kCleanupBatchMax;
  auto found = co_await ports_.store.FindOrders(query);
  if (!found.ok()) co_return 0;  // the next pass retries
  CSIM_CHECK(found->size() <= static_cast<std::size_t>(kCleanupBatchMax));
  std::int32_t cancelled = 0;
  for (const Order& order : found.value()) {
    CSIM_CHECK(order.status == OrderStatus::kPending);
    CSIM_CHECK(order.expiry_at.has_value() && *order.expiry_at < now);
    // pending_only: a payment confirmed since the query keeps its order.
    Status status = co_await Cancel(order.id, "expired", "", true);
    if (status.ok()) ++cancelled;
  }
  co_return cancelled;
}

Task<std::int32_t> OrderService::RunReservationCleanupOnce() {
  OrderQuery query;
  query.statuses = {OrderStatus::kCancelled};
  query.limit = kReservationScanMax;
  auto found = co_await ports_.store.FindOrders(query);
  if (!found.ok()) co_return 0;
  std::int32_t released = 0;
  for (const Order& order : found.value()) {
    if (order.stock_released) continue;
    if (released >= kCleanupBatchMax) break;
    OrderWrite write;
    // Only a complete release sets the flag; a partial one is retried whole by the next pass
    // (release and restock are idempotent), so its DLQ rows are not written.
    if (!co_await ReleaseStock(order, write)) continue;
    CSIM_CHECK(write.outbox.empty());
    Order updated = order;
    updated.version = order.version + 1;
    updated.stock_released = true;
    write.update = updated;
    if ((co_await ports_.store.Commit(write)).ok()) ++released;
  }
  CSIM_CHECK(released <= kCleanupBatchMax);
  co_return released;
}

Task<Status> OrderService::ConsumeCompensation(const Event& event) {
  Status status = co_await RedriveCompensation(event);
  if (status.ok() || !IsPermanent(status.code())) co_return status;
  co_return Status::Ok();  // nothing a redelivery can fix
}

Task<Status> OrderService::RedriveCompensation(const Event& event) {
  CSIM_CHECK(IsCompensationTopic(event.topic));
  const std::string reservation_id = event.Get("reservation_id");
  if (event.topic == topics::kReservationConfirmDlq) {
    co_return co_await ports_.warehouse.Confirm(reservation_id);
  }
  if (event.topic == topics::kReservationReleaseDlq) {
    Status released = co_await ports_.warehouse.Release(reservation_id);
    // Committed since: put the units back instead (EC-10).
    if (released.code() != Code::kFailedPrecondition || event.Get("sku").empty()) {
      co_return released;
    }
  }
  const std::int64_t quantity = event.GetInt("quantity");
  if (quantity <= 0 || quantity > std::numeric_limits<std::int32_t>::max()) {
    co_return Status{Code::kInvalidArgument, "compensation row without a valid quantity"};
  }
  co_return co_await ports_.warehouse.Restock(event.Get("sku"), event.Get("warehouse_id"),
                                              static_cast<std::int32_t>(quantity),
                                              event.Get("reference"));
}

Task<std::int32_t> OrderService::RunDlqRetryOnce() {
  const TimeUs now = ports_.clock.Now();
  auto due = co_await ports_.store.DueOutbox(now, kDlqScanMax);
  if (!due.ok()) co_return 0;
  CSIM_CHECK(due->size() <= static_cast<std::size_t>(kDlqScanMax));
  const DurationUs backoff_us = config_.order.dlq_retry_interval_seconds * kSecondUs;
  std::int32_t redriven = 0;
  for (OutboxRow row : due.value()) {
    if (!IsCompensationTopic(row.event.topic)) continue;  // the publisher's rows
    CSIM_CHECK(row.status == OutboxStatus::kPending);
    Status status = co_await RedriveCompensation(row.event);
    ++row.attempts;
    if (status.ok()) {
      row.status = OutboxStatus::kPublished;  // done: the publisher must not take it again
      ++redriven;
    } else if (IsPermanent(status.code()) || row.attempts >= kDlqAttemptsMax) {
      row.status = OutboxStatus::kFailed;  // for an operator
    } else {
      row.next_attempt_at = now + backoff_us;
    }
    (void)co_await ports_.store.UpdateOutbox(row);  // lost: redriven again, idempotently
  }
  co_return redriven;
}

Task<std::int32_t> OrderService::RunCodAutoConfirmOnce() {
  OrderQuery query;
  query.statuses = {OrderStatus::kPending};
  query.limit = kCodScanMax;
  auto found = co_await ports_.store.FindOrders(query);
  if (!found.ok()) co_return 0;
  std::int32_t confirmed = 0;
  for (const Order& order : found.value()) {
    if (order.payment_method != PaymentMethod::kCashOnDelivery) continue;
    if (confirmed >= kCleanupBatchMax) break;
    CSIM_CHECK(order.authorization_id.empty(), "cash on delivery has no authorization");
    OrderWrite write;
    Order updated = order;
    updated.version = order.version + 1;
    co_await ApplyConfirm(order, updated, write);
    write.update = updated;
    if ((co_await ports_.store.Commit(write)).ok()) ++confirmed;
  }
  co_return confirmed;
}

}  // namespace csim
