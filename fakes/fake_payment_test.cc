#include "fakes/fake_payment.h"

#include <gtest/gtest.h>

#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

class FakePaymentTest : public ::testing::Test {
 protected:
  std::string Authorize(const std::string& key, Money amount, const std::string& customer = "c1") {
    return RunSync(gateway.Authorize(key, customer, amount)).value();
  }
  AuthStatus StatusOf(const std::string& id) const { return gateway.FindAuthorization(id)->status; }

  ManualClock clock{0};
  FakePaymentGateway gateway{clock};
};

TEST_F(FakePaymentTest, AuthorizeIsIdempotentByKey) {
  EXPECT_EQ(Authorize("key-1", 500), "auth-1");
  EXPECT_EQ(Authorize("key-1", 500), "auth-1");
  EXPECT_EQ(Authorize("key-2", 700), "auth-2");
  EXPECT_EQ(gateway.Authorizations().size(), 2u);
  EXPECT_EQ(RunSync(gateway.Authorize("key-3", "c1", 0)).code(), Code::kInvalidArgument);
  gateway.DeclineAuthorizations("mallory");
  EXPECT_EQ(RunSync(gateway.Authorize("key-4", "mallory", 100)).code(), Code::kRejected);
  EXPECT_EQ(gateway.Authorizations().size(), 2u);
}

TEST_F(FakePaymentTest, CaptureQueuesConfirmedWebhookOnce) {
  const std::string auth = Authorize("key-1", 1'000);
  EXPECT_TRUE(RunSync(gateway.Capture(auth, "ord-1", 900)).ok());
  EXPECT_TRUE(RunSync(gateway.Capture(auth, "ord-1", 900)).ok()) << "a retry";
  EXPECT_EQ(StatusOf(auth), AuthStatus::kCaptured);
  EXPECT_EQ(gateway.TotalCaptured(), 900);
  EXPECT_EQ(gateway.Orders().at("ord-1"), (OrderMoney{900, 0, 1, 0, false}));

  std::vector<Event> webhooks = gateway.TakeWebhooks();
  ASSERT_EQ(webhooks.size(), 1u) << "no webhook for the retry";
  EXPECT_EQ(webhooks[0],
            (Event{"wh-1",
                   "payments.payment.confirmed",
                   "ord-1",
                   {{"order_id", "ord-1"}, {"authorization_id", "auth-1"}, {"amount", "900"}}}));
  EXPECT_TRUE(gateway.TakeWebhooks().empty()) << "drained";

  EXPECT_EQ(RunSync(gateway.Void(auth)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(RunSync(gateway.Capture(auth, "ord-2", 10)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(gateway.TotalCaptured(), 900);
}

TEST_F(FakePaymentTest, CaptureAboveAuthorizedOrUnknownIsRefusedWithoutWebhook) {
  const std::string auth = Authorize("key-1", 1'000);
  EXPECT_EQ(RunSync(gateway.Capture(auth, "ord-1", 1'001)).code(), Code::kInvalidArgument);
  EXPECT_EQ(RunSync(gateway.Capture("auth-404", "ord-1", 1)).code(), Code::kNotFound);
  EXPECT_TRUE(gateway.TakeWebhooks().empty());
  EXPECT_EQ(StatusOf(auth), AuthStatus::kAuthorized);
}

TEST_F(FakePaymentTest, VoidedCaptureFailsWithFailedWebhook) {
  const std::string auth = Authorize("key-1", 1'000);
  EXPECT_TRUE(RunSync(gateway.Void(auth)).ok());
  EXPECT_TRUE(RunSync(gateway.Void(auth)).ok()) << "idempotent";
  EXPECT_EQ(StatusOf(auth), AuthStatus::kVoided);
  EXPECT_EQ(RunSync(gateway.Capture(auth, "ord-1", 1'000)).code(), Code::kFailedPrecondition);
  std::vector<Event> webhooks = gateway.TakeWebhooks();
  ASSERT_EQ(webhooks.size(), 1u);
  EXPECT_EQ(webhooks[0].topic, "payments.payment.failed");
  EXPECT_EQ(webhooks[0].subject, "ord-1");
  EXPECT_EQ(webhooks[0].Get("authorization_id"), auth);
  EXPECT_EQ(webhooks[0].Get("reason"), "authorization voided");
  EXPECT_EQ(gateway.TotalCaptured(), 0);
  EXPECT_EQ(RunSync(gateway.Void("auth-404")).code(), Code::kNotFound);
}

TEST_F(FakePaymentTest, AuthorizationLapsesAfterSevenDays) {
  const std::string auth = Authorize("key-1", 1'000);
  clock.Set(7 * kDayUs - 1);
  EXPECT_EQ(StatusOf(auth), AuthStatus::kAuthorized);
  clock.Advance(1);
  EXPECT_EQ(StatusOf(auth), AuthStatus::kLapsed);
  EXPECT_EQ(gateway.Authorizations()[0].status, AuthStatus::kLapsed);
  EXPECT_TRUE(RunSync(gateway.Void(auth)).ok()) << "nothing left to void";
  EXPECT_EQ(StatusOf(auth), AuthStatus::kLapsed);
  EXPECT_EQ(RunSync(gateway.Capture(auth, "ord-1", 1'000)).code(), Code::kFailedPrecondition);
  std::vector<Event> webhooks = gateway.TakeWebhooks();
  ASSERT_EQ(webhooks.size(), 1u);
  EXPECT_EQ(webhooks[0].Get("reason"), "authorization lapsed");
}

TEST_F(FakePaymentTest, DeclinedCaptureIsRejectedWithFailedWebhook) {
  const std::string auth = Authorize("key-1", 1'000, "bob");
  gateway.DeclineCaptures("bob");
  EXPECT_EQ(RunSync(gateway.Capture(auth, "ord-1", 1'000)).code(), Code::kRejected);
  EXPECT_EQ(StatusOf(auth), AuthStatus::kAuthorized);
  std::vector<Event> webhooks = gateway.TakeWebhooks();
  ASSERT_EQ(webhooks.size(), 1u);
  EXPECT_EQ(webhooks[0].topic, "payments.payment.failed");
  EXPECT_EQ(webhooks[0].id, "wh-1");
}

TEST_F(FakePaymentTest, RefundOncePerOrder) {
  const std::string auth = Authorize("key-1", 1'000);
  EXPECT_EQ(RunSync(gateway.Refund(auth, "ord-1", 100)).code(), Code::kFailedPrecondition)
      << "nothing captured yet";
  ASSERT_TRUE(RunSync(gateway.Capture(auth, "ord-1", 800)).ok());
  EXPECT_EQ(RunSync(gateway.Refund(auth, "ord-1", 801)).code(), Code::kInvalidArgument);
  EXPECT_EQ(RunSync(gateway.Refund(auth, "ord-2", 100)).code(), Code::kFailedPrecondition);
  EXPECT_TRUE(RunSync(gateway.Refund(auth, "ord-1", 800)).ok());
  EXPECT_TRUE(RunSync(gateway.Refund(auth, "ord-1", 800)).ok()) << "a retry refunds nothing";
  EXPECT_EQ(gateway.TotalRefunded(), 800);
  EXPECT_EQ(gateway.Orders().at("ord-1"), (OrderMoney{800, 800, 1, 1, false}));
  EXPECT_EQ(gateway.FindAuthorization(auth)->refunded, 800);

  std::vector<Event> webhooks = gateway.TakeWebhooks();
  ASSERT_EQ(webhooks.size(), 2u);
  EXPECT_EQ(webhooks[0].topic, "payments.payment.confirmed");
  EXPECT_EQ(webhooks[1],
            (Event{"wh-2",
                   "payments.refund.completed",
                   "ord-1",
                   {{"order_id", "ord-1"}, {"authorization_id", "auth-1"}, {"amount", "800"}}}));
}

TEST_F(FakePaymentTest, CashOnDeliveryCountsAsCapturedOnce) {
  gateway.RecordCashCollected("ord-cod", 5'000);
  gateway.RecordCashCollected("ord-cod", 5'000);
  EXPECT_EQ(gateway.TotalCaptured(), 5'000);
  EXPECT_EQ(gateway.Orders().at("ord-cod"), (OrderMoney{5'000, 0, 1, 0, true}));
  EXPECT_TRUE(gateway.TakeWebhooks().empty());

  EXPECT_TRUE(RunSync(gateway.Refund("", "ord-cod", 5'000)).ok());
  EXPECT_TRUE(RunSync(gateway.Refund("", "ord-cod", 5'000)).ok());
  EXPECT_EQ(gateway.TotalRefunded(), 5'000);
  EXPECT_EQ(RunSync(gateway.Refund("", "ord-card", 1)).code(), Code::kNotFound);
  std::vector<Event> webhooks = gateway.TakeWebhooks();
  ASSERT_EQ(webhooks.size(), 1u);
  EXPECT_EQ(webhooks[0].topic, "payments.refund.completed");
  EXPECT_EQ(webhooks[0].GetInt("amount"), 5'000);
}

TEST_F(FakePaymentTest, TwoAuthorizationsCapturedForOneOrderShowADoubleCapture) {
  const std::string first = Authorize("key-1", 1'000);
  const std::string second = Authorize("key-2", 1'000);
  ASSERT_TRUE(RunSync(gateway.Capture(first, "ord-1", 1'000)).ok());
  ASSERT_TRUE(RunSync(gateway.Capture(second, "ord-1", 1'000)).ok());
  EXPECT_EQ(gateway.Orders().at("ord-1").capture_count, 2);
  EXPECT_EQ(gateway.TotalCaptured(), 2'000);
}

}  // namespace
}  // namespace csim::fakes
