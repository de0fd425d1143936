// Unit tests of the payment workers of the order worker (CaptureRetryWorker,
// PaymentCompensationWorker) and of the checkout worker's FailedCompensationsCleanupJob, against
// the fakes.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/checkout/checkout_worker.h"
#include "core/order/order_service.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_fraud.h"
#include "fakes/fake_fulfillment.h"
#include "fakes/fake_locks.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_pricing.h"
#include "fakes/fake_promotions.h"
#include "fakes/fake_shipping.h"
#include "fakes/fake_warehouse.h"
#include "fakes/instant_clock.h"
#include "fakes/run_sync.h"
#include "tests/core/forwarding_payment.h"
#include "tests/core/order_requests.h"

namespace csim {
namespace {

using fakes::AuthStatus;
using fakes::RunSync;

constexpr Money kUnitPrice = 1'000 * kVnd;

// A gateway whose first `void_failures` Voids and first `refund_failures` Refunds fail before any
// effect, then forward.
class FlakyGateway final : public test_ports::ForwardingPaymentGateway {
 public:
  using ForwardingPaymentGateway::ForwardingPaymentGateway;
  void FailVoids(std::int32_t count) { void_failures_ = count; }
  void FailRefunds(std::int32_t count) { refund_failures_ = count; }
  Task<Status> Void(const std::string& authorization_id) override {
    ++voids_;
    if (void_failures_ > 0) {
      --void_failures_;
      return Unavailable();
    }
    return inner().Void(authorization_id);
  }
  Task<Status> Capture(const std::string& authorization_id, const std::string& order_id,
                       Money amount) override {
    ++captures_;
    return inner().Capture(authorization_id, order_id, amount);
  }
  Task<Status> Refund(const std::string& authorization_id, const std::string& order_id,
                      Money amount) override {
    ++refunds_;
    if (refund_failures_ > 0) {
      --refund_failures_;
      return Unavailable();
    }
    return inner().Refund(authorization_id, order_id, amount);
  }
  std::int32_t voids() const { return voids_; }
  std::int32_t captures() const { return captures_; }
  std::int32_t refunds() const { return refunds_; }

 private:
  static Task<Status> Unavailable() { co_return Status{Code::kUnavailable, "gateway down"}; }
  std::int32_t void_failures_ = 0;
  std::int32_t refund_failures_ = 0;
  std::int32_t voids_ = 0;
  std::int32_t captures_ = 0;
  std::int32_t refunds_ = 0;
};

class OrderWorkersTest : public ::testing::Test {
 protected:
  OrderWorkersTest() { warehouse.SetStock("sku-1", "wh-1", 1'000); }

  // Starts a round with every finding fixed, or with `finding` alone as reviewed; the service is
  // made again with that profile. Returns a prefix for the round's ids, so rounds do not collide.
  std::string UseProfile(bool fixed, Finding finding) {
    profile = Profile::AllFixed();
    if (!fixed) profile.SetAsReviewed(finding);
    service.reset();
    return fixed ? "fixed-" : "reviewed-";
  }

  OrderService& Service() {
    if (!service) {
      service = std::make_unique<OrderService>(
          OrderPorts{clock, store, warehouse, gateway, nullptr, true, nullptr, &fulfillment},
          config, profile);
    }
    return *service;
  }

  // A pending order of `quantity` units of sku-1, reserved, and for a card order authorized.
  Order Create(const std::string& session, std::int32_t quantity,
               PaymentMethod method = PaymentMethod::kCard) {
    const CreateOrderRequest r =
        test_ports::ReservedOrderRequest(warehouse, payment, session, quantity, kUnitPrice, method);
    auto created = RunSync(Service().CreateOrder(r));
    EXPECT_TRUE(created.ok()) << created.status().message();
    return created.value();
  }

  // Delivers every queued gateway webhook of `topic` to its consumer; returns how many.
  int DeliverWebhooks(std::string_view topic) {
    int delivered = 0;
    for (const Event& webhook : payment.TakeWebhooks()) {
      if (webhook.topic != topic) continue;
      Status status;
      if (topic == "payments.payment.confirmed") {
        status = RunSync(Service().ConsumePaymentConfirmed(webhook));
      } else if (topic == "payments.refund.completed") {
        status = RunSync(Service().ConsumeRefundCompleted(webhook));
      } else {
        status = RunSync(Service().ConsumePaymentFailed(webhook));
      }
      EXPECT_TRUE(status.ok()) << status.message();
      ++delivered;
    }
    return delivered;
  }

  AuthStatus Auth(const Order& order) const {
    return payment.FindAuthorization(order.authorization_id).value().status;
  }
  fakes::OrderMoney GatewayMoney(const Order& order) const {
    auto it = payment.Orders().find(order.id);
    return it == payment.Orders().end() ? fakes::OrderMoney{} : it->second;
  }
  Order Stored(const std::string& order_id) const { return store.Orders().at(order_id); }

  std::int32_t CapturePass() { return RunSync(Service().RunCaptureRetryOnce()); }
  std::int32_t CompensationPass() { return RunSync(Service().RunPaymentCompensationOnce()); }

  // A cancelled card order whose capture the gateway made while it was being cancelled: the
  // cancellation's Void found it captured, the confirmed webhook came after. Money taken, nothing
  // refunded.
  Order CancelledButCaptured(const std::string& session) {
    Order order = Create(session, 2);
    EXPECT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
    std::vector<Event> webhooks = payment.TakeWebhooks();
    EXPECT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
    for (const Event& webhook : webhooks) {
      EXPECT_TRUE(RunSync(Service().ConsumePaymentConfirmed(webhook)).ok());
    }
    Order cancelled = Stored(order.id);
    EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
    EXPECT_EQ(cancelled.captured, order.total);
    EXPECT_EQ(cancelled.refunded, 0);
    EXPECT_EQ(GatewayMoney(order).captured, order.total);
    EXPECT_EQ(GatewayMoney(order).refunded, 0);
    return cancelled;
  }

  fakes::InstantClock clock{kHourUs};
  fakes::FakeOrderStore store{clock};
  fakes::FakeWarehouse warehouse{clock};
  fakes::FakePaymentGateway payment{clock};
  fakes::FakeFulfillment fulfillment{clock};
  FlakyGateway gateway{payment};
  Config config = DefaultConfig();
  Profile profile = Profile::AllFixed();
  std::unique_ptr<OrderService> service;
};

// ---- CaptureRetryWorker ----

TEST_F(OrderWorkersTest, CaptureRetryLeavesYoungOrdersToTheCaptureRequest) {
  Order order = Create("s-1", 2);
  EXPECT_EQ(CapturePass(), 0);
  clock.Advance(OrderService::kCaptureRetryGraceUs - 1);
  EXPECT_EQ(CapturePass(), 0);
  EXPECT_EQ(gateway.captures(), 0);
  EXPECT_EQ(Auth(order), AuthStatus::kAuthorized);
  EXPECT_EQ(GatewayMoney(order).captured, 0);
}

TEST_F(OrderWorkersTest, CaptureRetryCapturesPendingCardOrderOnce) {
  Order order = Create("s-1", 2);
  clock.Advance(kMinuteUs);
  EXPECT_EQ(CapturePass(), 1);
  EXPECT_EQ(Auth(order), AuthStatus::kCaptured);
  EXPECT_EQ(GatewayMoney(order).captured, order.total);
  EXPECT_EQ(GatewayMoney(order).capture_count, 1);

  // The webhook is not consumed yet: the next pass captures again, and the gateway dedupes.
  clock.Advance(config.order.capture_retry_interval_seconds * kSecondUs);
  EXPECT_EQ(CapturePass(), 1);
  EXPECT_EQ(GatewayMoney(order).captured, order.total);
  EXPECT_EQ(GatewayMoney(order).capture_count, 1);

  // Once confirmed the order is no longer pending: nothing more to retry.
  EXPECT_EQ(DeliverWebhooks("payments.payment.confirmed"), 1);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kConfirmed);
  EXPECT_EQ(Stored(order.id).captured, order.total);
  clock.Advance(kMinuteUs);
  const std::int32_t captures = gateway.captures();
  EXPECT_EQ(CapturePass(), 0);
  EXPECT_EQ(gateway.captures(), captures);
}

TEST_F(OrderWorkersTest, CaptureRetryStopsPastItsBudgetAndLeavesOrderToExpiry) {
  const DurationUs interval_us = config.order.capture_retry_interval_seconds * kSecondUs;
  Order order = Create("s-1", 2);
  // Attempt n = age / interval: the last one is capture_max_retries.
  clock.Advance(config.order.capture_max_retries * interval_us);
  payment.DeclineCaptures("cust-1");
  EXPECT_EQ(CapturePass(), 0);  // tried, declined
  EXPECT_EQ(gateway.captures(), 1);
  (void)payment.TakeWebhooks();  // the payments.payment.failed of the decline, not delivered

  clock.Advance(interval_us);  // attempt capture_max_retries + 1: over budget
  EXPECT_EQ(CapturePass(), 0);
  EXPECT_EQ(gateway.captures(), 1);
  EXPECT_EQ(Auth(order), AuthStatus::kAuthorized);
  EXPECT_EQ(GatewayMoney(order).captured, 0);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kPending);  // the cleanup's, at expiry
}

TEST_F(OrderWorkersTest, CaptureRetrySkipsCashOnDeliveryOrders) {
  Order cod = Create("s-cod", 1, PaymentMethod::kCashOnDelivery);
  Order card = Create("s-card", 1);
  clock.Advance(kMinuteUs);
  EXPECT_EQ(CapturePass(), 1);  // the card order only
  EXPECT_EQ(gateway.captures(), 1);
  EXPECT_EQ(GatewayMoney(card).captured, card.total);
  EXPECT_EQ(GatewayMoney(cod).captured, 0);
  EXPECT_EQ(Stored(cod.id).status, OrderStatus::kPending);
}

TEST_F(OrderWorkersTest, CaptureRetrySkipsExpiredOrders) {
  config.order.order_timeout_minutes = 2;
  Order order = Create("s-1", 1);
  clock.Advance(2 * kMinuteUs);  // attempt 2, within budget, but expired
  ASSERT_TRUE(Stored(order.id).expiry_at.has_value());
  ASSERT_LE(*Stored(order.id).expiry_at, clock.Now());
  EXPECT_EQ(CapturePass(), 0);
  EXPECT_EQ(gateway.captures(), 0);
  EXPECT_EQ(Auth(order), AuthStatus::kAuthorized);
  EXPECT_EQ(GatewayMoney(order).captured, 0);
}

// ---- PaymentCompensationWorker ----

TEST_F(OrderWorkersTest, PaymentCompensationRefundsMoneyTakenForCancelledOrder) {
  Order order = CancelledButCaptured("s-1");
  EXPECT_EQ(CompensationPass(), 1);
  EXPECT_EQ(GatewayMoney(order).refunded, order.total);
  EXPECT_EQ(GatewayMoney(order).refund_count, 1);
  EXPECT_EQ(Auth(order), AuthStatus::kCaptured);

  // Before the refund webhook is consumed the order still owes: asked again, refunded once.
  EXPECT_EQ(CompensationPass(), 1);
  EXPECT_EQ(GatewayMoney(order).refunded, order.total);
  EXPECT_EQ(GatewayMoney(order).refund_count, 1);

  // P0-CC-01 fixed: the refund completes the order, which leaves the worker's query.
  EXPECT_EQ(DeliverWebhooks("payments.refund.completed"), 1);
  EXPECT_EQ(Stored(order.id).status, OrderStatus::kRefunded);
  EXPECT_EQ(Stored(order.id).refunded, order.total);
  const std::int32_t refunds = gateway.refunds();
  EXPECT_EQ(CompensationPass(), 0);
  EXPECT_EQ(gateway.refunds(), refunds);
}

TEST_F(OrderWorkersTest, PaymentCompensationVoidFailsWhileCaptureIsUnrecorded) {
  Order order = Create("s-1", 2);
  ASSERT_TRUE(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).ok());
  std::vector<Event> webhooks = payment.TakeWebhooks();
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  ASSERT_EQ(Stored(order.id).captured, 0);

  // captured == 0 as recorded: a void, which the gateway refuses (it captured).
  const std::int32_t voids = gateway.voids();
  EXPECT_EQ(CompensationPass(), 0);
  EXPECT_EQ(gateway.voids(), voids + 1);
  EXPECT_EQ(Auth(order), AuthStatus::kCaptured);
  EXPECT_EQ(GatewayMoney(order).refunded, 0);

  // The confirmed webhook records the capture; the next pass refunds it.
  for (const Event& webhook : webhooks) {
    ASSERT_TRUE(RunSync(Service().ConsumePaymentConfirmed(webhook)).ok());
  }
  EXPECT_EQ(CompensationPass(), 1);
  EXPECT_EQ(GatewayMoney(order).refunded, order.total);
}

TEST_F(OrderWorkersTest, PaymentCompensationVoidsAuthorizationTheCancellationMissed) {
  Order order = Create("s-1", 2);
  gateway.FailVoids(1);  // the cancellation's own Void is lost
  ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  ASSERT_EQ(Stored(order.id).status, OrderStatus::kCancelled);
  ASSERT_EQ(Auth(order), AuthStatus::kAuthorized);

  EXPECT_EQ(CompensationPass(), 1);
  EXPECT_EQ(Auth(order), AuthStatus::kVoided);
  EXPECT_EQ(GatewayMoney(order).captured, 0);
  EXPECT_TRUE(Stored(order.id).hold_voided);
  // SIM-16 fixed: the void is recorded, so a later pass has nothing left to void.
  const std::int32_t voids = gateway.voids();
  EXPECT_EQ(CompensationPass(), 0);
  EXPECT_EQ(gateway.voids(), voids);
  EXPECT_EQ(Auth(order), AuthStatus::kVoided);
  EXPECT_EQ(RunSync(payment.Capture(order.authorization_id, order.id, order.total)).code(),
            Code::kFailedPrecondition);
}

// SIM-16: one more cancelled unpaid order than a pass may void, every cancellation's own Void
// lost. As first written every pass re-voids the same first hundred (by id) and the last hold is
// never voided; fixed, the second pass reaches it.
TEST_F(OrderWorkersTest, PaymentCompensationReachesHoldsPastOneBatch) {
  for (bool fixed : {true, false}) {
    const std::string prefix = UseProfile(fixed, FindingId("SIM-16"));
    std::vector<Order> orders;
    for (std::int32_t i = 0; i <= config.order.cron_batch_size; ++i) {
      // Zero-padded, so the store's id order is the creation order.
      orders.push_back(Create(prefix + std::to_string(1000 + i), 1));
      gateway.FailVoids(1);
      ASSERT_TRUE(RunSync(Service().CancelOrder(orders.back().id, "customer")).ok());
    }
    constexpr int kPasses = 3;
    for (int pass = 0; pass < kPasses; ++pass) (void)CompensationPass();
    std::int32_t still_held = 0;
    for (const Order& order : orders) still_held += Auth(order) == AuthStatus::kAuthorized ? 1 : 0;
    EXPECT_EQ(still_held, fixed ? 0 : 1) << (fixed ? "fixed" : "as reviewed");
    EXPECT_EQ(Auth(orders.back()), fixed ? AuthStatus::kVoided : AuthStatus::kAuthorized);
    // The fixed round's orders are recorded as voided, so the as-reviewed round sees only its own.
    EXPECT_EQ(Stored(orders.back().id).hold_voided, fixed);
  }
}

// SIM-20: 10,000 cancelled orders already settled (holds voided, stock released) sort before one
// that is not. As the workers are written they read the first 10,000 cancelled orders by id and
// never reach it; fixed, the database returns only what is unsettled.
TEST_F(OrderWorkersTest, Sim20WorkersReachAnUnsettledOrderPastTenThousandSettledOnes) {
  for (bool fixed : {true, false}) {
    const std::string prefix = UseProfile(fixed, FindingId("SIM-20"));
    for (std::int32_t i = 0; i < OrderService::kPaymentCompensationScanMax; ++i) {
      Order settled;
      // Same width, so by id they come in creation order, all before the unsettled one.
      settled.id = prefix + "a-" + std::to_string(100'000 + i);
      settled.cart_session_id = settled.id;
      settled.status = OrderStatus::kCancelled;
      settled.created_at = clock.Now();
      settled.cancelled_at = clock.Now();
      settled.authorization_id = "auth-long-voided";
      settled.hold_voided = true;
      settled.stock_released = true;
      OrderWrite insert;
      insert.insert = settled;
      ASSERT_TRUE(RunSync(store.Commit(insert)).ok());
    }
    static_assert(OrderService::kPaymentCompensationScanMax == kReservationScanMax);
    // The unsettled one: cancelled while the gateway was down for its void, and its stock left
    // to the cleanup (a commit of its release that was lost).
    Order order = Create(prefix + "z", 2);
    gateway.FailVoids(1);
    ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
    Order stuck = Stored(order.id);
    stuck.version += 1;
    stuck.stock_released = false;
    OrderWrite lost;
    lost.update = stuck;
    ASSERT_TRUE(RunSync(store.Commit(lost)).ok());
    ASSERT_EQ(Auth(order), AuthStatus::kAuthorized);

    EXPECT_EQ(CompensationPass(), fixed ? 1 : 0) << (fixed ? "fixed" : "as reviewed");
    EXPECT_EQ(Auth(order), fixed ? AuthStatus::kVoided : AuthStatus::kAuthorized);
    EXPECT_EQ(Stored(order.id).hold_voided, fixed);
    EXPECT_EQ(RunSync(Service().RunReservationCleanupOnce()), fixed ? 1 : 0);
    EXPECT_EQ(Stored(order.id).stock_released, fixed);
  }
}

TEST_F(OrderWorkersTest, PaymentCompensationIgnoresLiveCodAndOldOrders) {
  Order live = Create("s-live", 1);
  Order cod = Create("s-cod", 1, PaymentMethod::kCashOnDelivery);
  ASSERT_TRUE(RunSync(Service().CancelOrder(cod.id, "customer")).ok());
  EXPECT_EQ(CompensationPass(), 0);
  EXPECT_EQ(gateway.voids(), 0);
  EXPECT_EQ(gateway.refunds(), 0);
  EXPECT_EQ(Auth(live), AuthStatus::kAuthorized);

  // An unpaid order cancelled while its void failed, found only past the horizon: its hold has
  // lapsed by itself, so nothing is called.
  Order old = Create("s-old", 1);
  gateway.FailVoids(1);
  ASSERT_TRUE(RunSync(Service().CancelOrder(old.id, "customer")).ok());
  const std::int32_t voids = gateway.voids();
  clock.Advance(OrderService::kPaymentCompensationHorizonUs + 1);
  EXPECT_EQ(CompensationPass(), 0);
  EXPECT_EQ(gateway.voids(), voids);
  EXPECT_EQ(gateway.refunds(), 0);
}

// SIM-27: a paid order the customer cancels 8 days after placing it (its goods never shipped),
// while the gateway refuses the cancellation's own refund call. As first written the worker's
// 7-day horizon, meant for holds that lapse by themselves, skips the refund too, and the money is
// never returned; fixed, the next pass refunds it. An unpaid order cancelled as late, whose void
// failed, is left alone either way: its hold has lapsed.
TEST_F(OrderWorkersTest, Sim27RefundOwedPastTheHorizonIsStillRetriedWhenFixed) {
  for (bool fixed : {true, false}) {
    const std::string prefix = UseProfile(fixed, FindingId("SIM-27"));
    Order paid = Create(prefix + "paid", 2);
    ASSERT_TRUE(RunSync(payment.Capture(paid.authorization_id, paid.id, paid.total)).ok());
    ASSERT_EQ(DeliverWebhooks("payments.payment.confirmed"), 1);
    ASSERT_EQ(Stored(paid.id).status, OrderStatus::kConfirmed);
    Order unpaid = Create(prefix + "unpaid", 1);
    clock.Advance(OrderService::kPaymentCompensationHorizonUs + kDayUs);

    gateway.FailRefunds(1);
    const std::int32_t refunds_before = gateway.refunds();
    ASSERT_TRUE(RunSync(Service().CancelOrder(paid.id, "customer")).ok());
    ASSERT_EQ(gateway.refunds(), refunds_before + 1);  // the cancellation's own call, refused
    gateway.FailVoids(1);
    const std::int32_t voids_before = gateway.voids();
    ASSERT_TRUE(RunSync(Service().CancelOrder(unpaid.id, "customer")).ok());
    ASSERT_EQ(gateway.voids(), voids_before + 1);
    ASSERT_EQ(Stored(paid.id).status, OrderStatus::kCancelled);
    ASSERT_EQ(Stored(paid.id).captured, paid.total);
    ASSERT_EQ(GatewayMoney(paid).refunded, 0);

    EXPECT_EQ(CompensationPass(), fixed ? 1 : 0) << (fixed ? "fixed" : "as reviewed");
    EXPECT_EQ(GatewayMoney(paid).refunded, fixed ? paid.total : 0);
    EXPECT_EQ(gateway.refunds(), refunds_before + (fixed ? 2 : 1));
    EXPECT_EQ(gateway.voids(), voids_before + 1);  // no void past the horizon, either way
    EXPECT_EQ(Auth(unpaid), AuthStatus::kLapsed);  // by itself, after the gateway's 7 days
    // The refund's webhook moves the paid order out of the worker's sight.
    EXPECT_EQ(DeliverWebhooks("payments.refund.completed"), fixed ? 1 : 0);
    EXPECT_EQ(Stored(paid.id).status, fixed ? OrderStatus::kRefunded : OrderStatus::kCancelled);
  }
}

TEST_F(OrderWorkersTest, PaymentCompensationRefundsBeforeVoidsWithinOnePassBudget) {
  // An operator's batch of 5 (the default is 100): more void candidates than one pass may call,
  // and one refund after them by id.
  config.order.cron_batch_size = 5;
  const std::int32_t batch = 5;
  for (int i = 0; i < batch + 5; ++i) {
    Order order = Create("s-v" + std::to_string(1000 + i), 1);
    ASSERT_TRUE(RunSync(Service().CancelOrder(order.id, "customer")).ok());
  }
  Order owed = CancelledButCaptured("s-z");
  const std::int32_t voids = gateway.voids();
  EXPECT_EQ(CompensationPass(), batch);
  EXPECT_EQ(gateway.refunds(), 1);
  EXPECT_EQ(gateway.voids(), voids + batch - 1);
  EXPECT_EQ(GatewayMoney(owed).refunded, owed.total);
}

// ---- FailedCompensationsCleanupJob (checkout worker) ----

class StubOrders final : public OrderClient {
 public:
  Task<Result<Order>> CreateOrder(const CreateOrderRequest&) override {
    co_return Status{Code::kUnavailable, "not used"};
  }
  Task<Status> CancelOrder(const std::string&, const std::string&) override {
    co_return Status{Code::kUnavailable, "not used"};
  }
  Task<Result<Order>> FindBySession(const std::string&) override {
    co_return Status{Code::kUnavailable, "not used"};
  }
};

class CompensationsCleanupTest : public ::testing::Test {
 protected:
  std::int32_t CleanupPass() {
    CheckoutWorker worker(CheckoutPorts{clock, store, pricing, shipping, fraud, payment, warehouse,
                                        promotions, loyalty, locks, orders, alerts},
                          config, profile);
    return RunSync(worker.RunFailedCompensationsCleanupOnce());
  }

  // Stores a compensation row last touched (next_attempt_at) at `touched_at`; returns its id.
  std::int64_t Put(CompensationStatus status, TimeUs touched_at) {
    FailedCompensation row;
    row.kind = CompensationKind::kVoidAuthorization;
    row.subject = "auth-" + std::to_string(store.Compensations().size() + 1);
    row.max_attempts = 5;
    row.attempts = status == CompensationStatus::kExhausted ? 5 : 1;
    row.next_attempt_at = touched_at;
    row.status = status;
    CheckoutWrite write;
    write.compensations.push_back(row);
    EXPECT_TRUE(RunSync(store.Commit(write)).ok());
    return store.Compensations().rbegin()->first;
  }

  DurationUs Retention() const { return config.order.failed_compensation_retention_days * kDayUs; }

  fakes::InstantClock clock{400 * kDayUs};
  fakes::FakeCheckoutStore store{clock};
  fakes::FakePricing pricing;
  fakes::FakeShipping shipping;
  fakes::FakeFraud fraud;
  fakes::FakePaymentGateway payment{clock};
  fakes::FakeWarehouse warehouse{clock};
  fakes::FakePromotions promotions{clock};
  fakes::FakeLoyalty loyalty;
  fakes::FakeLockStore locks{clock};
  StubOrders orders;
  fakes::FakeAlerts alerts;
  Config config = DefaultConfig();
  Profile profile = Profile::AllFixed();
};

TEST_F(CompensationsCleanupTest, DeletesFinishedRowsPastRetentionOnly) {
  const TimeUs old = clock.Now() - Retention() - 1;
  const TimeUs recent = clock.Now() - Retention() + kHourUs;
  const std::int64_t old_done = Put(CompensationStatus::kDone, old);
  const std::int64_t old_exhausted = Put(CompensationStatus::kExhausted, old);
  const std::int64_t old_pending = Put(CompensationStatus::kPending, old);
  const std::int64_t recent_done = Put(CompensationStatus::kDone, recent);
  const std::int64_t recent_exhausted = Put(CompensationStatus::kExhausted, recent);
  ASSERT_EQ(store.Compensations().size(), 5u);

  EXPECT_EQ(CleanupPass(), 2);
  EXPECT_EQ(store.Compensations().size(), 3u);
  EXPECT_FALSE(store.Compensations().contains(old_done));
  EXPECT_FALSE(store.Compensations().contains(old_exhausted));
  EXPECT_TRUE(store.Compensations().contains(old_pending));  // never deleted, however old
  EXPECT_TRUE(store.Compensations().contains(recent_done));
  EXPECT_TRUE(store.Compensations().contains(recent_exhausted));
  EXPECT_EQ(store.DeletedCompensationCount(), 2);
  // The pending row is still due (the due index kept it), the deleted ones are gone from it.
  std::vector<FailedCompensation> due = RunSync(store.DueCompensations(clock.Now(), 10)).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, old_pending);

  EXPECT_EQ(CleanupPass(), 0);  // nothing more past retention
  clock.Advance(kHourUs + 1);   // the recent rows pass it too
  EXPECT_EQ(CleanupPass(), 2);
  ASSERT_EQ(store.Compensations().size(), 1u);
  EXPECT_TRUE(store.Compensations().contains(old_pending));
  EXPECT_EQ(store.DeletedCompensationCount(), 4);
}

TEST_F(CompensationsCleanupTest, DeletesAtMostOnePassWorth) {
  const TimeUs old = clock.Now() - Retention() - 1;
  for (std::int32_t i = 0; i < CheckoutWorker::kCompensationsDeletedPerPassMax + 3; ++i) {
    (void)Put(CompensationStatus::kDone, old);
  }
  EXPECT_EQ(CleanupPass(), CheckoutWorker::kCompensationsDeletedPerPassMax);
  EXPECT_EQ(store.Compensations().size(), 3u);
  EXPECT_EQ(CleanupPass(), 3);
  EXPECT_TRUE(store.Compensations().empty());
}

TEST_F(CompensationsCleanupTest, StoreDeletionIsAllOrNothing) {
  const std::int64_t a = Put(CompensationStatus::kDone, 0);
  const std::int64_t b = Put(CompensationStatus::kDone, 0);
  const std::int64_t commits = store.CommitCount();

  CheckoutWrite unknown;
  unknown.delete_compensation_ids = {a, 999};
  unknown.outbox.push_back(Event{"e-1", "checkout.cart.converted", "cart-1", {}});
  EXPECT_EQ(RunSync(store.Commit(unknown)).code(), Code::kNotFound);

  CheckoutWrite twice;
  twice.delete_compensation_ids = {a, a};
  EXPECT_EQ(RunSync(store.Commit(twice)).code(), Code::kInvalidArgument);

  CheckoutWrite written_and_deleted;
  FailedCompensation row = store.Compensations().at(b);
  row.attempts = 2;
  written_and_deleted.compensations.push_back(row);
  written_and_deleted.delete_compensation_ids = {b};
  EXPECT_EQ(RunSync(store.Commit(written_and_deleted)).code(), Code::kInvalidArgument);

  CheckoutWrite zero;
  zero.delete_compensation_ids = {0};
  EXPECT_EQ(RunSync(store.Commit(zero)).code(), Code::kInvalidArgument);

  EXPECT_EQ(store.CommitCount(), commits);
  EXPECT_EQ(store.Compensations().size(), 2u);
  EXPECT_TRUE(store.Outbox().empty());
  EXPECT_EQ(store.DeletedCompensationCount(), 0);

  CheckoutWrite both;
  both.delete_compensation_ids = {b, a};
  EXPECT_TRUE(RunSync(store.Commit(both)).ok());
  EXPECT_TRUE(store.Compensations().empty());
  // A new row never reuses a deleted id.
  EXPECT_GT(Put(CompensationStatus::kPending, 0), b);
}

}  // namespace
}  // namespace csim
