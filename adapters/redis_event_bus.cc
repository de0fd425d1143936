#include "adapters/redis_event_bus.h"

#include <hiredis/hiredis.h>

#include "adapters/blocking.h"
#include "adapters/redis_connection.h"
#include "core/check.h"

namespace csim::adapters {
namespace {

// An event field travels as its own stream field "f.<name>": binary safe, as Redis is (a JSON
// envelope could not carry bytes that are not UTF-8).
constexpr std::string_view kFieldPrefix = "f.";

std::string ReplyString(const redisReply& reply) {
  return std::string{reply.str, reply.len};
}

}  // namespace

std::optional<std::pair<std::string, Event>> DecodeStreamEntry(const redisReply& entry) {
  if (entry.type != REDIS_REPLY_ARRAY || entry.elements != 2) return std::nullopt;
  const redisReply& id = *entry.element[0];
  const redisReply& pairs = *entry.element[1];
  if (id.type != REDIS_REPLY_STRING || pairs.type != REDIS_REPLY_ARRAY) return std::nullopt;
  std::map<std::string, std::string> values;
  for (std::size_t i = 0; i + 1 < pairs.elements; i += 2) {
    if (pairs.element[i]->type != REDIS_REPLY_STRING) return std::nullopt;
    if (pairs.element[i + 1]->type != REDIS_REPLY_STRING) return std::nullopt;
    values[ReplyString(*pairs.element[i])] = ReplyString(*pairs.element[i + 1]);
  }
  if (!values.contains("id") || !values.contains("topic")) return std::nullopt;
  Event event{values["id"], values["topic"], values["subject"], {}};
  for (const auto& [name, value] : values) {
    if (name.starts_with(kFieldPrefix)) event.fields[name.substr(kFieldPrefix.size())] = value;
  }
  return std::pair{ReplyString(id), std::move(event)};
}

Result<std::unique_ptr<RedisEventBus>> RedisEventBus::Open(const std::string& url,
                                                           RedisBusOptions options) {
  if (options.consumer.empty()) return Status{Code::kInvalidArgument, "bus consumer name empty"};
  if (options.redeliver_after_us < kMillisecondUs) {
    return Status{Code::kInvalidArgument, "bus redelivery delay below 1 ms"};
  }
  if (options.batch_max <= 0 || options.stream_length_max <= 0) {
    return Status{Code::kInvalidArgument, "bus batch and stream bounds must be positive"};
  }
  Result<std::unique_ptr<RedisConnection>> connection = RedisConnection::Open(url);
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<RedisEventBus>{
      new RedisEventBus(std::move(connection).value(), std::move(options))};
}

RedisEventBus::RedisEventBus(std::unique_ptr<RedisConnection> connection, RedisBusOptions options)
    : connection_(std::move(connection)), options_(std::move(options)) {
  CSIM_CHECK(connection_ != nullptr);
}

RedisEventBus::~RedisEventBus() = default;

std::string RedisEventBus::StreamKey(const std::string& topic) const {
  return options_.key_prefix + "stream:" + topic;
}

Task<Status> RedisEventBus::Publish(const Event& event) {
  return Blocking<Status>([this, event] { return PublishNow(event); });
}

Status RedisEventBus::PublishNow(const Event& event) {
  if (event.id.empty()) return Status{Code::kInvalidArgument, "event without id"};
  if (event.topic.empty()) return Status{Code::kInvalidArgument, "event without topic"};
  // XADD <stream> MAXLEN ~ <bound> * id <id> topic <topic> subject <subject> f.<name> <value>...
  std::vector<std::string> command = {
      "XADD", StreamKey(event.topic), "MAXLEN", "~", std::to_string(options_.stream_length_max),
      "*"};
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, std::string>>{
           {"id", event.id}, {"topic", event.topic}, {"subject", event.subject}}) {
    command.push_back(name);
    command.push_back(value);
  }
  for (const auto& [name, value] : event.fields) {
    command.push_back(std::string{kFieldPrefix} + name);
    command.push_back(value);
  }
  Result<RedisReplyPtr> reply = connection_->Command(command);
  if (!reply.ok()) return reply.status();
  CSIM_CHECK(reply.value()->type == REDIS_REPLY_STRING, "XADD answers the entry id");
  return Status::Ok();
}

void RedisEventBus::Subscribe(const std::string& topic, const std::string& subscriber,
                              EventHandler handler) {
  CSIM_CHECK(!topic.empty(), "subscription without topic");
  CSIM_CHECK(!subscriber.empty(), "subscription without subscriber");
  CSIM_CHECK(static_cast<bool>(handler), "subscription without handler");
  for (Subscription& known : subscriptions_) {
    if (known.topic == topic && known.subscriber == subscriber) {
      known.handler = std::move(handler);
      return;
    }
  }
  CSIM_CHECK(subscriptions_.size() < kSubscriptionsMax, "kSubscriptionsMax");
  subscriptions_.push_back(Subscription{topic, subscriber, std::move(handler), false});
  // Best effort now, so that events published from here on reach the group; PollOnce retries.
  (void)EnsureGroup(subscriptions_.back());
}

Status RedisEventBus::EnsureGroup(Subscription& subscription) {
  if (subscription.group_ready) return Status::Ok();
  Result<RedisReplyPtr> reply =
      connection_->Command({"XGROUP", "CREATE", StreamKey(subscription.topic),
                            subscription.subscriber, "$", "MKSTREAM"});
  // BUSYGROUP: the group exists (a restart): it keeps its position and its pending entries.
  if (!reply.ok() && reply.status().message().find("BUSYGROUP") == std::string::npos) {
    return reply.status();
  }
  subscription.group_ready = true;
  return Status::Ok();
}

Result<std::int64_t> RedisEventBus::PollOnce() {
  std::int64_t delivered = 0;
  for (Subscription& subscription : subscriptions_) {
    Result<std::int64_t> count = PollSubscription(subscription);
    if (!count.ok()) return count.status();
    delivered += count.value();
  }
  CSIM_CHECK(delivered >= 0);
  return delivered;
}

Result<std::int64_t> RedisEventBus::PollSubscription(Subscription& subscription) {
  if (Status status = EnsureGroup(subscription); !status.ok()) return status;
  const std::string stream = StreamKey(subscription.topic);
  const std::string count = std::to_string(options_.batch_max);
  // 1. Entries handed out earlier and never acked (a handler error or a crashed consumer).
  Result<RedisReplyPtr> claimed = connection_->Command(
      {"XAUTOCLAIM", stream, subscription.subscriber, options_.consumer,
       std::to_string(options_.redeliver_after_us / kMillisecondUs), "0-0", "COUNT", count});
  if (!claimed.ok()) return claimed.status();
  CSIM_CHECK(claimed.value()->type == REDIS_REPLY_ARRAY && claimed.value()->elements >= 2,
             "XAUTOCLAIM answers [cursor, entries, ...]");
  Result<std::int64_t> redelivered = Deliver(subscription, *claimed.value()->element[1]);
  if (!redelivered.ok()) return redelivered.status();
  // 2. New entries.
  Result<RedisReplyPtr> fresh =
      connection_->Command({"XREADGROUP", "GROUP", subscription.subscriber, options_.consumer,
                            "COUNT", count, "STREAMS", stream, ">"});
  if (!fresh.ok()) return fresh.status();
  if (fresh.value()->type == REDIS_REPLY_NIL) return redelivered.value();
  // [[stream, entries]]
  CSIM_CHECK(fresh.value()->type == REDIS_REPLY_ARRAY && fresh.value()->elements == 1);
  const redisReply& stream_reply = *fresh.value()->element[0];
  CSIM_CHECK(stream_reply.type == REDIS_REPLY_ARRAY && stream_reply.elements == 2);
  Result<std::int64_t> delivered = Deliver(subscription, *stream_reply.element[1]);
  if (!delivered.ok()) return delivered.status();
  return redelivered.value() + delivered.value();
}

Result<std::int64_t> RedisEventBus::Deliver(Subscription& subscription, const redisReply& entries) {
  CSIM_CHECK(entries.type == REDIS_REPLY_ARRAY, "a list of stream entries");
  CSIM_CHECK(entries.elements <= static_cast<std::size_t>(options_.batch_max), "COUNT bound");
  // Copies: a handler that subscribes again may move the subscriptions.
  const std::string stream = StreamKey(subscription.topic);
  const std::string group = subscription.subscriber;
  const EventHandler handler = subscription.handler;
  std::int64_t delivered = 0;
  for (std::size_t i = 0; i < entries.elements; ++i) {
    const redisReply& entry = *entries.element[i];
    if (entry.type == REDIS_REPLY_NIL) continue;  // trimmed from the stream while pending
    if (entry.type != REDIS_REPLY_ARRAY || entry.elements < 1 ||
        entry.element[0]->type != REDIS_REPLY_STRING) {
      malformed_count_++;  // not even an id to ack
      continue;
    }
    std::optional<std::pair<std::string, Event>> decoded = DecodeStreamEntry(entry);
    bool ack = true;
    if (!decoded) {
      malformed_count_++;
    } else {
      delivered++;
      ack = RunBlocking(handler(decoded->second)).ok();
    }
    if (!ack) continue;  // stays pending: claimed again after redeliver_after_us
    Result<RedisReplyPtr> acked =
        connection_->Command({"XACK", stream, group, ReplyString(*entry.element[0])});
    if (!acked.ok()) return acked.status();
  }
  return delivered;
}

}  // namespace csim::adapters
