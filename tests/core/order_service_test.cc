// Unit tests of OrderService against the fakes, one run per finding switch where it matters.

#include "core/order/order_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/order/transitions.h"
#include "core/topics.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_fulfillment.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_warehouse.h"
#include "fakes/instant_clock.h"
#include "fakes/run_sync.h"
#include "tests/core/forwarding_warehouse.h"
#include "tests/core/order_requests.h"

namespace csim {
namespace {

using fakes::RunSync;

constexpr Money kUnitPrice = 1'000 * kVnd;
constexpr std::int32_t kOnHand = 10;

class OrderServiceTest : public ::testing::Test {
 protected:
  OrderServiceTest() { warehouse.SetStock("sku-1", "wh-1", kOnHand); }

  OrderService& Service() {
    if (!service) {
      service = std::make_unique<OrderService>(
          OrderPorts{clock, store, warehouse, payment, nullptr, true, &alerts, &fulfillment},
          config, profile);
    }
    return *service;
  }

  // A request for `quantity` units of sku-1 with a live reservation (and an authorization for a
  // card order), its totals consistent.
  CreateOrderRequest Request(const std::string& session, std::int32_t quantity,
                             PaymentMethod method = PaymentMethod::kCard) {
    return test_ports::ReservedOrderRequest(warehouse, payment, session, quantity, kUnitPrice,
                                            method);
  }

  Order Create(const std::string& session, std::int32_t quantity,
               PaymentMethod method = PaymentMethod::kCard) {
    auto created = RunSync(Service().CreateOrder(Request(session, quantity, method)));
    EXPECT_TRUE(created.ok()) << created.status().message();
    return created.value();
  }

  // Captures at the gateway and delivers its payments.payment.confirmed webhook to the worker.
  Order CaptureAndConfirm(const Order& order) {
    EXPECT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
    for (const Event& webhook : payment.TakeWebhooks()) {
      EXPECT_TRUE(Redeliver(Service(), webhook).ok());
    }
    return Stored(order.id);
  }

  // Delivers payments.payment.confirmed again while the consumer asks for it, as the bus does.
  // Twice at most: SIM-15 fixed records reserving_again on the first delivery of a lapsed order.
  static Status Redeliver(OrderService& orders, const Event& webhook) {
    constexpr int kDeliveriesMax = 2;
    Status status;
    for (int i = 0; i < kDeliveriesMax; ++i) {
      status = RunSync(orders.ConsumePaymentConfirmed(webhook));
      if (status.code() != Code::kUnavailable) break;
    }
    return status;
  }

  // The reservations' TTL passes before the payment is confirmed (the 15 minute hold lapses).
  void LapseReservations() {
    clock.Advance(16 * kMinuteUs);
    (void)warehouse.TakeExpired(clock.Now());
  }

  Order Stored(const std::string& order_id) const { return store.Orders().at(order_id); }

  fakes::StockView Stock() const {
    for (const fakes::StockView& view : warehouse.StockViews(clock.Now())) {
      if (view.sku == "sku-1" && view.warehouse_id == "wh-1") return view;
    }
    ADD_FAILURE() << "no stock view of sku-1 at wh-1";
    return {};
  }

  std::int32_t OutboxCount(std::string_view topic) const {
    std::int32_t count = 0;
    for (const auto& [id, row] : store.Outbox()) count += row.event.topic == topic ? 1 : 0;
    return count;
  }

  // Runs every due delivery of the bus to its handler and acks it.
  void DrainBus() {
    constexpr int kDeliveriesMax = 100;
    for (int i = 0; i < kDeliveriesMax; ++i) {
      std::optional<fakes::Delivery> delivery = bus.NextDue(clock.Now());
      if (!delivery) return;
      EXPECT_TRUE(RunSync(bus.Handler(*delivery)(*delivery->event)).ok());
      bus.Ack(delivery->id);
    }
    ADD_FAILURE() << "bus did not drain";
  }

  Event MakeEvent(std::string id, std::string_view topic, std::map<std::string, std::string> f) {
    return Event{std::move(id), std::string{topic}, f["order_id"], std::move(f)};
  }

  fakes::InstantClock clock{kHourUs};
  fakes::FakeOrderStore store{clock};
  fakes::FakeWarehouse warehouse{clock};
  fakes::FakePaymentGateway payment{clock};
  fakes::FakeEventBus bus{clock};
  fakes::FakeAlerts alerts;
  fakes::FakeFulfillment fulfillment{clock};
  Config config = DefaultConfig();
  Profile profile = Profile::AllFixed();
  std::unique_ptr<OrderService> service;
};

// ---- CreateOrder ----

TEST_F(OrderServiceTest, CreateOrderRejectsWrongTotal) {
  CreateOrderRequest r = Request("s-1", 2);
  r.total += kVnd;  // 1 VND off, well past the 0.05 VND tolerance
  EXPECT_EQ(RunSync(Service().CreateOrder(r)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(store.Orders().empty());
}

// The review's tolerance is 0.05 VND (5 minor units), for services that sum floats: a total or
// subtotal off by that much is accepted, one minor unit more is not.
TEST_F(OrderServiceTest, CreateOrderToleratesFiveHundredthsOfAVndAndNoMore) {
  static_assert(kTotalToleranceMoney == 5);
  CreateOrderRequest total_off = Request("s-total-6", 2);
  total_off.total += kTotalToleranceMoney + 1;
  EXPECT_EQ(RunSync(Service().CreateOrder(total_off)).code(), Code::kInvalidArgument);
  CreateOrderRequest subtotal_off = Request("s-subtotal-6", 2);
  subtotal_off.subtotal -= kTotalToleranceMoney + 1;
  subtotal_off.total -= kTotalToleranceMoney + 1;  // the total still adds up from the subtotal
  EXPECT_EQ(RunSync(Service().CreateOrder(subtotal_off)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(store.Orders().empty());

  CreateOrderRequest within = Request("s-total-5", 2);
  within.total += kTotalToleranceMoney;
  auto created = RunSync(Service().CreateOrder(within));
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_EQ(created->total, within.total);
  EXPECT_EQ(store.Orders().size(), 1u);
}

TEST_F(OrderServiceTest, CreateOrderRejectsOverMaxAmount) {
  config.order.max_order_amount = kUnitPrice;  // one unit allowed, two asked
  CreateOrderRequest r = Request("s-1", 2);
  EXPECT_EQ(RunSync(Service().CreateOrder(r)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(store.Orders().empty());
}

TEST_F(OrderServiceTest, CreateOrderIsIdempotentPerCartSession) {
  CreateOrderRequest r = Request("s-1", 2);
  auto first = RunSync(Service().CreateOrder(r));
  auto second = RunSync(Service().CreateOrder(r));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(store.Orders().size(), 1u);
  EXPECT_EQ(first->status, OrderStatus::kPending);
  ASSERT_TRUE(first->expiry_at.has_value());
  EXPECT_EQ(*first->expiry_at, clock.Now() + 30 * kMinuteUs);
  EXPECT_EQ(OutboxCount(topics::kOrderStatusChanged), 1);
}

// ---- payment confirmed (EC-03) ----

TEST_F(OrderServiceTest, PaymentConfirmedConfirmsAndDuplicateChangesNothing) {
  Order order = Create("s-1", 3);
  ASSERT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
  std::vector<Event> webhooks = payment.TakeWebhooks();
  ASSERT_EQ(webhooks.size(), 1u);
  ASSERT_TRUE(RunSync(Service().ConsumePaymentConfirmed(webhooks[0])).ok());
  Order confirmed = Stored(order.id);
  EXPECT_EQ(confirmed.status, OrderStatus::kConfirmed);
  EXPECT_EQ(confirmed.captured, order.total);
  EXPECT_TRUE(confirmed.reservations_confirmed);
  EXPECT_EQ(Stock().committed, 3);
  EXPECT_EQ(Stock().active_reserved, 0);

  const std::size_t outbox_rows = store.Outbox().size();
  ASSERT_TRUE(RunSync(Service().ConsumePaymentConfirmed(webhooks[0])).ok());  // duplicate
  EXPECT_EQ(Stored(order.id), confirmed);
  EXPECT_EQ(store.Outbox().size(), outbox_rows);
  EXPECT_EQ(Stock().committed, 3);
  EXPECT_EQ(OutboxCount(topics::kStockCommitted), 1);
}

TEST_F(OrderServiceTest, CaptureRequestedCapturesTheTotalOnceAndTheGatewayConfirms) {
  Order order = Create("s-1", 2);
  Event requested = MakeEvent("s-1:capture_requested", topics::kPaymentCaptureRequested,
                              {{"order_id", order.id}});
  ASSERT_TRUE(RunSync(Service().ConsumePaymentCaptureRequested(requested)).ok());
  ASSERT_TRUE(RunSync(Service().ConsumePaymentCaptureRequested(requested)).ok());  // redelivered
  const auto& money = payment.Orders().at(order.id);
  EXPECT_EQ(money.captured, order.total);
  EXPECT_EQ(money.capture_count, 1);
  std::vector<Event> webhooks = payment.TakeWebhooks();
  ASSERT_EQ(webhooks.size(), 1u);
  EXPECT_EQ(webhooks[0].topic, topics::kPaymentConfirmed);
  EXPECT_EQ(webhooks[0].Get("order_id"), order.id);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kPending);  // the webhook confirms it
}

TEST_F(OrderServiceTest, PaymentFailedCancelsReleasesAndVoidsOnce) {
  Order order = Create("s-1", 3);
  ASSERT_EQ(Stock().active_reserved, 3);
  Event failed = MakeEvent("wh-9", topics::kPaymentFailed, {{"order_id", order.id}});
  ASSERT_TRUE(RunSync(Service().ConsumePaymentFailed(failed)).ok());
  const Order cancelled = Stored(order.id);
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  EXPECT_TRUE(cancelled.stock_released);
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(payment.FindAuthorization(order.authorization_id)->status, fakes::AuthStatus::kVoided);
  EXPECT_EQ(OutboxCount(topics::kOrderCancelled), 1);

  ASSERT_TRUE(RunSync(Service().ConsumePaymentFailed(failed)).ok());  // duplicate webhook
  EXPECT_EQ(Stored(order.id), cancelled);
  EXPECT_EQ(OutboxCount(topics::kOrderCancelled), 1);
}

TEST_F(OrderServiceTest, ConfirmOfALapsedReservationGoesToTheConfirmDlqAsReviewed) {
  profile.SetAsReviewed(FindingId("SIM-05"));
  Order order = Create("s-1", 2);
  // The payment confirmation arrives after the reservation's TTL: the warehouse refuses.
  LapseReservations();
  const Order confirmed = CaptureAndConfirm(order);
  EXPECT_EQ(confirmed.status, OrderStatus::kConfirmed);
  EXPECT_FALSE(confirmed.reservations_confirmed);
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(OutboxCount(topics::kReservationConfirmDlq), 1);
  EXPECT_EQ(OutboxCount(topics::kStockCommitted), 0);
}

// SIM-05 fixed: the lapsed reservation is made again and confirmed, the order holds its stock.
TEST_F(OrderServiceTest, ConfirmOfALapsedReservationReservesAgain) {
  Order order = Create("s-1", 2);
  LapseReservations();
  const Order confirmed = CaptureAndConfirm(order);
  EXPECT_EQ(confirmed.status, OrderStatus::kConfirmed);
  EXPECT_TRUE(confirmed.reservations_confirmed);
  ASSERT_EQ(confirmed.items.size(), 1u);
  EXPECT_NE(confirmed.items[0].reservation_id, order.items[0].reservation_id);
  EXPECT_EQ(Stock().committed, 2);
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(OutboxCount(topics::kReservationConfirmDlq), 0);
  EXPECT_EQ(OutboxCount(topics::kStockCommitted), 1);
}

// A warehouse whose new reservations (`down`) or confirmations (`confirms_down`) fail with
// kUnavailable, before any effect, while it is down.
class ReservationsDown final : public test_ports::ForwardingWarehouse {
 public:
  explicit ReservationsDown(WarehouseInventory& inner) : ForwardingWarehouse(inner) {}
  Task<Result<std::string>> ReserveWithTtl(const ReserveRequest& request) override {
    if (down) co_return Status{Code::kUnavailable, "warehouse down"};
    co_return co_await inner().ReserveWithTtl(request);
  }
  Task<Status> Confirm(const std::string& reservation_id) override {
    if (confirms_down) co_return Status{Code::kUnavailable, "warehouse down"};
    co_return co_await inner().Confirm(reservation_id);
  }
  bool down = false;
  bool confirms_down = false;
};

// SIM-09: the payment came after the reservation lapsed and the warehouse is briefly down when
// SIM-05's fix reserves again. Fixed, nothing is committed and the redelivery confirms the order
// on a new reservation; as SIM-05's fix was first written, the lapsed reservation goes to the
// confirm DLQ and the order is confirmed with no stock.
TEST_F(OrderServiceTest, PassingFailureOfTheReReservationIsRetriedNotSentToTheDlq) {
  for (bool fixed : {true, false}) {
    Profile local = Profile::AllFixed();
    if (!fixed) local.SetAsReviewed(FindingId("SIM-09"));
    ReservationsDown flaky(warehouse);
    OrderService orders(
        OrderPorts{clock, store, flaky, payment, nullptr, true, &alerts, &fulfillment}, config,
        local);
    const std::string session = fixed ? "s-fixed" : "s-reviewed";
    Order order = RunSync(orders.CreateOrder(Request(session, 2))).value();
    const std::int64_t committed_before = Stock().committed;
    LapseReservations();
    ASSERT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
    const std::vector<Event> webhooks = payment.TakeWebhooks();
    ASSERT_EQ(webhooks.size(), 1u);
    // SIM-15 fixed (both runs): the first delivery records reserving_again, reserves nothing.
    ASSERT_EQ(RunSync(orders.ConsumePaymentConfirmed(webhooks[0])).code(), Code::kUnavailable);
    ASSERT_TRUE(Stored(order.id).reserving_again);
    flaky.down = true;
    Status first = RunSync(orders.ConsumePaymentConfirmed(webhooks[0]));
    flaky.down = false;
    if (fixed) {
      EXPECT_EQ(first.code(), Code::kUnavailable);  // the bus redelivers
      EXPECT_EQ(Stored(order.id).status, OrderStatus::kPending);
      EXPECT_TRUE(RunSync(orders.ConsumePaymentConfirmed(webhooks[0])).ok());
      EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
      EXPECT_TRUE(Stored(order.id).reservations_confirmed);
      EXPECT_EQ(Stock().committed, committed_before + 2);
    } else {
      EXPECT_TRUE(first.ok());
      EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
      EXPECT_FALSE(Stored(order.id).reservations_confirmed);
      EXPECT_EQ(Stock().committed, committed_before);  // confirmed with nothing held
    }
  }
  EXPECT_EQ(OutboxCount(topics::kReservationConfirmDlq), 1);  // the as-reviewed run's only
}

// SIM-14: the warehouse is down when the payment is confirmed, and stays down past the
// reservation's TTL. As reviewed the order is committed confirmed with a confirm-DLQ row whose
// retry meets the lapsed reservation: confirmed with no stock. Fixed, nothing is committed until
// the warehouse answers; the lapsed reservation then takes SIM-05's path and the order holds its
// stock.
TEST_F(OrderServiceTest, ConfirmDuringAnOutageWaitsForTheWarehouseWhenFixed) {
  for (bool fixed : {true, false}) {
    Profile local = Profile::AllFixed();
    if (!fixed) local.SetAsReviewed(FindingId("SIM-14"));
    ReservationsDown flaky(warehouse);
    OrderService orders(
        OrderPorts{clock, store, flaky, payment, nullptr, true, &alerts, &fulfillment}, config,
        local);
    Order order = RunSync(orders.CreateOrder(Request(fixed ? "s-fixed" : "s-reviewed", 2))).value();
    const std::int64_t committed_before = Stock().committed;
    ASSERT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
    const std::vector<Event> webhooks = payment.TakeWebhooks();
    ASSERT_EQ(webhooks.size(), 1u);
    flaky.confirms_down = true;
    const Status during = RunSync(orders.ConsumePaymentConfirmed(webhooks[0]));
    EXPECT_EQ(during.code(), fixed ? Code::kUnavailable : Code::kOk);
    EXPECT_EQ(Stored(order.id).status, fixed ? OrderStatus::kPending : OrderStatus::kConfirmed);
    EXPECT_EQ(OutboxCount(topics::kReservationConfirmDlq), fixed ? 0 : 1);
    LapseReservations();  // the outage outlasts the reservation
    flaky.confirms_down = false;
    if (fixed) {
      EXPECT_TRUE(Redeliver(orders, webhooks[0]).ok());
      EXPECT_TRUE(Stored(order.id).reservations_confirmed);
      EXPECT_EQ(Stock().committed, committed_before + 2);
    } else {
      EXPECT_EQ(RunSync(orders.RunDlqRetryOnce()), 0);  // the row meets a lapsed reservation
      EXPECT_FALSE(Stored(order.id).reservations_confirmed);
      EXPECT_EQ(Stock().committed, committed_before);  // confirmed with nothing held
    }
    EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
  }
}

// SIM-05 fixed: with the stock gone meanwhile, the paid order is cancelled (and so refunded by the
// payment compensation) instead of confirmed with nothing behind it.
TEST_F(OrderServiceTest, ConfirmOfALapsedReservationWithoutStockCancels) {
  Order order = Create("s-1", 2);
  LapseReservations();
  const auto available = static_cast<std::int32_t>(Stock().on_hand - Stock().committed);
  ASSERT_EQ(warehouse.SellElsewhere("sku-1", "wh-1", available), available);
  const Order cancelled = CaptureAndConfirm(order);
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  EXPECT_EQ(cancelled.captured, order.total);
  EXPECT_TRUE(cancelled.cancelled_at.has_value());
  EXPECT_EQ(OutboxCount(topics::kOrderCancelled), 1);
  EXPECT_EQ(OutboxCount(topics::kStockCommitted), 0);
  EXPECT_EQ(RunSync(Service().RunPaymentCompensationOnce()), 1);
  EXPECT_EQ(payment.Orders().at(order.id).refunded, order.total);
}

// A warehouse whose new reservations, while `reserve_times_out`, take effect and then answer
// kTimeout (an answer lost past the client's deadline).
class ReserveTimesOutAfterEffect final : public test_ports::ForwardingWarehouse {
 public:
  explicit ReserveTimesOutAfterEffect(WarehouseInventory& inner) : ForwardingWarehouse(inner) {}
  Task<Result<std::string>> ReserveWithTtl(const ReserveRequest& request) override {
    auto reserved = co_await inner().ReserveWithTtl(request);
    if (reserve_times_out && reserved.ok()) co_return Status{Code::kTimeout, "deadline passed"};
    co_return reserved;
  }
  bool reserve_times_out = false;
};

// SIM-23: SIM-05's re-reservation takes effect but times out, and the bus redelivers the payment
// confirmation only after that reservation's TTL too (swarm seed 196 at 2000 orders: a broker and
// a warehouse outage in between). The reference returns the lapsed reservation, whose confirm
// fails for good. As SIM-05's fix was written the lapsed original goes to the confirm DLQ and the
// order is confirmed with nothing held; fixed, the order is cancelled (its stock gone) and the
// payment compensation refunds it.
TEST_F(OrderServiceTest, ReReservationThatLapsedTooCancelsTheOrderWhenFixed) {
  for (bool fixed : {true, false}) {
    Profile local = Profile::AllFixed();
    if (!fixed) local.SetAsReviewed(FindingId("SIM-23"));
    ReserveTimesOutAfterEffect slow(warehouse);
    OrderService orders(
        OrderPorts{clock, store, slow, payment, nullptr, true, &alerts, &fulfillment}, config,
        local);
    Order order = RunSync(orders.CreateOrder(Request(fixed ? "s-fixed" : "s-reviewed", 2))).value();
    const std::int64_t committed_before = Stock().committed;
    const std::int32_t dlq_before = OutboxCount(topics::kReservationConfirmDlq);
    LapseReservations();
    (void)payment.TakeWebhooks();  // the fixed run's refund
    ASSERT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
    const std::vector<Event> webhooks = payment.TakeWebhooks();
    ASSERT_EQ(webhooks.size(), 1u);
    // SIM-15 fixed (both runs): the first delivery records reserving_again, reserves nothing.
    ASSERT_EQ(RunSync(orders.ConsumePaymentConfirmed(webhooks[0])).code(), Code::kUnavailable);
    slow.reserve_times_out = true;
    // SIM-09 fixed (both runs): a passing failure commits nothing; the bus redelivers.
    ASSERT_EQ(RunSync(orders.ConsumePaymentConfirmed(webhooks[0])).code(), Code::kUnavailable);
    slow.reserve_times_out = false;
    EXPECT_EQ(Stock().active_reserved, 2);  // the re-reservation that took effect
    LapseReservations();                    // the redelivery comes after its TTL as well
    EXPECT_EQ(Stock().active_reserved, 0);
    ASSERT_TRUE(RunSync(orders.ConsumePaymentConfirmed(webhooks[0])).ok());
    const Order after = Stored(order.id);
    EXPECT_EQ(after.captured, order.total);
    EXPECT_FALSE(after.reservations_confirmed);
    EXPECT_EQ(Stock().committed, committed_before);  // nothing held either way
    if (fixed) {
      EXPECT_EQ(after.status, OrderStatus::kCancelled);
      EXPECT_FALSE(after.stock_released);  // ReservationCleanupJob gives back what was held
      EXPECT_EQ(OutboxCount(topics::kReservationConfirmDlq), dlq_before);
      EXPECT_EQ(RunSync(orders.RunReservationCleanupOnce()), 1);
      EXPECT_TRUE(Stored(order.id).stock_released);
      EXPECT_EQ(RunSync(orders.RunPaymentCompensationOnce()), 1);
      EXPECT_EQ(payment.Orders().at(order.id).refunded, order.total);
      EXPECT_EQ(Stock().committed, committed_before);  // the cleanup restocked nothing
    } else {
      EXPECT_EQ(after.status, OrderStatus::kConfirmed);  // to be shipped with no stock held
      EXPECT_EQ(OutboxCount(topics::kReservationConfirmDlq), dlq_before + 1);
      EXPECT_EQ(RunSync(orders.RunDlqRetryOnce()), 0);  // the row meets the lapsed reservation
      EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
      EXPECT_EQ(payment.Orders().at(order.id).refunded, 0);
    }
  }
}

// ---- P0-CC-01: refund completed ----

TEST_F(OrderServiceTest, RefundCompletedAsReviewedHasNoConsumer) {
  profile.SetAsReviewed(FindingId("P0-CC-01"));
  Service().RegisterConsumers(bus);
  EXPECT_FALSE(bus.HasSubscribers(std::string{topics::kRefundCompleted}));
  EXPECT_TRUE(bus.HasSubscribers(std::string{topics::kPaymentConfirmed}));
}

TEST_F(OrderServiceTest, RefundCompletedFixedMovesCancelledOrderToRefunded) {
  Service().RegisterConsumers(bus);
  EXPECT_TRUE(bus.HasSubscribers(std::string{topics::kRefundCompleted}));
  Order order = CaptureAndConfirm(Create("s-1", 2));
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
  for (const Event& webhook : payment.TakeWebhooks()) {
    ASSERT_TRUE(RunSync(bus.Publish(webhook)).ok());
  }
  DrainBus();
  Order refunded = Stored(order.id);
  EXPECT_EQ(refunded.status, OrderStatus::kRefunded);
  EXPECT_EQ(refunded.refunded, order.total);
  EXPECT_EQ(payment.TotalRefunded(), order.total);
}

TEST_F(OrderServiceTest, RefundCompletedIgnoresPendingOrder) {
  Order order = Create("s-1", 1);
  Event refund =
      MakeEvent("r-1", topics::kRefundCompleted, {{"order_id", order.id}, {"amount", "5"}});
  ASSERT_TRUE(RunSync(Service().ConsumeRefundCompleted(refund)).ok());
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kPending);
  EXPECT_EQ(Stored(order.id).refunded, 0);
  EXPECT_EQ(store.ProcessedEventIds().count("r-1"), 1u);
}

// ---- the deprecated HTTP subscription path ----

TEST_F(OrderServiceTest, DeprecatedHttpPathAsReviewedAppliesConfirmTwice) {
  profile.SetAsReviewed(FindingId("R-3.3"));
  Service().RegisterConsumers(bus);
  Service().RegisterDeprecatedHttpHandlers(bus);
  Order order = Create("s-1", 2);
  ASSERT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
  for (const Event& webhook : payment.TakeWebhooks()) {
    ASSERT_TRUE(RunSync(bus.Publish(webhook)).ok());
  }
  DrainBus();
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
  EXPECT_EQ(OutboxCount(topics::kStockCommitted), 2);  // one payment, two stock commits
  EXPECT_EQ(Stock().committed, 2);
}

TEST_F(OrderServiceTest, DeprecatedHttpPathFixedRegistersNothing) {
  Service().RegisterConsumers(bus);
  Service().RegisterDeprecatedHttpHandlers(bus);
  for (const auto& [topic, subscriber] : bus.Subscriptions()) {
    EXPECT_NE(subscriber, kOrderHttpSubscriber) << topic;
  }
  Order order = Create("s-1", 2);
  ASSERT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
  for (const Event& webhook : payment.TakeWebhooks()) {
    ASSERT_TRUE(RunSync(bus.Publish(webhook)).ok());
    bus.DeliverAgain(webhook, clock.Now());  // a redelivery is deduplicated too
  }
  DrainBus();
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
  EXPECT_EQ(OutboxCount(topics::kStockCommitted), 1);
}

// ---- EC-11: a pending order expires after auto_cancel_minutes (24 h) as reviewed ----

TEST_F(OrderServiceTest, PendingOrderAsReviewedOutlivesItsLapsedReservationsByADay) {
  profile.SetAsReviewed(FindingId("EC-11"));
  Order order = Create("s-1", 2);
  ASSERT_TRUE(order.expiry_at.has_value());
  EXPECT_EQ(*order.expiry_at - order.created_at, 1440 * kMinuteUs);
  clock.Advance(3 * kHourUs);  // the 15-minute reservation lapsed long ago
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(RunSync(Service().RunOrderCleanupOnce()), 0);  // the query is by expiry_at
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kPending);
  // The customer's money stays held for the order the whole time.
  EXPECT_EQ(payment.FindAuthorization(order.authorization_id)->status,
            fakes::AuthStatus::kAuthorized);
  clock.Advance(21 * kHourUs + kMinuteUs);
  EXPECT_EQ(RunSync(Service().RunOrderCleanupOnce()), 1);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
}

TEST_F(OrderServiceTest, PendingCardOrderFixedExpiresWithThePaymentWindow) {
  Order order = Create("s-1", 2);
  ASSERT_TRUE(order.expiry_at.has_value());
  EXPECT_EQ(*order.expiry_at - order.created_at, 30 * kMinuteUs);
  clock.Advance(31 * kMinuteUs);
  EXPECT_EQ(RunSync(Service().RunOrderCleanupOnce()), 1);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
  EXPECT_EQ(payment.FindAuthorization(order.authorization_id)->status, fakes::AuthStatus::kVoided);
}

// ---- EC-10: the cleanup cancels expired confirmed orders too (review 8.2) ----

TEST_F(OrderServiceTest, CleanupCancelsAnExpiredConfirmedOrderAndRestocksIt) {
  Order order = CaptureAndConfirm(Create("s-1", 3));
  ASSERT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
  ASSERT_EQ(Stock().committed, 3);
  clock.Advance(29 * kMinuteUs);
  EXPECT_EQ(RunSync(Service().RunOrderCleanupOnce()), 0);  // not yet expired
  clock.Advance(2 * kMinuteUs);
  EXPECT_EQ(RunSync(Service().RunOrderCleanupOnce()), 1);
  const Order cancelled = Stored(order.id);
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  EXPECT_EQ(Stock().committed, 0);  // the reservation was committed: restocked, not released
  EXPECT_EQ(warehouse.Restocks().size(), 1u);
  EXPECT_EQ(payment.Orders().at(order.id).refunded, order.total);  // refunded by the cancellation
}

TEST_F(OrderServiceTest, CleanupLeavesAnExpiredOrderFulfillmentTookOn) {
  Order order = CaptureAndConfirm(Create("s-1", 2));
  Order processing = Stored(order.id);
  processing.version++;
  processing.status = OrderStatus::kProcessing;
  OrderWrite write;
  write.update = processing;
  ASSERT_TRUE(RunSync(store.Commit(write)).ok());
  clock.Advance(2 * kHourUs);
  EXPECT_EQ(RunSync(Service().RunOrderCleanupOnce()), 0);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kProcessing);
  EXPECT_EQ(Stock().committed, 2);
}

TEST_F(OrderServiceTest, CodOrderFixedExpiresAndIsCancelled) {
  Order order = Create("s-1", 1, PaymentMethod::kCashOnDelivery);
  ASSERT_TRUE(order.expiry_at.has_value());
  clock.Advance(29 * kMinuteUs);
  EXPECT_EQ(RunSync(Service().RunOrderCleanupOnce()), 0);  // not yet expired
  clock.Advance(2 * kMinuteUs);
  EXPECT_EQ(RunSync(Service().RunOrderCleanupOnce()), 1);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
  EXPECT_TRUE(Stored(order.id).stock_released);
}

TEST_F(OrderServiceTest, CodAutoConfirmConfirmsPendingCodOrderOnly) {
  Order cod = Create("s-1", 2, PaymentMethod::kCashOnDelivery);
  Order card = Create("s-2", 1);
  EXPECT_EQ(RunSync(Service().RunCodAutoConfirmOnce()), 1);
  EXPECT_EQ(Stored(cod.id).status, OrderStatus::kConfirmed);
  EXPECT_EQ(Stored(card.id).status, OrderStatus::kPending);
  EXPECT_EQ(Stock().committed, 2);
  EXPECT_EQ(RunSync(Service().RunCodAutoConfirmOnce()), 0);
}

// ---- reservation expired ----

TEST_F(OrderServiceTest, ReservationExpiredCancelsPendingOrderAndReleasesStock) {
  Service().RegisterConsumers(bus);
  Order order = Create("s-1", 4);
  EXPECT_EQ(Stock().active_reserved, 4);
  const OrderItem& item = order.items.at(0);
  Event expired = MakeEvent("x-1", topics::kReservationExpired,
                            {{"reservation_id", item.reservation_id}, {"reference", "s-1:0"}});
  ASSERT_TRUE(RunSync(bus.Publish(expired)).ok());
  DrainBus();
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(OutboxCount(topics::kOrderCancelled), 1);
  EXPECT_EQ(store.ProcessedEventIds().count("x-1"), 1u);
}

TEST_F(OrderServiceTest, ReservationExpiredLeavesConfirmedOrder) {
  Order order = CaptureAndConfirm(Create("s-1", 2));
  Event expired =
      MakeEvent("x-1", topics::kReservationExpired,
                {{"reservation_id", order.items.at(0).reservation_id}, {"reference", "s-1:0"}});
  ASSERT_TRUE(RunSync(Service().ConsumeReservationExpired(expired)).ok());
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
  EXPECT_EQ(Stock().committed, 2);
}

// ---- fulfilment and shipping ----

TEST_F(OrderServiceTest, ShipmentDeliveredWritesOrderCompleted) {
  Order order = CaptureAndConfirm(Create("s-1", 1));
  auto fulfilment = [&](std::string id, std::string status) {
    Event e = MakeEvent(std::move(id), topics::kFulfillmentStatusChanged,
                        {{"order_id", order.id}, {"status", std::move(status)}});
    EXPECT_TRUE(RunSync(Service().ConsumeFulfillmentStatusChanged(e)).ok());
  };
  fulfilment("f-1", "processing");
  fulfilment("f-2", "shipped");
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kShipped);
  EXPECT_EQ(OutboxCount(topics::kOrderCompleted), 0);
  Event delivered = MakeEvent("d-1", topics::kShipmentDelivered, {{"order_id", order.id}});
  ASSERT_TRUE(RunSync(Service().ConsumeShipmentDelivered(delivered)).ok());
  ASSERT_TRUE(RunSync(Service().ConsumeShipmentDelivered(delivered)).ok());  // duplicate
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kDelivered);
  EXPECT_EQ(OutboxCount(topics::kOrderCompleted), 1);
  // Late now: a fulfilment status the order is past is acknowledged and changes nothing.
  fulfilment("f-3", "processing");
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kDelivered);
  EXPECT_TRUE(RunSync(store.IsProcessed("f-3")).value());
}

// SIM-43: `shipped` and the delivery come before `processing` (its deliveries refused, or held back
// by the bus). As written both are acknowledged as if late and the order stays `processing` once
// `processing` lands, with nothing left to move it on. Fixed, both are refused while the order
// can still reach their status, and their next deliveries move it to `shipped`, then `delivered`.
TEST_F(OrderServiceTest, EarlyFulfilmentEventsWaitForTheOrderWhenFixed) {
  for (const bool fixed : {false, true}) {
    SCOPED_TRACE(fixed ? "fixed" : "as written");
    profile = Profile::AllFixed();
    if (!fixed) profile.SetAsReviewed(FindingId("SIM-43"));
    service.reset();
    Order order = CaptureAndConfirm(Create(fixed ? "s-fixed" : "s-written", 1));
    const Event shipped = MakeEvent(order.id + ":shipped", topics::kFulfillmentStatusChanged,
                                    {{"order_id", order.id}, {"status", "shipped"}});
    const Event delivered =
        MakeEvent(order.id + ":delivered", topics::kShipmentDelivered, {{"order_id", order.id}});
    const Event processing = MakeEvent(order.id + ":processing", topics::kFulfillmentStatusChanged,
                                       {{"order_id", order.id}, {"status", "processing"}});
    const Status early_shipped = RunSync(Service().ConsumeFulfillmentStatusChanged(shipped));
    const Status early_delivered = RunSync(Service().ConsumeShipmentDelivered(delivered));
    EXPECT_EQ(early_shipped.code(), fixed ? Code::kUnavailable : Code::kOk);
    EXPECT_EQ(early_delivered.code(), fixed ? Code::kUnavailable : Code::kOk);
    EXPECT_EQ(RunSync(store.IsProcessed(shipped.id)).value(), !fixed);
    EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
    ASSERT_TRUE(RunSync(Service().ConsumeFulfillmentStatusChanged(processing)).ok());
    // The bus delivers the two again, in their order.
    EXPECT_TRUE(RunSync(Service().ConsumeFulfillmentStatusChanged(shipped)).ok());
    EXPECT_TRUE(RunSync(Service().ConsumeShipmentDelivered(delivered)).ok());
    EXPECT_EQ(Stored(order.id).status, fixed ? OrderStatus::kDelivered : OrderStatus::kProcessing);
    EXPECT_EQ(Stored(order.id).version, order.version + (fixed ? 3 : 1));
  }
  EXPECT_EQ(OutboxCount(topics::kOrderCompleted), 1);  // the fixed order's only
}

// CanReach follows the one table: forward along the lifecycle, never back, never from a status to
// itself, and from cancelled only to refunded.
TEST(OrderTransitions, CanReachFollowsTheTableForwardOnly) {
  using S = OrderStatus;
  EXPECT_TRUE(CanReach(S::kConfirmed, S::kShipped));
  EXPECT_TRUE(CanReach(S::kConfirmed, S::kDelivered));
  EXPECT_TRUE(CanReach(S::kPending, S::kRefunded));  // through cancelled
  EXPECT_TRUE(CanReach(S::kProcessing, S::kPartiallyShipped));
  EXPECT_FALSE(CanReach(S::kShipped, S::kProcessing));
  EXPECT_FALSE(CanReach(S::kShipped, S::kPartiallyShipped));
  EXPECT_FALSE(CanReach(S::kCancelled, S::kShipped));
  EXPECT_TRUE(CanReach(S::kCancelled, S::kRefunded));
  int reachable = 0;
  for (int i = 0; i < kOrderStatusCount; ++i) {
    const auto from = static_cast<S>(i);
    EXPECT_FALSE(CanReach(from, from)) << Name(from);
    for (int j = 0; j < kOrderStatusCount; ++j) {
      const auto to = static_cast<S>(j);
      if (CanTransition(from, to)) {
        EXPECT_TRUE(CanReach(from, to)) << Name(from) << " " << Name(to);
      }
      reachable += CanReach(from, to) ? 1 : 0;
    }
  }
  // pending 8, confirmed 7, processing 6, partially shipped 4, shipped 3, delivered 2, returned 1,
  // cancelled 1, refunded 0.
  EXPECT_EQ(reachable, 32);
}

// An early event the order can never take any more is acknowledged under both profiles: a
// cancelled order is not shipped after all.
TEST_F(OrderServiceTest, AFulfilmentEventForACancelledOrderIsAcknowledged) {
  Order order = CaptureAndConfirm(Create("s-1", 1));
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  const Event shipped = MakeEvent("f-1", topics::kFulfillmentStatusChanged,
                                  {{"order_id", order.id}, {"status", "shipped"}});
  EXPECT_TRUE(RunSync(Service().ConsumeFulfillmentStatusChanged(shipped)).ok());
  EXPECT_TRUE(RunSync(store.IsProcessed("f-1")).value());
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
}

// SIM-44: a processing order whose goods already left (the shipped event not yet through). As
// written the cancellation goes ahead without asking fulfilment: the order is cancelled, its stock
// restocked and its money refunded while the goods are on their way. Fixed, fulfilment refuses
// the call-off and the order, its stock and its money stay as they are.
TEST_F(OrderServiceTest, CancellingAnOrderWhoseGoodsLeftIsRefusedWhenFixed) {
  for (const bool fixed : {false, true}) {
    SCOPED_TRACE(fixed ? "fixed" : "as written");
    profile = Profile::AllFixed();
    if (!fixed) profile.SetAsReviewed(FindingId("SIM-44"));
    service.reset();
    Order order = CaptureAndConfirm(Create(fixed ? "s-fixed" : "s-written", 2));
    ASSERT_TRUE(RunSync(Service().ConsumeFulfillmentStatusChanged(
                            MakeEvent(order.id + ":processing", topics::kFulfillmentStatusChanged,
                                      {{"order_id", order.id}, {"status", "processing"}})))
                    .ok());
    fulfillment.Ship(order.id);
    const Money refunded_before = payment.TotalRefunded();
    const std::int64_t calls_before = fulfillment.CallOffCount();
    const Status cancelled = RunSync(Service().CancelOrder(order.id, "customer"));
    EXPECT_EQ(cancelled.code(), fixed ? Code::kFailedPrecondition : Code::kOk);
    EXPECT_EQ(Stored(order.id).status, fixed ? OrderStatus::kProcessing : OrderStatus::kCancelled);
    EXPECT_EQ(payment.TotalRefunded() - refunded_before, fixed ? 0 : order.total);
    EXPECT_EQ(fulfillment.CallOffCount() - calls_before, fixed ? 1 : 0);
    EXPECT_EQ(fulfillment.RefusedCount(), fixed ? 1 : 0);
  }
  // Only the as-written order's two units came back; the fixed one's stay committed.
  EXPECT_EQ(Stock().committed, 2);
}

// Fixed (SIM-44): fulfilment holds an order that has not shipped, for FakeFulfillment::kHoldUs,
// and the cancellation commits within the hold. A pending order is cancelled without asking: it
// was never confirmed, so fulfilment never heard of it.
TEST_F(OrderServiceTest, CancellingAConfirmedOrderHoldsItAtFulfilmentFirst) {
  Order confirmed = CaptureAndConfirm(Create("s-1", 1));
  Order pending = Create("s-2", 1);
  const TimeUs asked_at = clock.Now();
  ASSERT_TRUE(RunSync(Service().CancelOrder(confirmed.id, "customer")).ok());
  ASSERT_TRUE(RunSync(Service().CancelOrder(pending.id, "customer")).ok());
  EXPECT_EQ(Stored(confirmed.id).status, OrderStatus::kCancelled);
  EXPECT_EQ(Stored(pending.id).status, OrderStatus::kCancelled);
  EXPECT_EQ(fulfillment.HeldUntil(confirmed.id), asked_at + fakes::FakeFulfillment::kHoldUs);
  EXPECT_EQ(fulfillment.HeldUntil(pending.id), std::nullopt);
  EXPECT_EQ(fulfillment.CallOffCount(), 1);
  EXPECT_EQ(Stock().committed, 0);
}

// Fixed (SIM-44): a hold with less than kCancelCommitMarginUs left (an answer that came late)
// is not trusted: the cancellation is not committed and the customer is told to retry.
TEST_F(OrderServiceTest, ACancellationDoesNotCommitOnAHoldAboutToLapse) {
  class ShortHold final : public Fulfillment {
   public:
    explicit ShortHold(const Clock& clock) : clock_(clock) {}
    Task<Result<TimeUs>> CallOff(const std::string&) override {
      co_return clock_.Now() + kCancelCommitMarginUs - 1;
    }

   private:
    const Clock& clock_;
  };
  ShortHold short_hold{clock};
  Order order = CaptureAndConfirm(Create("s-1", 1));
  OrderService orders(
      OrderPorts{clock, store, warehouse, payment, nullptr, true, &alerts, &short_hold}, config,
      profile);
  const Status cancelled = RunSync(orders.CancelOrder(order.id, "customer"));
  EXPECT_EQ(cancelled.code(), Code::kUnavailable);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
  EXPECT_EQ(Stored(order.id).version, order.version);
  EXPECT_EQ(Stock().committed, 1);
  EXPECT_EQ(payment.TotalRefunded(), 0);
}

// A payment.failed for an order whose goods left (a webhook in the wrong order) is recorded and
// dropped under the fixed profile: nothing is cancelled and the event does not come again.
TEST_F(OrderServiceTest, ALatePaymentFailedForShippedGoodsIsDroppedWhenFixed) {
  Order order = CaptureAndConfirm(Create("s-1", 1));
  fulfillment.Ship(order.id);
  const Event failed = MakeEvent("pf-1", topics::kPaymentFailed, {{"order_id", order.id}});
  EXPECT_TRUE(RunSync(Service().ConsumePaymentFailed(failed)).ok());
  EXPECT_TRUE(RunSync(store.IsProcessed("pf-1")).value());
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
  EXPECT_EQ(payment.TotalRefunded(), 0);
}

// ---- cancellation and cleanup ----

TEST_F(OrderServiceTest, CancelConfirmedOrderRestocks) {
  Order order = CaptureAndConfirm(Create("s-1", 3));
  ASSERT_EQ(Stock().committed, 3);
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
  EXPECT_EQ(Stock().committed, 0);  // EC-10: committed units back on hand
  EXPECT_EQ(warehouse.Restocks().size(), 1u);
}

TEST_F(OrderServiceTest, ReservationCleanupReleasesUnreleasedCancelledOrder) {
  Order order = Create("s-1", 2);
  Order cancelled = order;
  cancelled.version = order.version + 1;
  cancelled.status = OrderStatus::kCancelled;  // cancelled by a path that kept the stock
  cancelled.cancelled_at = clock.Now();
  OrderWrite write;
  write.update = cancelled;
  ASSERT_TRUE(RunSync(store.Commit(write)).ok());
  EXPECT_EQ(Stock().active_reserved, 2);
  EXPECT_EQ(RunSync(Service().RunReservationCleanupOnce()), 1);
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_TRUE(Stored(order.id).stock_released);
  EXPECT_EQ(RunSync(Service().RunReservationCleanupOnce()), 0);
}

TEST_F(OrderServiceTest, DlqRetryMarksUnconfirmableRowFailed) {
  profile.SetAsReviewed(FindingId("SIM-05"));  // fixed, a lapsed hold is reserved again
  Order order = Create("s-1", 2);
  clock.Advance(20 * kMinuteUs);  // the 15 min reservation lapsed: confirm fails
  ASSERT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
  for (const Event& webhook : payment.TakeWebhooks()) {
    ASSERT_TRUE(RunSync(Service().ConsumePaymentConfirmed(webhook)).ok());
  }
  EXPECT_FALSE(Stored(order.id).reservations_confirmed);
  ASSERT_EQ(OutboxCount(topics::kReservationConfirmDlq), 1);
  EXPECT_EQ(RunSync(Service().RunDlqRetryOnce()), 0);
  for (const auto& [id, row] : store.Outbox()) {
    if (row.event.topic == topics::kReservationConfirmDlq) {
      EXPECT_EQ(row.status, OutboxStatus::kFailed);  // a lapsed hold cannot be confirmed
    } else {
      EXPECT_EQ(row.status, OutboxStatus::kPending);  // left to the outbox publisher
    }
  }
  // P1-CC-03 fixed: an operator hears of it, by the row's event id.
  ASSERT_EQ(alerts.Count("compensation.dead_lettered"), 1);
  EXPECT_EQ(alerts.Raised().back().subject, order.id + ":confirm:" + order.items[0].reservation_id);
}

// The DLQ consumer (the bus delivered the row): a permanent failure is acknowledged either way;
// fixed, dead-lettered with an alert naming the event; as reviewed, silently.
TEST_F(OrderServiceTest, DlqConsumerDeadLettersAPermanentFailureWithAnAlertWhenFixed) {
  for (bool fixed : {true, false}) {
    if (!fixed) profile.SetAsReviewed(FindingId("P1-CC-03"));
    Event row = MakeEvent(fixed ? "dlq-1" : "dlq-2", topics::kReservationConfirmDlq,
                          {{"order_id", "o-1"}, {"reservation_id", "no-such-reservation"}});
    const std::size_t alerts_before = alerts.Raised().size();
    EXPECT_TRUE(RunSync(Service().ConsumeCompensation(row)).ok());  // nothing to redeliver
    ASSERT_EQ(alerts.Raised().size(), alerts_before + (fixed ? 1u : 0u)) << fixed;
    if (fixed) {
      EXPECT_EQ(alerts.Raised().back().subject, "dlq-1");
    }
  }
  EXPECT_EQ(alerts.Count("compensation.dead_lettered"), 1);
}

// A passing failure is returned for redelivery, with no alert under either profile.
TEST_F(OrderServiceTest, DlqConsumerReturnsAPassingFailureForRedelivery) {
  Order order = Create("s-1", 1);
  Event row =
      MakeEvent("dlq-1", topics::kReservationConfirmDlq,
                {{"order_id", order.id}, {"reservation_id", order.items[0].reservation_id}});
  EXPECT_TRUE(RunSync(Service().ConsumeCompensation(row)).ok());
  EXPECT_EQ(Stock().committed, 1);  // the reservation was still live: confirmed
  EXPECT_TRUE(alerts.Raised().empty());
}

TEST_F(OrderServiceTest, DlqRetryRedrivesRestockRow) {
  Order order = CaptureAndConfirm(Create("s-1", 3));
  Event row = OrderOutboxEvent(order.id + ":restock:x", topics::kRefundRestockDlq, order);
  row.fields["sku"] = "sku-1";
  row.fields["warehouse_id"] = "wh-1";
  row.fields["quantity"] = "3";
  row.fields["reference"] = order.id + ":restock:x";
  OrderWrite write;
  write.outbox.push_back(row);
  ASSERT_TRUE(RunSync(store.Commit(write)).ok());
  EXPECT_EQ(RunSync(Service().RunDlqRetryOnce()), 1);
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(RunSync(Service().RunDlqRetryOnce()), 0);  // marked published: not redriven again
}

// ---- P1-CC-05 / M-05: checkout's stale transition table ----

// A confirmed order moved to processing, then a fulfilment event `status` delivered to it.
TEST_F(OrderServiceTest, FulfillmentPartiallyShippedFixedMovesProcessingOrder) {
  Order order = CaptureAndConfirm(Create("s-1", 1));
  auto fulfilment = [&](std::string id, std::string status) {
    Event e = MakeEvent(std::move(id), topics::kFulfillmentStatusChanged,
                        {{"order_id", order.id}, {"status", std::move(status)}});
    EXPECT_TRUE(RunSync(Service().ConsumeFulfillmentStatusChanged(e)).ok());
  };
  fulfilment("f-1", "processing");
  ASSERT_EQ(Stored(order.id).status, OrderStatus::kProcessing);
  fulfilment("f-2", "partially_shipped");
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kPartiallyShipped);
  fulfilment("f-3", "shipped");
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kShipped);
  EXPECT_TRUE(RunSync(store.IsProcessed("f-2")).value());
}

// P1-CC-05 is checkout's copy of the table, which the order side never reads: as reviewed the
// order still moves through partially_shipped (the copy is caught by the audit instead).
TEST_F(OrderServiceTest, FulfillmentPartiallyShippedAsReviewedStillUsesTheOneTable) {
  profile.SetAsReviewed(FindingId("P1-CC-05"));
  Order order = CaptureAndConfirm(Create("s-1", 1));
  for (const auto& [id, status] : {std::pair{"f-1", "processing"}, {"f-2", "partially_shipped"}}) {
    Event e = MakeEvent(id, topics::kFulfillmentStatusChanged,
                        {{"order_id", order.id}, {"status", status}});
    EXPECT_TRUE(RunSync(Service().ConsumeFulfillmentStatusChanged(e)).ok());
  }
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kPartiallyShipped);
}

// ---- EC-14: the order side's second warehouse interface ----

// The service built without its primary interface: `absent` stands for the nil
// warehouseInventoryService (OrderPorts holds a reference), `warehouse` is the legacy client.
class OrderLegacyWarehouseTest : public OrderServiceTest {
 protected:
  OrderService& LegacyService() {
    if (!service) {
      OrderPorts ports{clock, store, Fixed() ? warehouse : absent, payment};
      ports.legacy_warehouse = &warehouse;
      ports.primary_warehouse_configured = false;
      ports.fulfillment = &fulfillment;
      service = std::make_unique<OrderService>(ports, config, profile);
    }
    return *service;
  }
  bool Fixed() const { return profile.Fixed(FindingId("EC-14")); }

  fakes::FakeWarehouse absent{clock};
};

TEST_F(OrderLegacyWarehouseTest, CancelPendingAsReviewedLeaksReservation) {
  profile.SetAsReviewed(FindingId("EC-14"));
  LegacyService();
  Order order = Create("s-1", 3);
  ASSERT_EQ(Stock().active_reserved, 3);
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
  EXPECT_TRUE(Stored(order.id).stock_released);                  // believed released...
  EXPECT_EQ(Stock().active_reserved, 3);                         // ...but still held
  EXPECT_EQ(OutboxCount(topics::kReservationReleaseDlq), 0);     // and nothing to redrive it
  EXPECT_EQ(RunSync(Service().RunReservationCleanupOnce()), 0);  // nor the cleanup job
  EXPECT_EQ(Stock().active_reserved, 3);
}

TEST_F(OrderLegacyWarehouseTest, CancelPendingFixedReleasesThroughTheOnePort) {
  LegacyService();
  Order order = Create("s-1", 3);
  ASSERT_EQ(Stock().active_reserved, 3);
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
  EXPECT_EQ(Stock().active_reserved, 0);
}

TEST_F(OrderLegacyWarehouseTest, CancelConfirmedAsReviewedConfirmsViaLegacyAndNeverRestocks) {
  profile.SetAsReviewed(FindingId("EC-14"));
  LegacyService();
  Order order = CaptureAndConfirm(Create("s-1", 3));
  EXPECT_EQ(order.status, OrderStatus::kConfirmed);
  EXPECT_TRUE(order.reservations_confirmed);  // through the legacy client
  ASSERT_EQ(Stock().committed, 3);
  EXPECT_TRUE(absent.Reservations().empty());
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  EXPECT_EQ(Stock().committed, 3);  // the units never come back on hand
  EXPECT_TRUE(warehouse.Restocks().empty());
  EXPECT_EQ(OutboxCount(topics::kRefundRestockDlq), 0);
}

TEST_F(OrderLegacyWarehouseTest, CancelConfirmedFixedRestocks) {
  LegacyService();
  Order order = CaptureAndConfirm(Create("s-1", 3));
  ASSERT_EQ(Stock().committed, 3);
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(warehouse.Restocks().size(), 1u);
}

// ---- M-04 topology: what the order worker subscribes ----

TEST_F(OrderServiceTest, SubscribedTopicsMatchRegisterConsumers) {
  for (bool fixed : {true, false}) {
    profile = fixed ? Profile::AllFixed() : Profile::AsReviewed();
    fakes::FakeEventBus fresh{clock};
    Service().RegisterConsumers(fresh);
    std::vector<std::string_view> listed = Service().SubscribedTopics();
    std::vector<std::string> sorted(listed.begin(), listed.end());
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, fresh.SubscribedTopics()) << (fixed ? "fixed" : "as reviewed");
    const bool has_refund =
        std::find(listed.begin(), listed.end(), topics::kRefundCompleted) != listed.end();
    EXPECT_EQ(has_refund, fixed);  // P0-CC-01
    EXPECT_EQ(listed.size(), fixed ? 10u : 9u);
  }
}

// ---- M-01 / P2-CC-08: the maximum order amount ----

TEST_F(OrderServiceTest, MaxOrderAmountFixedReadsConfig) {
  config.order.max_order_amount = 1'000 * kVnd;
  CreateOrderRequest r = Request("s-1", 5);  // 5'000 VND
  ASSERT_EQ(r.total, 5'000 * kVnd);
  EXPECT_EQ(RunSync(Service().CreateOrder(r)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(store.Orders().empty());
}

TEST_F(OrderServiceTest, MaxOrderAmountAsReviewedIsTheHardCodedConstant) {
  profile.SetAsReviewed(FindingId("P2-CC-08"));
  config.order.max_order_amount = 1'000 * kVnd;
  CreateOrderRequest r = Request("s-1", 5);  // 5'000 VND: over the config, under 100M VND
  auto created = RunSync(Service().CreateOrder(r));
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_EQ(created->total, 5'000 * kVnd);

  // Raising the config does not let an order over 100M VND through either.
  config.order.max_order_amount = 2 * kMaxOrderAmount;
  CreateOrderRequest big = Request("s-2", 2);
  big.items[0].unit_price = kMaxOrderAmount / 2 + kVnd;
  big.subtotal = 2 * big.items[0].unit_price;
  big.total = big.subtotal;
  EXPECT_EQ(RunSync(Service().CreateOrder(big)).code(), Code::kInvalidArgument);
  profile.SetFixed(FindingId("M-01"));
  EXPECT_TRUE(RunSync(Service().CreateOrder(big)).ok());
}

}  // namespace
}  // namespace csim
