#include "adapters/redis_lock_store.h"

#include <hiredis/hiredis.h>

#include "adapters/blocking.h"
#include "adapters/redis_connection.h"
#include "core/check.h"

namespace csim::adapters {
namespace {

// Deletes KEYS[1] only while it still holds ARGV[1]: a holder whose TTL lapsed and whose key was
// taken by someone else must not delete the new holder's key. One script, so no other client can
// run between the GET and the DEL.
constexpr const char* kCompareAndDelete =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end";

Status CheckArguments(const std::string& key, DurationUs ttl_us) {
  if (key.empty()) return Status{Code::kInvalidArgument, "empty key"};
  if (ttl_us <= 0) return Status{Code::kInvalidArgument, "ttl must be positive"};
  if (ttl_us > RedisLockStore::kTtlMaxUs) return Status{Code::kInvalidArgument, "ttl too long"};
  return Status::Ok();
}

// PX takes whole milliseconds; rounding up never frees a key before the TTL asked for.
std::string TtlMs(DurationUs ttl_us) {
  CSIM_CHECK(ttl_us > 0);
  return std::to_string((ttl_us + kMillisecondUs - 1) / kMillisecondUs);
}

}  // namespace

Result<std::unique_ptr<RedisLockStore>> RedisLockStore::Open(const std::string& url,
                                                             std::string key_prefix) {
  Result<std::unique_ptr<RedisConnection>> connection = RedisConnection::Open(url);
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<RedisLockStore>{
      new RedisLockStore(std::move(connection).value(), std::move(key_prefix))};
}

RedisLockStore::RedisLockStore(std::unique_ptr<RedisConnection> connection, std::string key_prefix)
    : connection_(std::move(connection)), key_prefix_(std::move(key_prefix)) {
  CSIM_CHECK(connection_ != nullptr);
}

RedisLockStore::~RedisLockStore() = default;

Task<Result<bool>> RedisLockStore::TryAcquire(const std::string& key, const std::string& value,
                                              DurationUs ttl_us) {
  return Blocking<Result<bool>>(
      [this, key, value, ttl_us] { return TryAcquireNow(key, value, ttl_us); });
}

Task<Status> RedisLockStore::Put(const std::string& key, const std::string& value,
                                 DurationUs ttl_us) {
  return Blocking<Status>([this, key, value, ttl_us] { return PutNow(key, value, ttl_us); });
}

Task<Result<std::optional<std::string>>> RedisLockStore::Get(const std::string& key) {
  return Blocking<Result<std::optional<std::string>>>([this, key] { return GetNow(key); });
}

Task<Status> RedisLockStore::Release(const std::string& key, const std::string& value) {
  return Blocking<Status>([this, key, value] { return ReleaseNow(key, value); });
}

Result<bool> RedisLockStore::TryAcquireNow(const std::string& key, const std::string& value,
                                           DurationUs ttl_us) {
  if (Status status = CheckArguments(key, ttl_us); !status.ok()) return status;
  Result<RedisReplyPtr> reply =
      connection_->Command({"SET", key_prefix_ + key, value, "NX", "PX", TtlMs(ttl_us)});
  if (!reply.ok()) return reply.status();
  // OK when set; nil when the key is held (NX).
  if (reply.value()->type == REDIS_REPLY_NIL) return false;
  CSIM_CHECK(reply.value()->type == REDIS_REPLY_STATUS, "SET NX answers OK or nil");
  return true;
}

Status RedisLockStore::PutNow(const std::string& key, const std::string& value, DurationUs ttl_us) {
  if (Status status = CheckArguments(key, ttl_us); !status.ok()) return status;
  Result<RedisReplyPtr> reply =
      connection_->Command({"SET", key_prefix_ + key, value, "PX", TtlMs(ttl_us)});
  if (!reply.ok()) return reply.status();
  CSIM_CHECK(reply.value()->type == REDIS_REPLY_STATUS, "SET answers OK");
  return Status::Ok();
}

Result<std::optional<std::string>> RedisLockStore::GetNow(const std::string& key) {
  Result<RedisReplyPtr> reply = connection_->Command({"GET", key_prefix_ + key});
  if (!reply.ok()) return reply.status();
  const redisReply& answer = *reply.value();
  if (answer.type == REDIS_REPLY_NIL) return std::optional<std::string>{};
  CSIM_CHECK(answer.type == REDIS_REPLY_STRING, "GET answers a string or nil");
  return std::optional<std::string>{std::string{answer.str, answer.len}};
}

Status RedisLockStore::ReleaseNow(const std::string& key, const std::string& value) {
  Result<RedisReplyPtr> reply =
      connection_->Command({"EVAL", kCompareAndDelete, "1", key_prefix_ + key, value});
  if (!reply.ok()) return reply.status();
  CSIM_CHECK(reply.value()->type == REDIS_REPLY_INTEGER, "the script answers 0 or 1");
  CSIM_CHECK(reply.value()->integer == 0 || reply.value()->integer == 1);
  return Status::Ok();
}

}  // namespace csim::adapters
