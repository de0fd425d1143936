// SIM-12 and SIM-15, found by the simulator: a lapsed item that SIM-05's fix reserved and
// committed again, while the confirmation that did it lost its commit, and an order cancelled
// meanwhile (SIM-12) or before the retry (SIM-15). Each test runs fixed and with its finding as
// reviewed (the parameter).
#include <gtest/gtest.h>

#include <optional>
#include <string_view>

#include "core/order/order_service.h"
#include "core/topics.h"
#include "fakes/fake_fulfillment.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_warehouse.h"
#include "fakes/instant_clock.h"
#include "fakes/run_sync.h"
#include "tests/core/both_profiles.h"
#include "tests/core/flaky_warehouse.h"
#include "tests/core/scripted_order_store.h"

namespace csim {
namespace {

using fakes::RunSync;
using test_ports::ScriptedOrderStore;

constexpr std::int32_t kOnHand = 5;
constexpr std::int32_t kOrdered = 2;

class ReserveAgainTest : public ::testing::TestWithParam<bool> {
 protected:
  ReserveAgainTest() { warehouse_.SetStock("sku-1", "wh-1", kOnHand); }

  // The service under test, with `finding` as reviewed when the parameter says so.
  OrderService& Service(std::string_view finding) {
    if (!service_) {
      if (!GetParam()) profile_.SetAsReviewed(*LookupFinding(finding));
      service_.emplace(OrderPorts{clock_, flaky_store_, flaky_warehouse_, payment_, nullptr, true,
                                  nullptr, &fulfillment_},
                       config_, profile_);
    }
    return *service_;
  }

  // A pending card order of kOrdered units whose reservation lapsed before the payment arrived;
  // the gateway captured it and its payments.payment.confirmed webhook is returned.
  Event LapsedOrderPaid() {
    ReserveRequest reserve{"sku-1", "wh-1", kOrdered, 15 * kMinuteUs, "sess-1:v1:0"};
    CreateOrderRequest r;
    r.cart_session_id = "sess-1";
    r.checkout_attempt = "sess-1:v1";
    r.customer_id = "cust-1";
    r.items = {OrderItem{"sku-1", "wh-1", kOrdered, 100 * kVnd,
                         RunSync(warehouse_.ReserveWithTtl(reserve)).value()}};
    r.subtotal = r.total = kOrdered * 100 * kVnd;
    r.authorization_id = RunSync(payment_.Authorize("auth:sess-1:v1", "cust-1", r.total)).value();
    order_ = RunSync(service_->CreateOrder(r)).value();
    clock_.Advance(16 * kMinuteUs);
    (void)warehouse_.TakeExpired(clock_.Now());
    EXPECT_TRUE(RunSync(payment_.Capture(order_.authorization_id, order_.id, order_.total)).ok());
    std::vector<Event> webhooks = payment_.TakeWebhooks();
    EXPECT_EQ(webhooks.size(), 1u);
    return webhooks.at(0);
  }

  fakes::StockView Stock() const {
    for (const fakes::StockView& view : warehouse_.StockViews(clock_.Now())) {
      if (view.sku == "sku-1" && view.warehouse_id == "wh-1") return view;
    }
    ADD_FAILURE() << "no stock view of sku-1 at wh-1";
    return {};
  }

  Order Stored() const { return store_.Orders().at(order_.id); }

  fakes::InstantClock clock_{kHourUs};
  fakes::FakeOrderStore store_{clock_};
  ScriptedOrderStore flaky_store_{store_};
  fakes::FakeWarehouse warehouse_{clock_};
  test_ports::FlakyWarehouse flaky_warehouse_{warehouse_};  // works unless a test says otherwise
  fakes::FakePaymentGateway payment_{clock_};
  fakes::FakeFulfillment fulfillment_{clock_};
  Config config_ = DefaultConfig();
  Profile profile_ = Profile::AllFixed();
  std::optional<OrderService> service_;
  Order order_;
};

TEST_P(ReserveAgainTest, ACancellationBeforeTheRetryGivesBackWhatWasReservedAgain) {
  const bool fixed = GetParam();
  OrderService& service = Service("SIM-15");
  const Event webhook = LapsedOrderPaid();
  ASSERT_EQ(Stock().committed, 0);
  ASSERT_EQ(Stock().active_reserved, 0);
  if (fixed) {
    // The order records that it reserves again before anything is reserved, then asks for the
    // redelivery that does it.
    EXPECT_EQ(RunSync(service.ConsumePaymentConfirmed(webhook)).code(), Code::kUnavailable);
    EXPECT_TRUE(Stored().reserving_again);
    EXPECT_EQ(Stored().status, OrderStatus::kPending);
    EXPECT_EQ(Stock().committed, 0);
    EXPECT_EQ(Stock().active_reserved, 0);
  }
  // The delivery that reserves again and confirms loses its commit: the order stays pending.
  flaky_store_.FailNextCommit();
  EXPECT_EQ(RunSync(service.ConsumePaymentConfirmed(webhook)).code(), Code::kUnavailable);
  EXPECT_EQ(Stored().status, OrderStatus::kPending);
  EXPECT_EQ(Stock().committed, kOrdered);  // the new reservation, named by no order
  EXPECT_EQ(Stored().items[0].reservation_id, order_.items[0].reservation_id);

  // The cancellation (say the cleanup's, the order expired) comes before the redelivery.
  ASSERT_TRUE(RunSync(service.CancelOrder(order_.id, "expired")).ok());
  EXPECT_EQ(Stored().status, OrderStatus::kCancelled);
  EXPECT_TRUE(Stored().stock_released);
  // As first written the units stay committed for a cancelled order; fixed they are put back.
  EXPECT_EQ(Stock().committed, fixed ? 0 : kOrdered);
  EXPECT_EQ(Stock().on_hand, kOnHand);
  EXPECT_EQ(Stock().active_reserved, 0);

  // The redelivery meets a cancelled order and changes nothing.
  EXPECT_TRUE(RunSync(service.ConsumePaymentConfirmed(webhook)).ok());
  EXPECT_EQ(Stored().status, OrderStatus::kCancelled);
  EXPECT_EQ(Stock().committed, fixed ? 0 : kOrdered);
}

// Cancelled right after the first delivery. Fixed, that delivery only recorded the intent and the
// cancellation's lookup by reference makes a reservation just to release it; as first written the
// order was confirmed on the new reservation and the cancellation restocks it. Either way nothing
// stays held or committed.
TEST_P(ReserveAgainTest, ACancellationRightAfterTheFirstDeliveryLeavesNothingHeld) {
  const bool fixed = GetParam();
  OrderService& service = Service("SIM-15");
  const Event webhook = LapsedOrderPaid();
  const Status first = RunSync(service.ConsumePaymentConfirmed(webhook));
  EXPECT_EQ(first.code(), fixed ? Code::kUnavailable : Code::kOk);
  EXPECT_EQ(Stored().reserving_again, fixed);
  EXPECT_EQ(Stored().status, fixed ? OrderStatus::kPending : OrderStatus::kConfirmed);
  ASSERT_TRUE(RunSync(service.CancelOrder(order_.id, "customer")).ok());
  EXPECT_TRUE(Stored().stock_released);
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(Stock().on_hand, kOnHand);
  EXPECT_EQ(warehouse_.Restocks().size(), fixed ? 0u : 1u);
  // The redelivery then finds the order cancelled: it reserves nothing.
  EXPECT_TRUE(RunSync(service.ConsumePaymentConfirmed(webhook)).ok());
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(Stock().committed, 0);
}

// SIM-12: the confirmation reserved the lapsed item again and committed it, and a cancellation
// (the reservation_expired consumer's) committed just before the confirmation's own commit, which
// then conflicts. The cancellation released only the lapsed reservation. As reviewed the new units
// stay committed for the cancelled order; fixed, GiveBackReservedAgain restocks them.
TEST_P(ReserveAgainTest, AConfirmationThatLostItsCommitToACancellationGivesBack) {
  const bool fixed = GetParam();
  OrderService& service = Service("SIM-12");
  const Event webhook = LapsedOrderPaid();
  // SIM-15 fixed: the first delivery records reserving_again and asks for a redelivery.
  ASSERT_EQ(RunSync(service.ConsumePaymentConfirmed(webhook)).code(), Code::kUnavailable);
  flaky_store_.BeforeNextCommit([this] {
    Order cancelled = Stored();
    ASSERT_EQ(cancelled.status, OrderStatus::kPending);
    cancelled.version += 1;
    cancelled.status = OrderStatus::kCancelled;
    cancelled.cancelled_at = clock_.Now();
    cancelled.stock_released = true;  // its lapsed reservation: nothing left to release
    OrderWrite write;
    write.update = cancelled;
    ASSERT_TRUE(RunSync(store_.Commit(write)).ok());
  });
  EXPECT_EQ(RunSync(service.ConsumePaymentConfirmed(webhook)).code(), Code::kUnavailable);
  EXPECT_EQ(Stored().status, OrderStatus::kCancelled);
  EXPECT_EQ(Stored().items[0].reservation_id, order_.items[0].reservation_id);
  EXPECT_EQ(Stock().committed, fixed ? 0 : kOrdered);
  EXPECT_EQ(warehouse_.Restocks().size(), fixed ? 1u : 0u);
  EXPECT_EQ(Stock().active_reserved, 0);
  // The redelivery finds the order cancelled and changes nothing.
  EXPECT_TRUE(RunSync(service.ConsumePaymentConfirmed(webhook)).ok());
  EXPECT_EQ(Stock().committed, fixed ? 0 : kOrdered);
}

// A twin delivery of the same webhook (a duplicate, a second worker replica) reserves again under
// the same reference, gets the same reservation, and commits first; this delivery's commit then
// conflicts. The order, read again, is confirmed and names that reservation: it is the order's
// stock, and nothing may give it back. SIM-12's fix first asserted that no order could name it,
// which stopped swarm seed 2762 (SIM-15 as reviewed) with an internal error.
TEST_P(ReserveAgainTest, ATwinDeliveryThatCommittedFirstKeepsTheReservationItMadeAgain) {
  OrderService& service = Service("SIM-12");
  const Event webhook = LapsedOrderPaid();
  ASSERT_EQ(RunSync(service.ConsumePaymentConfirmed(webhook)).code(), Code::kUnavailable);
  flaky_store_.BeforeNextCommit([&] {
    ASSERT_TRUE(RunSync(service.ConsumePaymentConfirmed(webhook)).ok());
    ASSERT_EQ(Stored().status, OrderStatus::kConfirmed);
  });
  EXPECT_EQ(RunSync(service.ConsumePaymentConfirmed(webhook)).code(), Code::kUnavailable);
  EXPECT_EQ(Stored().status, OrderStatus::kConfirmed);
  EXPECT_NE(Stored().items[0].reservation_id, order_.items[0].reservation_id);
  EXPECT_EQ(Stock().committed, kOrdered);
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(warehouse_.Restocks().size(), 0u);
  // The redelivery finds the event processed and changes nothing.
  EXPECT_TRUE(RunSync(service.ConsumePaymentConfirmed(webhook)).ok());
  EXPECT_EQ(Stock().committed, kOrdered);
  EXPECT_EQ(Stock().on_hand, kOnHand);
}

// SIM-36: SIM-15's cancellation, with the warehouse refusing its release. The lapsed reservation's
// release fails, so the cancellation writes its release row and never looks the new reservation up
// by its reference (nor could it write a row for it without an id). The row's redrive releases the
// lapsed reservation, which holds nothing; the units reserved and committed again stay committed
// for the cancelled order until ReservationCleanupJob's pass, up to 15 minutes later. Fixed, the
// cancellation also writes a row that looks the new reservation up by its reference, and the DLQ
// retry's first pass puts the units back.
TEST_P(ReserveAgainTest, ACancellationWhoseReleaseFailedGivesBackWhatWasReservedAgain) {
  const bool fixed = GetParam();
  OrderService& service = Service("SIM-36");
  const Event webhook = LapsedOrderPaid();
  ASSERT_EQ(RunSync(service.ConsumePaymentConfirmed(webhook)).code(), Code::kUnavailable);
  ASSERT_TRUE(Stored().reserving_again);
  flaky_store_.FailNextCommit();  // the delivery that reserves again loses its commit
  ASSERT_EQ(RunSync(service.ConsumePaymentConfirmed(webhook)).code(), Code::kUnavailable);
  ASSERT_EQ(Stock().committed, kOrdered);  // the new reservation, named by no order

  flaky_warehouse_.FailReleases(true);
  ASSERT_TRUE(RunSync(service.CancelOrder(order_.id, "expired")).ok());
  flaky_warehouse_.FailReleases(false);
  EXPECT_EQ(Stored().status, OrderStatus::kCancelled);
  EXPECT_FALSE(Stored().stock_released);
  EXPECT_EQ(Stock().committed, kOrdered);
  std::int32_t release_rows = 0;
  for (const auto& [id, row] : store_.Outbox()) {
    release_rows += row.event.topic == topics::kReservationReleaseDlq;
  }
  EXPECT_EQ(release_rows, fixed ? 2 : 1);  // the lapsed reservation's, and fixed the new one's

  // The DLQ retry's passes, a minute apart, through STOCK-NO-LEAK's 5 minutes.
  std::int32_t redriven = 0;
  for (std::int32_t pass = 0; pass < 5; ++pass) {
    redriven += RunSync(service.RunDlqRetryOnce());
    clock_.Advance(config_.order.dlq_retry_interval_seconds * kSecondUs);
  }
  EXPECT_EQ(redriven, fixed ? 2 : 1);
  EXPECT_EQ(Stock().committed, fixed ? 0 : kOrdered);
  EXPECT_EQ(warehouse_.Restocks().size(), fixed ? 1u : 0u);

  // ReservationCleanupJob's pass (every 15 minutes) looks the new reservation up as well: as
  // reviewed it is what puts the units back; fixed there is nothing left, and nothing is put back
  // twice (the row and the cleanup restock under the same reference).
  clock_.Advance(config_.order.reservation_cleanup_interval_minutes * kMinuteUs);
  (void)RunSync(service.RunReservationCleanupOnce());
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(Stock().on_hand, kOnHand);
  EXPECT_EQ(warehouse_.Restocks().size(), 1u);
  EXPECT_TRUE(Stored().stock_released);
}

INSTANTIATE_TEST_SUITE_P(Sim12AndSim15, ReserveAgainTest, test_ports::BothProfiles(),
                         test_ports::ProfileName);

}  // namespace
}  // namespace csim
