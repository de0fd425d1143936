#include "fakes/fake_event_bus.h"

#include <gtest/gtest.h>

#include "core/check.h"
#include "fakes/deferred.h"
#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

Event MakeEvent(std::string id, std::string topic = "orders.order.created") {
  return Event{std::move(id), std::move(topic), "ord-1", {}};
}

class FakeEventBusTest : public ::testing::Test {
 protected:
  // A handler that records what it saw and answers `answer`.
  EventHandler Recorder(std::string name, Code answer = Code::kOk) {
    return [this, name, answer](const Event& event) {
      return Deferred<Status>([this, name, answer, event] {
        seen.push_back(name + ":" + event.id);
        return answer == Code::kOk ? Status::Ok() : Status{answer, "handler failed"};
      });
    };
  }
  // Takes the next due delivery, runs its handler, acks on Ok, else nacks for `retry_at`.
  bool DeliverOne(TimeUs now, TimeUs retry_at) {
    std::optional<Delivery> delivery = bus.NextDue(now);
    if (!delivery) return false;
    Status status = RunSync(bus.Handler(*delivery)(*delivery->event));
    if (status.ok()) {
      bus.Ack(delivery->id);
    } else {
      bus.Nack(delivery->id, retry_at);
    }
    return true;
  }

  ManualClock clock{0};
  FakeEventBus bus{clock};
  std::vector<std::string> seen;
};

TEST_F(FakeEventBusTest, DeliversToEverySubscriberInOrder) {
  bus.Subscribe("orders.order.created", "checkout", Recorder("checkout"));
  bus.Subscribe("orders.order.created", "loyalty", Recorder("loyalty"));
  bus.Subscribe("payments.payment.confirmed", "order", Recorder("order"));
  ASSERT_TRUE(RunSync(bus.Publish(MakeEvent("ev-1"))).ok());
  clock.Set(10);
  ASSERT_TRUE(RunSync(bus.Publish(MakeEvent("ev-2"))).ok());
  EXPECT_EQ(bus.PendingCount(), 4u);
  EXPECT_EQ(bus.NextDueTime(), 0);

  EXPECT_FALSE(bus.NextDue(-1).has_value()) << "nothing due before its time";
  while (DeliverOne(10, 20)) {
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"checkout:ev-1", "loyalty:ev-1", "checkout:ev-2",
                                            "loyalty:ev-2"}));
  EXPECT_EQ(bus.PendingCount(), 0u);
  EXPECT_EQ(bus.NextDueTime(), std::nullopt);
  EXPECT_EQ(bus.Published().size(), 2u);
  EXPECT_EQ(bus.DeliveryCount("loyalty", "ev-2"), 1);
  EXPECT_EQ(bus.SubscribedTopics(),
            (std::vector<std::string>{"orders.order.created", "payments.payment.confirmed"}));
}

TEST_F(FakeEventBusTest, NackRedeliversLaterWithAttempts) {
  bus.Subscribe("orders.order.created", "flaky", Recorder("flaky", Code::kUnavailable));
  ASSERT_TRUE(RunSync(bus.Publish(MakeEvent("ev-1"))).ok());
  ASSERT_TRUE(DeliverOne(0, 100));
  EXPECT_EQ(bus.NextDueTime(), 100);
  EXPECT_FALSE(bus.NextDue(99).has_value());
  std::optional<Delivery> again = bus.NextDue(100);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempts, 1);
  EXPECT_EQ(again->id, 1);
  EXPECT_EQ(bus.InFlightCount(), 1u);
  bus.Ack(again->id);
  EXPECT_EQ(bus.DeliveryCount("flaky", "ev-1"), 2);
  EXPECT_THROW(bus.Ack(again->id), CheckFailure) << "acked once";
}

TEST_F(FakeEventBusTest, DuplicatesGoToEverySubscriberAgain) {
  bus.Subscribe("payments.payment.confirmed", "order", Recorder("order"));
  bus.Subscribe("payments.payment.confirmed", "audit", Recorder("audit"));
  const Event webhook = MakeEvent("wh-1", "payments.payment.confirmed");
  ASSERT_TRUE(RunSync(bus.Publish(webhook)).ok());
  bus.DeliverAgain(webhook, 5);
  EXPECT_EQ(bus.PendingCount(), 4u);
  while (DeliverOne(5, 50)) {
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"order:wh-1", "audit:wh-1", "order:wh-1", "audit:wh-1"}));
  EXPECT_EQ(bus.DeliveryCount("order", "wh-1"), 2);
  EXPECT_EQ(bus.Published().size(), 1u) << "a duplicate is not a new publication";
}

TEST_F(FakeEventBusTest, EarlierDeliverAtGoesFirst) {
  bus.Subscribe("t", "s", Recorder("s"));
  ASSERT_TRUE(RunSync(bus.Publish(MakeEvent("late", "t"))).ok());
  bus.DeliverAgain(MakeEvent("reordered", "t"), -5);  // a delayed copy overtaking nothing
  ASSERT_TRUE(DeliverOne(0, 0));
  EXPECT_EQ(seen.front(), "s:reordered");
}

TEST_F(FakeEventBusTest, UnsubscribedTopicIsRecordedButDeliveredToNobody) {
  ASSERT_TRUE(RunSync(bus.Publish(MakeEvent("ev-1", "payments.refund.completed"))).ok());
  EXPECT_EQ(bus.UnroutedCount(), 1);
  EXPECT_EQ(bus.PendingCount(), 0u);
  EXPECT_FALSE(bus.HasSubscribers("payments.refund.completed"));
  EXPECT_EQ(RunSync(bus.Publish(MakeEvent(""))).code(), Code::kInvalidArgument);
  EXPECT_EQ(bus.Published().size(), 1u);
}

TEST_F(FakeEventBusTest, ResubscribingReplacesTheHandlerOfQueuedDeliveries) {
  bus.Subscribe("t", "worker", Recorder("before-crash"));
  ASSERT_TRUE(RunSync(bus.Publish(MakeEvent("ev-1", "t"))).ok());
  bus.Subscribe("t", "worker", Recorder("after-restart"));
  ASSERT_TRUE(DeliverOne(0, 0));
  EXPECT_EQ(seen, (std::vector<std::string>{"after-restart:ev-1"}));
  EXPECT_EQ(bus.Subscriptions(), (std::vector<FakeEventBus::SubscriptionKey>{{"t", "worker"}}));
}

TEST_F(FakeEventBusTest, RequeueInFlightAfterASubscriberCrash) {
  bus.Subscribe("t", "crashes", Recorder("crashes"));
  bus.Subscribe("t", "stays", Recorder("stays"));
  ASSERT_TRUE(RunSync(bus.Publish(MakeEvent("ev-1", "t"))).ok());
  std::optional<Delivery> lost = bus.NextDue(0);
  std::optional<Delivery> kept = bus.NextDue(0);
  ASSERT_TRUE(lost && kept);
  EXPECT_EQ(lost->subscriber, "crashes");
  EXPECT_EQ(bus.RequeueInFlight("crashes", 30), 1u);
  EXPECT_EQ(bus.InFlightCount(), 1u) << "the other subscriber's delivery stays in flight";
  EXPECT_EQ(bus.NextDueTime(), 30);
  std::optional<Delivery> again = bus.NextDue(30);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, lost->id);
  EXPECT_EQ(again->attempts, 1);
}

}  // namespace
}  // namespace csim::fakes
