#pragma once
// The order service: order creation (the OrderClient checkout calls), cancellation, and the event
// consumers of its worker. Stateless between calls: everything it knows is in the OrderStore, so a
// crash loses nothing but the calls in flight.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/findings.h"
#include "core/money.h"
#include "core/order/transitions.h"
#include "core/ports/alerts.h"
#include "core/ports/clock.h"
#include "core/ports/event_bus.h"
#include "core/ports/fulfillment.h"
#include "core/ports/order_client.h"
#include "core/ports/order_store.h"
#include "core/ports/payment.h"
#include "core/ports/warehouse.h"
#include "core/schedule.h"

namespace csim {

struct OrderPorts {
  Clock& clock;
  OrderStore& store;
  WarehouseInventory& warehouse;  // the primary interface (the review's warehouseInventoryService)
  PaymentGateway& payment;
  // Finding EC-14: the order side's second warehouse interface (the review's warehouseClient).
  // reservation.go uses warehouseInventoryService when it is set, else warehouseClient; its
  // rollback releases only through warehouseInventoryService. `primary_warehouse_configured ==
  // false` models the service built without warehouseInventoryService (nil): as reviewed,
  // reservation confirmations then go through `legacy_warehouse` (REQUIRES: not null), while
  // releases and restocks (cancellation, reservation cleanup) are silently skipped, so the stock
  // of every cancelled order leaks. Fixed: one warehouse port, every call goes through `warehouse`
  // and these two fields are ignored. The defaults keep the single-interface behaviour.
  WarehouseInventory* legacy_warehouse = nullptr;
  bool primary_warehouse_configured = true;
  // Where a compensation that no retry can fix is reported (P1-CC-03 fixed: dead-lettered with an
  // alert). REQUIRES: set wherever such a compensation can happen under that profile.
  Alerts* alerts = nullptr;
  // Asked to hold a confirmed or processing order before it is cancelled (SIM-44 fixed).
  // REQUIRES: set wherever such an order can be cancelled under that profile.
  Fulfillment* fulfillment = nullptr;
};

// Finding M-01 / P2-CC-08: the maximum order amount hard-coded in the review's checkout constants
// (MaxOrderAmount = 100_000_000 VND), which CreateOrder checks as reviewed whatever
// config.order.max_order_amount says.
inline constexpr Money kMaxOrderAmount = 100'000'000 * kVnd;

// A cancellation commits only while fulfilment's hold (SIM-44) has at least this long to run: the
// commit itself lands within the store's deadline, far shorter.
inline constexpr DurationUs kCancelCommitMarginUs = 5 * kMinuteUs;

inline constexpr std::string_view kOrderWorkerSubscriber = "order-worker";
// The deprecated HTTP subscription path (finding ), subscribed only as reviewed.
inline constexpr std::string_view kOrderHttpSubscriber = "order-http";

// The DLQ consumer of compensation.* events that the outbox publisher published (see
// RunDlqRetryOnce).
inline constexpr std::string_view kOrderDlqSubscriber = "order-dlq";

// One pass of each cron worker handles at most config.order.cron_batch_size rows (at most
// kCronBatchMax), the next pass the rest, so a backlog never makes one pass unbounded.
// Cancelled orders the reservation cleanup scans per pass: FindOrders cannot filter on
// stock_released, so it scans more rows than it acts on.
inline constexpr std::int32_t kReservationScanMax = 10'000;
// Pending orders the COD auto-confirm scans per pass (card orders are skipped).
inline constexpr std::int32_t kCodScanMax = 1'000;
static_assert(kCodScanMax >= kCronBatchMax, "a COD pass can fill its batch");
// Due outbox rows the DLQ retry scans per pass (rows of other topics are left to the publisher).
inline constexpr std::int32_t kDlqScanMax = 1'000;
// Redrives of one compensation row before it is marked failed for an operator.
inline constexpr std::int32_t kDlqAttemptsMax = 10;
// SIM-31 fixed: a stock row (a release or a restock) is redriven past kDlqAttemptsMax, a minute
// apart as before, for a day in all: stock is wanted back within minutes of the warehouse's return.
inline constexpr std::int32_t kDlqStockAttemptsMax = 1'440;

class OrderService final : public OrderClient {
 public:
  OrderService(OrderPorts ports, const Config& config, const Profile& profile)
      : ports_(ports), config_(config), profile_(profile) {}

  Task<Result<Order>> CreateOrder(const CreateOrderRequest& request) override;
  Task<Status> CancelOrder(const std::string& order_id, const std::string& reason) override;
  Task<Result<Order>> FindBySession(const std::string& cart_session_id) override;

  // ---- consumers of the order worker (EventConsumersWorker), each deduplicated by event id ----
  Task<Status> ConsumePaymentCaptureRequested(const Event& event);
  Task<Status> ConsumePaymentConfirmed(const Event& event);
  Task<Status> ConsumePaymentFailed(const Event& event);

  // payments.refund.completed (order_id, amount): cancelled/delivered/returned -> refunded.
  Task<Status> ConsumeRefundCompleted(const Event& event);
  // warehouse.inventory.reservation_expired (reservation_id, reference "<session>:<index>"):
  // cancels the pending order holding that reservation; any other order is left alone.
  Task<Status> ConsumeReservationExpired(const Event& event);
  // shipping.shipment.delivered (order_id): shipped/partially_shipped -> delivered, and
  // orders.order.completed is written to the outbox.
  Task<Status> ConsumeShipmentDelivered(const Event& event);
  // fulfillments.fulfillment.status_changed (order_id, status in processing, partially_shipped,
  // shipped): moves the order when the table allows it, else acknowledges and ignores it.
  Task<Status> ConsumeFulfillmentStatusChanged(const Event& event);
  // The deprecated HTTP handler of payments.payment.confirmed: no event-id dedup, so
  // every delivery confirms the reservations again and writes another inventory.stock.committed
  // row. It leaves the status move to the worker's consumer.
  Task<Status> ConsumePaymentConfirmedHttpDeprecated(const Event& event);

  // compensation.reservation_confirm / _release / refund_restock: performs the warehouse action.
  // Transient failures are returned (redelivered); a row that can never succeed is acknowledged,
  // and (P1-CC-03 fixed) dead-lettered with an alert naming the event.
  Task<Status> ConsumeCompensation(const Event& event);

  // Subscribes every consumer the order worker registers (refund.completed only if P0-CC-01 is
  // fixed).
  void RegisterConsumers(EventBus& bus);
  // As reviewed also subscribes the deprecated HTTP path to payments.payment.confirmed;
  // fixed: registers nothing (one entry point per topic).
  void RegisterDeprecatedHttpHandlers(EventBus& bus);
  // Every topic RegisterConsumers subscribes, in its order, each once (the compensation.* topics
  // of the order-dlq subscriber included; payments.refund.completed only if P0-CC-01 is fixed).
  // The deprecated HTTP path (RegisterDeprecatedHttpHandlers) is not listed. For the topology
  // audit.
  std::vector<std::string_view> SubscribedTopics() const;

  // Every job the order worker process runs, on its configured period: the outbox publisher onto
  // `bus` (alerts on `alerts`, P1-CC-03 fixed), OrderCleanupJob, (SIM-42 as written)
  // ReservationCleanupJob and DLQRetryWorker, CODAutoConfirmWorker, CaptureRetryWorker,
  // PaymentCompensationWorker and, P1-CC-03 fixed, the drain of failed outbox rows.
  // REQUIRES: `bus` and `alerts` outlive them.
  Schedule Jobs(EventBus& bus, Alerts& alerts);
  // ReservationCleanupJob and DLQRetryWorker in a process of their own, away from the consumers
  // (SIM-42 fixed); none otherwise (Jobs has them). REQUIRES: the service outlives the jobs.
  Schedule RepairJobs();
  // The jobs that watch the order database from a process of their own (SIM-38 fixed: SIM-37's
  // OutboxLagMonitor); none otherwise. REQUIRES: the service and `alerts` outlive the jobs.
  Schedule MonitorJobs(Alerts& alerts);

  // ---- cron workers: one pass each, returning how many orders (rows) it acted on ----
  // OrderCleanupJob: cancels pending and confirmed orders whose expiry_at < now (review 8.2,
  // EC-10: a confirmed order's committed stock is restocked, its money refunded by
  // PaymentCompensationWorker).
  Task<std::int32_t> RunOrderCleanupOnce();
  // ReservationCleanupJob: releases (or restocks) the stock of cancelled orders whose
  // stock_released is false, then sets it.
  Task<std::int32_t> RunReservationCleanupOnce();
  // DLQRetryWorker: redrives due compensation.* outbox rows against the warehouse and marks each
  // published once its action succeeded. The outbox publisher may take such a row first and
  // publish it instead; the order-dlq consumer then performs the same action (every warehouse
  // action is idempotent), so whichever path takes a row, its compensation runs.
  Task<std::int32_t> RunDlqRetryOnce();
  // CODAutoConfirmWorker: pending cash-on-delivery orders -> confirmed, reservations confirmed.
  // (The review's "after delivery" is the cash collected at delivery, which the outside world
  // records; see docs/findings.md on why the order itself is confirmed before shipping.)
  Task<std::int32_t> RunCodAutoConfirmOnce();

  // ==== Payment workers (CaptureRetryWorker, PaymentCompensationWorker); order_workers.cc ====
  // Pending orders the capture retry scans per pass (cash-on-delivery orders are skipped).
  static constexpr std::int32_t kCaptureScanMax = 1'000;
  static_assert(kCaptureScanMax >= kCronBatchMax, "a capture pass can fill its batch");
  // A pending card order younger than this is left to the payments.capture_requested consumer.
  static constexpr DurationUs kCaptureRetryGraceUs = kMinuteUs;
  // Cancelled orders the payment compensation scans per pass.
  static constexpr std::int32_t kPaymentCompensationScanMax = 10'000;
  // The payment compensation voids no hold of an order created longer ago than this: an
  // authorization lapses by itself within it (the card networks' hold, the fake gateway's 7 days),
  // and a stateless pass must stop re-issuing its idempotent voids at some point. Refunds have no
  // horizon (SIM-27): money taken stays owed until it is paid back.
  static constexpr DurationUs kPaymentCompensationHorizonUs = 7 * kDayUs;

  // CaptureRetryWorker: captures again (payment.Capture(authorization, order id, total)) every
  // pending, not yet expired card order with an authorization, no capture recorded and created at
  // least kCaptureRetryGraceUs ago, at most cron_batch_size per pass. Stateless: no attempt
  // counter is stored; the gateway's capture is idempotent per order, and the retry budget is the
  // order's age: attempt n = age / capture_retry_interval_seconds, retried while
  // 1 <= n <= capture_max_retries, after which the order is left to expiry (RunOrderCleanupOnce).
  // Run every capture_retry_interval_seconds, an order gets about capture_max_retries retries.
  // The outcome arrives as a webhook, as for the first capture. Returns the captures the gateway
  // accepted (Ok).
  Task<std::int32_t> RunCaptureRetryOnce();
  // PaymentCompensationWorker: for cancelled orders: money taken (captured > refunded) is refunded
  // (payment.Refund(authorization, order id, captured - refunded); one refund per order at the
  // gateway, so a repeat refunds nothing); an authorization never captured (captured == 0) is
  // voided within kPaymentCompensationHorizonUs of the order's creation (idempotent;
  // kFailedPrecondition if the gateway captured meanwhile, whose confirmed webhook then records
  // `captured` and a later pass refunds). Refunds go first; at most cron_batch_size calls per
  // pass. Stateless, so a settled order is called again (idempotently) until it leaves the
  // cancelled status, or for a void the horizon. Returns the calls that returned Ok.
  Task<std::int32_t> RunPaymentCompensationOnce();
  // ==== end of payment workers ====

 private:
  // ReservationCleanupJob and DLQRetryWorker, onto `jobs` (SIM-42: Jobs or RepairJobs).
  void AddStockRepairJobs(Schedule& jobs);
  using Effect = std::function<void(Order&, OrderWrite&)>;
  struct Subscription {
    std::string_view topic;
    std::string_view subscriber;
    Task<Status> (OrderService::*consume)(const Event&);
  };

  // What RegisterConsumers subscribes (and SubscribedTopics lists).
  std::vector<Subscription> Subscriptions() const;
  // EC-14: the interface reservation confirmations go through.
  WarehouseInventory& ConfirmWarehouse() const;
  // EC-14: the interface releases and restocks go through; nullptr when they are skipped (as
  // reviewed, primary interface absent).
  WarehouseInventory* RollbackWarehouse() const;

  // Ok, kFailedPrecondition (released or lapsed: no retry helps), or the last transient error.
  Task<Status> ConfirmReservationWithRetry(const std::string& reservation_id);
  // SIM-05 fixed: a reservation that lapsed before the payment was confirmed is made again and
  // confirmed. Returns the new reservation's id, kInsufficient if the stock is gone, or an error.
  Task<Result<std::string>> ReserveAgainAndConfirm(const Order& order, const OrderItem& item);
  // The request ReserveAgainAndConfirm makes for `item`; its reference finds the reservation again.
  ReserveRequest ReserveAgainRequest(const Order& order, const OrderItem& item) const;
  // SIM-15 fixed: commits `order` with reserving_again set, before anything is reserved again.
  // Returns kUnavailable either way: the caller's confirmation is tried again on the new version.
  Task<Status> RecordReservingAgain(const Order& order);
  // What was reserved again under `again`'s reference: its id, "" if nothing ever was (the lookup
  // was refused), or the lookup's error. A lookup that made a reservation leaves it to the caller.
  Task<Result<std::string>> FindReservedAgain(const ReserveRequest& again);
  // SIM-15 fixed: releases (or, once committed, restocks) what ReserveAgainAndConfirm may have
  // reserved for `item` of an order that records reserving_again. False if that failed (with a
  // DLQ row in `write` when the reservation was found).
  Task<bool> GiveBackReservedAgainByReference(const Order& order, const OrderItem& item,
                                              OrderWrite& write);
  // After the release of `reservation_id` (holding `item`'s units) failed with `released`: a
  // committed one is restocked; a failed restock or release writes its DLQ row. True if restocked.
  Task<bool> RestockOrDeadLetter(const Order& order, const OrderItem& item,
                                 const std::string& reservation_id, const Status& released,
                                 OrderWrite& write);
  Task<Status> ReleaseReservationWithRetry(const std::string& reservation_id);
  // Confirms every reservation of `order` into `updated`/`write`: status confirmed, DLQ rows for
  // reservations that could not be confirmed, stock.committed if all were. SIM-05 fixed: if a
  // lapsed reservation cannot be made again (the stock is gone), the order is cancelled instead
  // (its stock and money go back through ReservationCleanupJob and PaymentCompensationWorker).
  // Returns Ok to commit; SIM-09 fixed, kUnavailable when making a lapsed reservation again failed
  // for a passing reason: nothing may be committed, the caller tries the whole again later.
  Task<Status> ApplyConfirm(const Order& order, Order& updated, OrderWrite& write);
  // After ApplyConfirm's commit: if it failed (`committed` neither ok nor a timeout, which may
  // hide a success) and the order is no longer pending (a concurrent cancellation won), puts back
  // the units of every reservation ReserveAgainAndConfirm made and confirmed for `updated`, which
  // no order names. As reviewed (SIM-12) they stay committed for a cancelled order.
  Task<void> GiveBackReservedAgain(const Order& order, const Order& updated,
                                   const Status& committed);
  // Releases (or, once committed, restocks) every reservation of `order`, writing a DLQ row for
  // each that failed. Returns true if every one succeeded. As reviewed EC-14 with the primary
  // interface absent it does nothing and returns true (the stock leaks, unseen).
  Task<bool> ReleaseStock(const Order& order, OrderWrite& write);
  // Which statuses a cancellation may start from, beyond what the transition table allows.
  enum class CancelFrom { kAny, kPending, kPendingOrConfirmed };
  // CancelOrder with `processed_event_id` recorded in the same commit ("" for none). With an
  // event id, an order that is missing, already cancelled or not cancellable (or not in a status
  // `from` admits) only records the event and returns Ok; without one such an order is
  // kFailedPrecondition (already cancelled: Ok).
  Task<Status> Cancel(const std::string& order_id, const std::string& reason,
                      const std::string& processed_event_id, CancelFrom from);
  // P1-CC-03 fixed: a compensation row no retry can fix reaches an operator, named by its event.
  void DeadLetter(const Event& event, const Status& failure);
  // SIM-01 fixed: commits the cancellation, then releases stock and returns the payment.
  Task<Status> CancelThenCompensate(Order order, const std::string& reason,
                                    const std::string& processed_event_id);
  // Refunds a captured order, voids an authorized one; errors are left to the payment worker.
  Task<void> ReturnPayment(const Order& order);
  static void AddCancelledEvents(const Order& cancelled, OrderStatus from,
                                 const std::string& reason, OrderWrite& write);
  // Records `event_id` as processed with no other effect (an event acknowledged and ignored).
  Task<Status> MarkProcessed(const std::string& event_id);
  // What MoveOrder does with an event that comes before the order can take its move.
  enum class EarlyEvent { kAcknowledge, kRedeliver };
  // For the fulfilment and delivery consumers: kRedeliver with SIM-43 fixed.
  EarlyEvent EarlyFulfilmentEvents() const;
  // Deduplicated move of the event's order to `to` if its status is one of `from` and the one
  // table allows it (CanTransition); `effect` adds to the update. Otherwise the event is
  // acknowledged and ignored, unless `early` is kRedeliver and the order can still reach `to`
  // (CanReach): then it is refused, for the bus to deliver again once the order has caught up.
  Task<Status> MoveOrder(const Event& event, std::vector<OrderStatus> from, OrderStatus to,
                         Effect effect, EarlyEvent early = EarlyEvent::kAcknowledge);
  // One compensation row's warehouse action.
  Task<Status> RedriveCompensation(const Event& event);

  OrderPorts ports_;
  const Config& config_;
  const Profile& profile_;
};

// The outbox event every status change writes.
Event StatusChangedEvent(const Order& order, OrderStatus from);

// The reference a restock of `reservation_id`'s units takes for order `order_id`: every path that
// puts them back uses it, so the warehouse puts them back once.
std::string RestockReference(std::string_view order_id, std::string_view reservation_id);

// An outbox event about `order` (order_id, customer_id, total).
Event OrderOutboxEvent(std::string id, std::string_view topic, const Order& order);

}  // namespace csim
