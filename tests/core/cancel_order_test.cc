// SIM-01, found by the simulator: CancelOrder of a paid order when its commit fails once and the
// refund.completed webhook arrives before the retried cancellation commits. SIM-30: SIM-01's
// cancellation when the release is refused and its second commit, the outcome's, fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/order/order_service.h"
#include "core/topics.h"
#include "fakes/fake_alerts.h"
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

// The parameter says fixed (true) or as reviewed (false); each suite sets its own finding.
class CancelFixture : public ::testing::TestWithParam<bool> {
 protected:
  CancelFixture() { warehouse_.SetStock("sku-1", "wh-1", 5); }

  // A pending order of 2 units, reserved for `ttl_us`, its payment authorized only.
  Order AuthorizedOrder(DurationUs ttl_us) {
    ReserveRequest reserve{"sku-1", "wh-1", 2, ttl_us, "sess-1:v2:0"};
    CreateOrderRequest r;
    r.cart_session_id = "sess-1";
    r.checkout_attempt = "sess-1:v2";
    r.customer_id = "cust-1";
    r.items = {OrderItem{"sku-1", "wh-1", 2, 100 * kVnd,
                         RunSync(warehouse_.ReserveWithTtl(reserve)).value()}};
    r.subtotal = r.total = 200 * kVnd;
    r.authorization_id = RunSync(payment_.Authorize("auth:sess-1:v2", "cust-1", r.total)).value();
    return RunSync(service_.CreateOrder(r)).value();
  }

  // A confirmed, captured order of 2 units.
  Order PaidOrder() {
    const Order order = AuthorizedOrder(30 * kMinuteUs);
    EXPECT_TRUE(RunSync(payment_.Capture(order.authorization_id, order.id, order.total)).ok());
    DeliverWebhooks();
    return store_.Orders().at(order.id);
  }

  // Hands every webhook the gateway sent to the order worker's consumer of its topic.
  void DeliverWebhooks() {
    for (const Event& webhook : payment_.TakeWebhooks()) {
      if (webhook.topic == topics::kPaymentConfirmed) {
        EXPECT_TRUE(RunSync(service_.ConsumePaymentConfirmed(webhook)).ok());
      } else if (webhook.topic == topics::kRefundCompleted) {
        EXPECT_TRUE(RunSync(service_.ConsumeRefundCompleted(webhook)).ok());
      }
    }
  }

  fakes::InstantClock clock_{kHourUs};
  fakes::FakeOrderStore store_{clock_};
  ScriptedOrderStore flaky_store_{store_};
  fakes::FakeWarehouse warehouse_{clock_};
  test_ports::FlakyWarehouse flaky_warehouse_{warehouse_};
  fakes::FakePaymentGateway payment_{clock_};
  fakes::FakeAlerts alerts_;
  fakes::FakeFulfillment fulfillment_{clock_};
  Config config_ = DefaultConfig();
  Profile profile_ = Profile::AllFixed();
  OrderService service_{OrderPorts{clock_, flaky_store_, flaky_warehouse_, payment_, nullptr, true,
                                   &alerts_, &fulfillment_},
                        config_, profile_};
};

class CancelOrderTest : public CancelFixture {
 protected:
  CancelOrderTest() {
    if (!GetParam()) profile_.SetAsReviewed(FindingId("SIM-01"));
  }
};

TEST_P(CancelOrderTest, RefundArrivingBeforeTheRetriedCancellationCommits) {
  const bool fixed = GetParam();
  const Order order = PaidOrder();
  ASSERT_EQ(order.status, OrderStatus::kConfirmed);
  ASSERT_EQ(order.captured, 200 * kVnd);

  flaky_store_.FailNextCommit();
  EXPECT_EQ(RunSync(service_.CancelOrder(order.id, "customer")).code(), Code::kUnavailable);
  // As reviewed the refund already went out although the order is still confirmed.
  EXPECT_EQ(payment_.Orders().at(order.id).refunded, fixed ? 0 : 200 * kVnd);
  EXPECT_EQ(store_.Orders().at(order.id).status, OrderStatus::kConfirmed);
  DeliverWebhooks();  // refund.completed meets a confirmed order: ignored

  EXPECT_TRUE(RunSync(service_.CancelOrder(order.id, "customer")).ok());
  DeliverWebhooks();
  const Order after = store_.Orders().at(order.id);
  EXPECT_EQ(payment_.Orders().at(order.id).refunded, 200 * kVnd);
  EXPECT_EQ(payment_.Orders().at(order.id).refund_count, 1);
  EXPECT_EQ(after.status, fixed ? OrderStatus::kRefunded : OrderStatus::kCancelled);
  EXPECT_EQ(after.refunded, fixed ? 200 * kVnd : 0);
  EXPECT_TRUE(after.stock_released);
}

INSTANTIATE_TEST_SUITE_P(Sim01, CancelOrderTest, test_ports::BothProfiles(),
                         test_ports::ProfileName);

// A bus that accepts every event and keeps it, for the test to hand to a consumer.
class RecordingBus final : public EventBus {
 public:
  Task<Status> Publish(const Event& event) override {
    published_.push_back(event);
    co_return Status::Ok();
  }
  void Subscribe(const std::string&, const std::string&, EventHandler) override {}
  const std::vector<Event>& published() const { return published_; }

 private:
  std::vector<Event> published_;
};

// SIM-30, found by the simulator (chaos seed 5119 at 50 orders): payments.payment.failed cancels
// the way SIM-01's fix does. As that fix was first written the DLQ row of a release that failed is
// only in the second commit; when that commit fails too the row is lost, and the event is already
// marked processed, so neither a redelivery nor the DLQ retry releases the stock.
class CancelReleaseRowTest : public CancelFixture {
 protected:
  CancelReleaseRowTest() {
    if (!GetParam()) profile_.SetAsReviewed(FindingId("SIM-30"));
  }

  static Event PaymentFailed(const Order& order) {
    Event event;
    event.id = "pay-failed:" + order.id;
    event.topic = std::string{topics::kPaymentFailed};
    event.subject = order.id;
    event.fields["order_id"] = order.id;
    return event;
  }

  fakes::StockView Stock() const {
    for (const fakes::StockView& view : warehouse_.StockViews(clock_.Now())) {
      if (view.sku == "sku-1" && view.warehouse_id == "wh-1") return view;
    }
    ADD_FAILURE() << "no stock view of sku-1 at wh-1";
    return fakes::StockView{};
  }

  // The release rows (compensation.reservation_release) naming `reservation_id`, any status.
  std::vector<OutboxRow> ReleaseRows(const std::string& reservation_id) const {
    std::vector<OutboxRow> rows;
    for (const auto& [id, row] : store_.Outbox()) {
      if (row.event.topic == topics::kReservationReleaseDlq &&
          row.event.Get("reservation_id") == reservation_id) {
        rows.push_back(row);
      }
    }
    return rows;
  }

  // A pending order of 2 units, cancelled by payments.payment.failed while the warehouse refuses
  // every release and the commit after the cancellation's fails before its effect; then the
  // warehouse answers again.
  Order CancelLosingTheSecondCommit() {
    const Order order = AuthorizedOrder(15 * kMinuteUs);
    EXPECT_EQ(Stock().active_reserved, 2);
    flaky_warehouse_.FailReleases(true);
    // The cancellation's commit goes through; the one after it fails.
    flaky_store_.BeforeNextCommit([this] { flaky_store_.FailNextCommit(); });
    EXPECT_TRUE(RunSync(service_.ConsumePaymentFailed(PaymentFailed(order))).ok());
    flaky_warehouse_.FailReleases(false);
    EXPECT_EQ(Stock().active_reserved, 2);
    return order;
  }
};

// The warehouse refuses the release (an outage window) and the second commit is lost; then the
// warehouse answers, the event is delivered again and the DLQ retry runs its pass.
TEST_P(CancelReleaseRowTest, ALostSecondCommitLeavesTheReleaseRow) {
  const bool fixed = GetParam();
  const Order order = CancelLosingTheSecondCommit();
  const std::string reservation_id = order.items.at(0).reservation_id;
  const Order cancelled = store_.Orders().at(order.id);
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  EXPECT_FALSE(cancelled.stock_released);  // the second commit's flag is lost either way
  EXPECT_TRUE(RunSync(store_.IsProcessed(PaymentFailed(order).id)).value());
  // Fixed, the cancellation's commit holds the release row; as reviewed no row names it.
  EXPECT_EQ(ReleaseRows(reservation_id).size(), fixed ? 1U : 0U);

  // A redelivery finds the event processed; the DLQ retry's pass releases only from a row.
  ASSERT_TRUE(RunSync(service_.ConsumePaymentFailed(PaymentFailed(order))).ok());
  EXPECT_EQ(RunSync(service_.RunDlqRetryOnce()), fixed ? 1 : 0);
  EXPECT_EQ(Stock().active_reserved, fixed ? 0 : 2);
  EXPECT_EQ(warehouse_.Reservations().at(0).status,
            fixed ? fakes::ReservationStatus::kReleased : fakes::ReservationStatus::kActive);
  for (const OutboxRow& row : ReleaseRows(reservation_id)) {
    EXPECT_EQ(row.status, OutboxStatus::kPublished);  // done, not failed
  }
  EXPECT_TRUE(alerts_.Raised().empty());
}

// The same cancellation; then the outbox publisher's pass, and the DLQ consumer for each
// compensation event it published (what the bus would deliver to it).
TEST_P(CancelReleaseRowTest, TheOutboxPublisherCarriesTheReleaseRow) {
  const bool fixed = GetParam();
  (void)CancelLosingTheSecondCommit();
  RecordingBus bus;
  Schedule jobs = service_.Jobs(bus, alerts_);
  const auto publisher = std::find_if(
      jobs.begin(), jobs.end(), [](const ScheduledJob& job) { return job.name == "OutboxWorker"; });
  ASSERT_NE(publisher, jobs.end());
  (void)RunSync(publisher->pass());
  std::int32_t compensations = 0;
  for (const Event& event : bus.published()) {
    if (!topics::IsCompensationTopic(event.topic)) continue;
    ++compensations;
    EXPECT_TRUE(RunSync(service_.ConsumeCompensation(event)).ok());
  }
  // The order's pending status, its cancellation's two events, and fixed the release row.
  EXPECT_EQ(bus.published().size(), fixed ? 4U : 3U);
  EXPECT_EQ(compensations, fixed ? 1 : 0);
  EXPECT_EQ(Stock().active_reserved, fixed ? 0 : 2);
}

// The release is refused and the second commit goes through: one release row either way (fixed,
// the cancellation's; the second commit does not write it again), redriven once.
TEST_P(CancelReleaseRowTest, ARefusedReleaseHasOneRow) {
  const Order order = AuthorizedOrder(15 * kMinuteUs);
  const std::string reservation_id = order.items.at(0).reservation_id;
  flaky_warehouse_.FailReleases(true);
  ASSERT_TRUE(RunSync(service_.CancelOrder(order.id, "customer")).ok());
  flaky_warehouse_.FailReleases(false);
  EXPECT_FALSE(store_.Orders().at(order.id).stock_released);
  EXPECT_EQ(Stock().active_reserved, 2);
  ASSERT_EQ(ReleaseRows(reservation_id).size(), 1U);
  EXPECT_EQ(RunSync(service_.RunDlqRetryOnce()), 1);
  EXPECT_EQ(Stock().active_reserved, 0);
  EXPECT_EQ(ReleaseRows(reservation_id).at(0).status, OutboxStatus::kPublished);
}

// The cost of the fix where nothing fails: a confirmed, paid order is cancelled, its committed
// units restocked by the direct path. Fixed, the cancellation's release row is still redriven: the
// release finds the reservation committed and restocks by the same reference, which the warehouse
// has applied already, so the units come back once and the row is done (not failed).
TEST_P(CancelReleaseRowTest, TheRowOfAReleaseThatWorkedRedrivesAsANoOp) {
  const bool fixed = GetParam();
  const Order order = PaidOrder();
  ASSERT_EQ(order.status, OrderStatus::kConfirmed);
  ASSERT_EQ(Stock().committed, 2);
  const std::string reservation_id = order.items.at(0).reservation_id;

  ASSERT_TRUE(RunSync(service_.CancelOrder(order.id, "customer")).ok());
  EXPECT_TRUE(store_.Orders().at(order.id).stock_released);
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(warehouse_.Restocks().size(), 1U);
  ASSERT_EQ(ReleaseRows(reservation_id).size(), fixed ? 1U : 0U);

  EXPECT_EQ(RunSync(service_.RunDlqRetryOnce()), fixed ? 1 : 0);
  EXPECT_EQ(Stock().committed, 0);
  EXPECT_EQ(warehouse_.Restocks().size(), 1U);
  EXPECT_EQ(warehouse_.Restocks().at(order.id + ":restock:" + reservation_id).quantity, 2);
  for (const OutboxRow& row : ReleaseRows(reservation_id)) {
    EXPECT_EQ(row.status, OutboxStatus::kPublished);  // done, not failed
  }
  EXPECT_TRUE(alerts_.Raised().empty());
}

INSTANTIATE_TEST_SUITE_P(Sim30, CancelReleaseRowTest, test_ports::BothProfiles(),
                         test_ports::ProfileName);

}  // namespace
}  // namespace csim
