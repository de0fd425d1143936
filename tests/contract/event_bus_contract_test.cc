// The EventBus contract (core/ports/event_bus.h), against FakeEventBus (driven as the simulator
// drives it) and RedisEventBus (Redis Streams consumer groups): every subscriber gets every later
// event of its topic, a delivery not acked comes back after the redelivery delay and not before,
// an acked one never does, and a restarted subscriber gets back what it never acked.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "fakes/deferred.h"

#include "tests/contract/envs.h"

namespace csim::contract {
namespace {

Event MakeEvent(std::string id, std::string topic = "payments.payment.confirmed") {
  return Event{std::move(id),
               std::move(topic),
               "ord-1",
               {{"amount", "40400"}, {"authorization_id", "auth-1"}}};
}

template <class Env>
class EventBusContract : public ContractTest<Env> {
 protected:
  using ContractTest<Env>::env;
  // A handler that records "<name>:<event id>" and every event, and answers Ok unless `fail`
  // says how many of its first deliveries fail.
  EventHandler Recorder(std::string name, int fail = 0) {
    auto failures_left = std::make_shared<int>(fail);
    return [this, name, failures_left](const Event& event) {
      // Deferred owns copies: the Task never reads the handler object after it returns.
      return fakes::Deferred<Status>([this, name, failures_left, event] {
        seen.push_back(name + ":" + event.id);
        events.push_back(event);
        if (*failures_left > 0) {
          --*failures_left;
          return Status{Code::kUnavailable, "handler failed"};
        }
        return Status::Ok();
      });
    };
  }
  Status Publish(const Event& event) { return RunSync(env.bus().Publish(event)); }
  std::vector<std::string> seen;
  std::vector<Event> events;
};

using BusEnvs = ::testing::Types<FakeBusEnv, RedisBusEnv>;
TYPED_TEST_SUITE(EventBusContract, BusEnvs, EnvName);

TYPED_TEST(EventBusContract, EverySubscriberGetsEachEventOfItsTopicOnce) {
  this->env.bus().Subscribe("payments.payment.confirmed", "order-service", this->Recorder("order"));
  this->env.bus().Subscribe("payments.payment.confirmed", "loyalty", this->Recorder("loyalty"));
  this->env.bus().Subscribe("orders.order.completed", "loyalty", this->Recorder("completed"));
  ASSERT_TRUE(this->Publish(MakeEvent("ev-1")).ok());
  ASSERT_TRUE(this->Publish(MakeEvent("ev-2", "orders.order.completed")).ok());
  ASSERT_TRUE(this->Publish(MakeEvent("ev-3", "nobody.listens")).ok()) << "dropped, not an error";

  EXPECT_EQ(this->env.DeliverDue(), 3);
  std::vector<std::string> sorted = this->seen;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"completed:ev-2", "loyalty:ev-1", "order:ev-1"}));
  EXPECT_EQ(this->events[0], MakeEvent("ev-1")) << "fields travel intact";

  this->env.WaitRedelivery();
  EXPECT_EQ(this->env.DeliverDue(), 0) << "acked deliveries never come back";
  EXPECT_EQ(this->seen.size(), 3u);
}

TYPED_TEST(EventBusContract, ADeliveryNotAckedIsRedeliveredAfterTheDelayNotBefore) {
  this->env.bus().Subscribe("payments.payment.confirmed", "order-service",
                            this->Recorder("order", /*fail=*/2));
  ASSERT_TRUE(this->Publish(MakeEvent("ev-1")).ok());
  EXPECT_EQ(this->env.DeliverDue(), 1);
  EXPECT_EQ(this->env.DeliverDue(), 0) << "not before the redelivery delay";
  this->env.WaitRedelivery();
  EXPECT_EQ(this->env.DeliverDue(), 1) << "failed once: back";
  this->env.WaitRedelivery();
  EXPECT_EQ(this->env.DeliverDue(), 1) << "failed twice: back again, then acked";
  this->env.WaitRedelivery();
  EXPECT_EQ(this->env.DeliverDue(), 0);
  EXPECT_EQ(this->seen, (std::vector<std::string>{"order:ev-1", "order:ev-1", "order:ev-1"}));
  EXPECT_EQ(this->events[2], MakeEvent("ev-1")) << "the same event each time";
}

TYPED_TEST(EventBusContract, ASubscriberGetsOnlyEventsPublishedAfterItSubscribed) {
  ASSERT_TRUE(this->Publish(MakeEvent("ev-before")).ok());
  this->env.bus().Subscribe("payments.payment.confirmed", "order-service", this->Recorder("order"));
  ASSERT_TRUE(this->Publish(MakeEvent("ev-after")).ok());
  EXPECT_EQ(this->env.DeliverDue(), 1);
  EXPECT_EQ(this->seen, (std::vector<std::string>{"order:ev-after"}));
}

TYPED_TEST(EventBusContract, ARestartedSubscriberGetsBackWhatItNeverAcked) {
  this->env.bus().Subscribe("payments.payment.confirmed", "order-service",
                            this->Recorder("before-crash", /*fail=*/1));
  ASSERT_TRUE(this->Publish(MakeEvent("ev-1")).ok());
  EXPECT_EQ(this->env.DeliverDue(), 1);
  ASSERT_TRUE(this->env.RestartSubscriber().ok());
  this->env.bus().Subscribe("payments.payment.confirmed", "order-service",
                            this->Recorder("after-restart"));
  ASSERT_TRUE(this->Publish(MakeEvent("ev-2")).ok());
  this->env.WaitRedelivery();
  EXPECT_EQ(this->env.DeliverDue(), 2);
  std::vector<std::string> sorted = this->seen;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"after-restart:ev-1", "after-restart:ev-2",
                                              "before-crash:ev-1"}));
}

TYPED_TEST(EventBusContract, FieldsAreBinarySafe) {
  this->env.bus().Subscribe("payments.payment.confirmed", "order-service", this->Recorder("order"));
  Event event = MakeEvent("ev-1");
  event.fields["raw"] = std::string{"\0\xff bytes", 8};
  event.fields[""] = "empty name";
  ASSERT_TRUE(this->Publish(event).ok());
  EXPECT_EQ(this->env.DeliverDue(), 1);
  ASSERT_EQ(this->events.size(), 1u);
  EXPECT_EQ(this->events[0], event);
}

TYPED_TEST(EventBusContract, RefusesAnEventWithoutIdOrTopic) {
  EXPECT_EQ(this->Publish(Event{"", "t", "s", {}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(this->Publish(Event{"ev-1", "", "s", {}}).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace csim::contract
