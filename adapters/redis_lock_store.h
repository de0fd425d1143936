#pragma once
// RedisLockStore: the LockStore port on Redis. TryAcquire is SET NX PX, Put is SET PX, Get is GET,
// Release is a compare-and-delete Lua script (atomic on the server). TTLs are Redis' own (real
// time, millisecond resolution: a TTL is rounded up to the next whole millisecond).

#include <memory>
#include <string>

#include "core/ports/locks.h"

namespace csim::adapters {

class RedisConnection;

class RedisLockStore final : public LockStore {
 public:
  static constexpr DurationUs kTtlMaxUs = 365 * kDayUs;  // as the fake

  // Connects to `url` (redis://host:port[/db]); every key is stored under `key_prefix`.
  // kInvalidArgument for a bad URL, kUnavailable naming the server if it cannot be reached.
  static Result<std::unique_ptr<RedisLockStore>> Open(const std::string& url,
                                                      std::string key_prefix);
  ~RedisLockStore() override;

  // kInvalidArgument for an empty key or ttl_us outside (0, kTtlMaxUs], as the fake.
  Task<Result<bool>> TryAcquire(const std::string& key, const std::string& value,
                                DurationUs ttl_us) override;
  Task<Status> Put(const std::string& key, const std::string& value, DurationUs ttl_us) override;
  Task<Result<std::optional<std::string>>> Get(const std::string& key) override;
  // Ok whether or not it deleted.
  Task<Status> Release(const std::string& key, const std::string& value) override;

 private:
  RedisLockStore(std::unique_ptr<RedisConnection> connection, std::string key_prefix);
  Result<bool> TryAcquireNow(const std::string& key, const std::string& value, DurationUs ttl_us);
  Status PutNow(const std::string& key, const std::string& value, DurationUs ttl_us);
  Result<std::optional<std::string>> GetNow(const std::string& key);
  Status ReleaseNow(const std::string& key, const std::string& value);

  std::unique_ptr<RedisConnection> connection_;
  std::string key_prefix_;
};

}  // namespace csim::adapters
