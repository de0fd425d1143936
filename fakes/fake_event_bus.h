#pragma once
// FakeEventBus: at-least-once pub/sub driven by the simulator. Publish records the event and queues
// one Delivery per subscription of its topic (in subscription order); the simulator takes due
// deliveries with NextDue, runs Handler(delivery) and then Acks, or Nacks with a retry time. An
// event whose topic has no subscriber is recorded and delivered to nobody (as Dapr drops it),
// which the topology audit reads from the truth views.
//
// Subscribe with a (topic, subscriber) pair already known replaces its handler: a worker that
// restarts after a crash subscribes again and must receive the deliveries still queued for it.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/event_bus.h"
#include "fakes/flat_string_map.h"

namespace csim::fakes {

// An accepted event, immutable and shared: the bus's record of it, each of its deliveries and each
// redelivered copy hold this one copy (an event, a map of strings, was the run's most copied
// value: once per subscriber, once more in flight, once per hand-out).
using SharedEvent = std::shared_ptr<const Event>;

struct Delivery {
  std::int64_t id = 0;  // 1, 2, ... in the order deliveries were queued
  std::string subscriber;
  std::string topic;
  SharedEvent event;          // never null
  std::int32_t attempts = 0;  // Nacks so far
  TimeUs deliver_at = 0;
  bool operator==(const Delivery&) const = default;
};

// What became of one queued delivery, as the bus saw it (EVENT-SETTLES reads these): the event,
// the subscriber, how often the subscriber refused it (Nack) and whether it was acknowledged.
struct DeliveryRecord {
  std::string subscriber;
  SharedEvent event;  // never null
  std::int32_t nacks = 0;
  bool acked = false;

  const std::string& topic() const { return event->topic; }
  const std::string& event_id() const { return event->id; }
};

class FakeEventBus final : public EventBus {
 public:
  using SubscriptionKey = std::pair<std::string, std::string>;  // (topic, subscriber)

  static constexpr std::size_t kQueuedDeliveriesMax = 1'000'000;  // queued + in flight
  static constexpr std::size_t kPublishedMax = 4'000'000;
  static constexpr std::size_t kDeliveriesRecordedMax =
      16'000'000;  // ever queued, redeliveries too
  static constexpr std::size_t kSubscriptionsMax = 1'000;

  explicit FakeEventBus(const Clock& clock) : clock_(clock) {}

  // Records `event` and queues its deliveries, due now. kInvalidArgument without id or topic.
  Task<Status> Publish(const Event& event) override;
  void Subscribe(const std::string& topic, const std::string& subscriber,
                 EventHandler handler) override;

  // ---- Driving (the simulator) ----
  // The queued delivery with the smallest (deliver_at, id) if deliver_at <= now, now in flight.
  std::optional<Delivery> NextDue(TimeUs now);
  // When the next queued delivery is due; nullopt if none is queued.
  std::optional<TimeUs> NextDueTime() const;
  // The handler of the delivery's subscription. The reference stays valid until that
  // subscription is replaced by another Subscribe.
  const EventHandler& Handler(const Delivery& delivery) const;
  // Done with an in-flight delivery. REQUIRES: in flight.
  void Ack(std::int64_t delivery_id);
  // Queues an in-flight delivery again at `retry_at`, attempts + 1. REQUIRES: in flight.
  void Nack(std::int64_t delivery_id, TimeUs retry_at);
  // Queues another copy of `event` for every subscriber of its topic at `at` (a duplicated
  // webhook or redelivery); not recorded as published again.
  void DeliverAgain(const Event& event, TimeUs at);
  // The same, sharing the event a delivery carried instead of copying it.
  void DeliverAgain(SharedEvent event, TimeUs at);
  // Queues again, at `retry_at`, every in-flight delivery of `subscriber` (its process crashed
  // and will never Ack or Nack them: at-least-once means they come back). Returns how many.
  std::size_t RequeueInFlight(const std::string& subscriber, TimeUs retry_at);

  // ---- Truth ----
  // A view of `const Event&` over shared copies: what std::views::transform would give, which
  // clang++ 14 cannot compile with libstdc++ 12.
  class EventsView {
   public:
    class Iterator {
     public:
      explicit Iterator(std::vector<SharedEvent>::const_iterator at) : at_(at) {}
      const Event& operator*() const { return **at_; }
      Iterator& operator++() {
        ++at_;
        return *this;
      }
      bool operator==(const Iterator&) const = default;

     private:
      std::vector<SharedEvent>::const_iterator at_;
    };
    explicit EventsView(const std::vector<SharedEvent>& events) : events_(events) {}
    Iterator begin() const { return Iterator{events_.begin()}; }
    Iterator end() const { return Iterator{events_.end()}; }
    std::size_t size() const { return events_.size(); }
    const Event& operator[](std::size_t i) const { return *events_.at(i); }

   private:
    const std::vector<SharedEvent>& events_;
  };
  // Every event the bus accepted, in the order it accepted them (a publish that failed before
  // the bus is not here; one that timed out after it is).
  EventsView Published() const { return EventsView{published_}; }
  // Whether the bus accepted an event with this id (at least once).
  bool Accepted(const std::string& event_id) const { return accepted_ids_.contains(event_id); }
  // Every delivery ever queued, with its fate so far: delivery id i at index i - 1.
  const std::vector<DeliveryRecord>& Deliveries() const { return records_; }
  // Every (topic, subscriber), by key.
  std::vector<SubscriptionKey> Subscriptions() const;
  bool HasSubscribers(const std::string& topic) const;
  std::vector<std::string> SubscribedTopics() const;  // sorted, each once
  std::size_t QueuedCount() const { return queued_.size(); }
  std::size_t InFlightCount() const { return in_flight_.size(); }
  std::size_t PendingCount() const { return queued_.size() + in_flight_.size(); }
  std::int64_t UnroutedCount() const { return unrouted_count_; }  // published, no subscriber
  // Times NextDue handed event `event_id` to `subscriber`, from the records (each hand-out ended
  // in a Nack, an Ack, or is still in flight). A scan: for tests, not for every event.
  std::int64_t DeliveryCount(const std::string& subscriber, const std::string& event_id) const;

 private:
  using QueueKey = std::pair<TimeUs, std::int64_t>;  // (deliver_at, id)
  Status PublishNow(SharedEvent event);
  void EnqueueForSubscribers(const SharedEvent& event, TimeUs at);
  void Enqueue(Delivery delivery);
  DeliveryRecord& RecordOf(std::int64_t delivery_id);

  const Clock& clock_;
  std::map<SubscriptionKey, EventHandler> handlers_;
  std::map<std::string, std::vector<std::string>> subscribers_by_topic_;  // subscription order
  std::map<QueueKey, Delivery> queued_;
  std::map<std::int64_t, Delivery> in_flight_;
  std::vector<SharedEvent> published_;
  // Only asked whether it holds an id, never iterated: a hash set, since a search of a std::set of
  // every event id misses the cache at each level of a deep tree.
  FlatStringSet accepted_ids_;
  // Every delivery ever queued, by id - 1 (ids are dense): a vector, not a map, so a record
  // costs no node and is found without a search.
  std::vector<DeliveryRecord> records_;
  std::int64_t last_delivery_id_ = 0;
  std::int64_t unrouted_count_ = 0;
};

}  // namespace csim::fakes
