#include "fakes/fake_event_bus.h"

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

Task<Status> FakeEventBus::Publish(const Event& event) {
  // The task owns the one copy the bus keeps (Deferred's rule), made now.
  return Deferred<Status>(
      [this, shared = std::make_shared<const Event>(event)] { return PublishNow(shared); });
}

Status FakeEventBus::PublishNow(SharedEvent shared) {
  CSIM_CHECK(shared != nullptr, "an event to publish");
  const Event& event = *shared;
  if (event.id.empty()) return Status{Code::kInvalidArgument, "event without id"};
  if (event.topic.empty()) return Status{Code::kInvalidArgument, "event without topic"};
  CSIM_CHECK(published_.size() < kPublishedMax, "kPublishedMax");
  const std::size_t queued_before = records_.size();
  accepted_ids_.insert(event.id);
  if (!HasSubscribers(event.topic)) unrouted_count_++;
  EnqueueForSubscribers(shared, clock_.Now());
  published_.push_back(std::move(shared));
  // One delivery per subscriber of the topic, no more, no fewer.
  auto subscribers = subscribers_by_topic_.find(event.topic);
  CSIM_CHECK(records_.size() - queued_before ==
             (subscribers == subscribers_by_topic_.end() ? 0 : subscribers->second.size()));
  CSIM_CHECK(accepted_ids_.size() <= published_.size(), "an accepted id was published");
  return Status::Ok();
}

void FakeEventBus::Subscribe(const std::string& topic, const std::string& subscriber,
                             EventHandler handler) {
  CSIM_CHECK(!topic.empty(), "subscription without topic");
  CSIM_CHECK(!subscriber.empty(), "subscription without subscriber");
  CSIM_CHECK(static_cast<bool>(handler), "subscription without handler");
  auto [it, inserted] = handlers_.insert_or_assign({topic, subscriber}, std::move(handler));
  if (inserted) subscribers_by_topic_[topic].push_back(subscriber);
  CSIM_CHECK(handlers_.size() <= kSubscriptionsMax, "kSubscriptionsMax");
  CSIM_CHECK(subscribers_by_topic_.size() <= handlers_.size(), "every topic has a handler");
}

// ---- Driving ----

std::optional<Delivery> FakeEventBus::NextDue(TimeUs now) {
  if (queued_.empty() || queued_.begin()->first.first > now) return std::nullopt;
  Delivery delivery = std::move(queued_.begin()->second);
  queued_.erase(queued_.begin());
  CSIM_CHECK(!in_flight_.contains(delivery.id), "a delivery is queued or in flight, not both");
  CSIM_CHECK(delivery.deliver_at <= now, "a delivery is handed out once due");
  in_flight_.emplace(delivery.id, delivery);
  CSIM_CHECK(!RecordOf(delivery.id).acked, "an acknowledged delivery is never handed out");
  return delivery;
}

std::optional<TimeUs> FakeEventBus::NextDueTime() const {
  if (queued_.empty()) return std::nullopt;
  return queued_.begin()->first.first;
}

const EventHandler& FakeEventBus::Handler(const Delivery& delivery) const {
  auto it = handlers_.find({delivery.topic, delivery.subscriber});
  CSIM_CHECK(it != handlers_.end(), "a delivery without its subscription");
  return it->second;
}

void FakeEventBus::Ack(std::int64_t delivery_id) {
  const std::size_t erased = in_flight_.erase(delivery_id);
  CSIM_CHECK(erased == 1, "Ack of a delivery not in flight");
  DeliveryRecord& record = RecordOf(delivery_id);
  CSIM_CHECK(!record.acked, "a delivery is acknowledged once");
  record.acked = true;
}

void FakeEventBus::Nack(std::int64_t delivery_id, TimeUs retry_at) {
  auto it = in_flight_.find(delivery_id);
  CSIM_CHECK(it != in_flight_.end(), "Nack of a delivery not in flight");
  Delivery delivery = std::move(it->second);
  in_flight_.erase(it);
  CSIM_CHECK(retry_at >= clock_.Now(), "a redelivery is not due in the past");
  delivery.attempts++;
  delivery.deliver_at = retry_at;
  DeliveryRecord& record = RecordOf(delivery.id);
  record.nacks++;
  CSIM_CHECK(record.nacks == delivery.attempts, "the record counts every Nack");
  const bool inserted =
      queued_.emplace(QueueKey{retry_at, delivery.id}, std::move(delivery)).second;
  CSIM_CHECK(inserted, "delivery ids are unique");
}

void FakeEventBus::DeliverAgain(const Event& event, TimeUs at) {
  DeliverAgain(std::make_shared<const Event>(event), at);
}

void FakeEventBus::DeliverAgain(SharedEvent event, TimeUs at) {
  CSIM_CHECK(event != nullptr && !event->id.empty());
  CSIM_CHECK(!event->topic.empty());
  const std::size_t queued_before = records_.size();
  EnqueueForSubscribers(event, at);
  CSIM_CHECK(records_.size() >= queued_before, "a copy adds deliveries, never removes any");
}

std::size_t FakeEventBus::RequeueInFlight(const std::string& subscriber, TimeUs retry_at) {
  std::vector<std::int64_t> ids;
  for (const auto& [id, delivery] : in_flight_) {
    if (delivery.subscriber == subscriber) ids.push_back(id);
  }
  for (std::int64_t id : ids) Nack(id, retry_at);
  CSIM_CHECK(ids.size() <= PendingCount());
  return ids.size();
}

// ---- Truth ----

std::vector<FakeEventBus::SubscriptionKey> FakeEventBus::Subscriptions() const {
  std::vector<SubscriptionKey> keys;
  keys.reserve(handlers_.size());
  for (const auto& [key, handler] : handlers_) keys.push_back(key);
  return keys;
}

bool FakeEventBus::HasSubscribers(const std::string& topic) const {
  return subscribers_by_topic_.contains(topic);
}

std::vector<std::string> FakeEventBus::SubscribedTopics() const {
  std::vector<std::string> topics;
  topics.reserve(subscribers_by_topic_.size());
  for (const auto& [topic, subscribers] : subscribers_by_topic_) topics.push_back(topic);
  return topics;
}

std::int64_t FakeEventBus::DeliveryCount(const std::string& subscriber,
                                         const std::string& event_id) const {
  // A map of (subscriber, event id) kept for every delivery held a node and two strings each, the
  // bus's largest record, for this test-only question.
  std::int64_t count = 0;
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const DeliveryRecord& record = records_[i];
    if (record.subscriber != subscriber || record.event_id() != event_id) continue;
    const auto id = static_cast<std::int64_t>(i) + 1;
    count += record.nacks + ((record.acked || in_flight_.contains(id)) ? 1 : 0);
  }
  CSIM_CHECK(count >= 0, "a count of hand-outs");
  return count;
}

// ---- Queue ----

DeliveryRecord& FakeEventBus::RecordOf(std::int64_t delivery_id) {
  CSIM_CHECK(delivery_id >= 1 && delivery_id <= static_cast<std::int64_t>(records_.size()),
             "a delivery the bus queued");
  return records_[static_cast<std::size_t>(delivery_id - 1)];
}

void FakeEventBus::EnqueueForSubscribers(const SharedEvent& event, TimeUs at) {
  auto it = subscribers_by_topic_.find(event->topic);
  if (it == subscribers_by_topic_.end()) return;
  for (const std::string& subscriber : it->second) {
    Delivery delivery;
    delivery.id = ++last_delivery_id_;
    delivery.subscriber = subscriber;
    delivery.topic = event->topic;
    delivery.event = event;
    delivery.deliver_at = at;
    Enqueue(std::move(delivery));
  }
}

void FakeEventBus::Enqueue(Delivery delivery) {
  CSIM_CHECK(PendingCount() < kQueuedDeliveriesMax, "kQueuedDeliveriesMax");
  CSIM_CHECK(delivery.attempts == 0, "a new delivery has no attempts");
  CSIM_CHECK(delivery.event != nullptr, "a delivery carries an event");
  CSIM_CHECK(delivery.id == static_cast<std::int64_t>(records_.size()) + 1,
             "delivery ids are dense, in the order queued");
  CSIM_CHECK(records_.size() < kDeliveriesRecordedMax, "kDeliveriesRecordedMax");
  records_.push_back(DeliveryRecord{delivery.subscriber, delivery.event, 0, false});
  const QueueKey key{delivery.deliver_at, delivery.id};
  const bool inserted = queued_.emplace(key, std::move(delivery)).second;
  CSIM_CHECK(inserted, "delivery ids are unique");
}

}  // namespace csim::fakes
