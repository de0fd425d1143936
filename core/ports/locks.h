#pragma once
// Locks and idempotency keys with a TTL (the Redis role: SET NX PX, GET, DEL-if-owner).

#include <optional>
#include <string>

#include "core/status.h"
#include "core/task.h"
#include "core/time.h"

namespace csim {

class LockStore {
 public:
  virtual ~LockStore() = default;
  // Sets `key` to `value` for `ttl_us` only if it is absent or lapsed. Ok(true) if set,
  // Ok(false) if someone holds it.
  virtual Task<Result<bool>> TryAcquire(const std::string& key, const std::string& value,
                                        DurationUs ttl_us) = 0;
  // Sets `key` to `value` for `ttl_us`, whoever held it.
  virtual Task<Status> Put(const std::string& key, const std::string& value, DurationUs ttl_us) = 0;
  // The live value of `key`, or nullopt if absent or lapsed.
  virtual Task<Result<std::optional<std::string>>> Get(const std::string& key) = 0;
  // Deletes `key` if it still holds `value` (so a lapsed-and-retaken lock is not stolen).
  virtual Task<Status> Release(const std::string& key, const std::string& value) = 0;
};

}  // namespace csim
