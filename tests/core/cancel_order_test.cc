// SIM-01, found by the simulator: CancelOrder of a paid order when its commit fails once and the
// refund.completed webhook arrives before the retried cancellation commits.
#include <gtest/gtest.h>

#include "core/order/order_service.h"
#include "core/topics.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_warehouse.h"
#include "fakes/instant_clock.h"
#include "fakes/run_sync.h"
#include "tests/core/scripted_order_store.h"

namespace csim {
namespace {

using fakes::RunSync;
using test_ports::ScriptedOrderStore;

class CancelOrderTest : public ::testing::TestWithParam<bool> {
 protected:
  CancelOrderTest() {
    warehouse_.SetStock("sku-1", "wh-1", 5);
    if (!GetParam()) profile_.SetAsReviewed(FindingId("SIM-01"));
  }

  // A confirmed, captured order of 2 units.
  Order PaidOrder() {
    ReserveRequest reserve{"sku-1", "wh-1", 2, 30 * kMinuteUs, "sess-1:v2:0"};
    CreateOrderRequest r;
    r.cart_session_id = "sess-1";
    r.checkout_attempt = "sess-1:v2";
    r.customer_id = "cust-1";
    r.items = {OrderItem{"sku-1", "wh-1", 2, 100 * kVnd,
                         RunSync(warehouse_.ReserveWithTtl(reserve)).value()}};
    r.subtotal = r.total = 200 * kVnd;
    r.authorization_id = RunSync(payment_.Authorize("auth:sess-1:v2", "cust-1", r.total)).value();
    Order order = RunSync(service_.CreateOrder(r)).value();
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
  fakes::FakePaymentGateway payment_{clock_};
  Config config_ = DefaultConfig();
  Profile profile_ = Profile::AllFixed();
  OrderService service_{OrderPorts{clock_, flaky_store_, warehouse_, payment_}, config_, profile_};
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

INSTANTIATE_TEST_SUITE_P(Sim01, CancelOrderTest, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "Fixed" : "AsReviewed";
                         });

}  // namespace
}  // namespace csim
