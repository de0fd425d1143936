#pragma once
// RedisEventBus: the EventBus port on Redis Streams, as a Dapr pubsub-redis component uses them.
// A topic is the stream <prefix>stream:<topic>; a subscriber is a consumer group on it, created at
// the stream's end when it first subscribes ("every later event"). Delivery is at least once: an
// entry is acked (XACK) only when the handler answers Ok; an entry not acked stays pending and is
// claimed again (XAUTOCLAIM) once it has been idle for redeliver_after_us, by this consumer or by
// another one after a crash. The bus delivers only when its owner calls PollOnce (the worker loop).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ports/event_bus.h"

struct redisReply;

namespace csim::adapters {

class RedisConnection;

struct RedisBusOptions {
  std::string key_prefix = "csim:";
  std::string consumer = "worker-1";  // this process' name inside every group
  DurationUs redeliver_after_us = kSecondUs;
  std::int32_t batch_max = 50;                 // entries per subscription per poll, each kind
  std::int64_t stream_length_max = 1'000'000;  // approximate trim of every stream (XADD MAXLEN ~)
};

// The entry id and Event of one stream entry ([id, [field, value, ...]]) as Publish wrote it, or
// nullopt if malformed.
std::optional<std::pair<std::string, Event>> DecodeStreamEntry(const redisReply& entry);

class RedisEventBus final : public EventBus {
 public:
  static constexpr std::size_t kSubscriptionsMax = 1'000;

  // Connects to `url`. kInvalidArgument for a bad URL or options, kUnavailable naming the server.
  static Result<std::unique_ptr<RedisEventBus>> Open(const std::string& url,
                                                     RedisBusOptions options);
  ~RedisEventBus() override;

  // XADD. kInvalidArgument without id or topic (as the fake); kUnavailable if nothing was sent,
  // kTimeout if the answer was lost.
  Task<Status> Publish(const Event& event) override;
  // Creates the group (at the stream's end) if it does not exist; a known (topic, subscriber)
  // keeps its group, so what was pending for it comes back to the new handler. A group that
  // cannot be created now (server down) is created by the next PollOnce.
  void Subscribe(const std::string& topic, const std::string& subscriber,
                 EventHandler handler) override;

  // For every subscription in subscription order: the entries idle for redeliver_after_us
  // without an ack, then new entries, at most batch_max of each; runs the handler on each and
  // acks it on Ok. Returns how many deliveries reached a handler, or the first failure of Redis.
  Result<std::int64_t> PollOnce();
  // Entries that could not be decoded (acked and dropped, counted here).
  std::int64_t MalformedCount() const { return malformed_count_; }

 private:
  struct Subscription {
    std::string topic;
    std::string subscriber;
    EventHandler handler;
    bool group_ready = false;
  };

  RedisEventBus(std::unique_ptr<RedisConnection> connection, RedisBusOptions options);
  Status PublishNow(const Event& event);
  Status EnsureGroup(Subscription& subscription);
  Result<std::int64_t> PollSubscription(Subscription& subscription);
  Result<std::int64_t> Deliver(Subscription& subscription, const redisReply& entries);
  std::string StreamKey(const std::string& topic) const;

  std::unique_ptr<RedisConnection> connection_;
  RedisBusOptions options_;
  std::vector<Subscription> subscriptions_;
  std::int64_t malformed_count_ = 0;
};

}  // namespace csim::adapters
