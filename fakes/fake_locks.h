#pragma once
// FakeLockStore: keys with a value and a TTL (the Redis role). A key whose TTL lapsed behaves as
// absent; lapsed keys are dropped lazily.

#include <map>
#include <optional>
#include <string>

#include "core/ports/clock.h"
#include "core/ports/locks.h"

namespace csim::fakes {

struct LockEntry {
  std::string value;
  TimeUs expires_at = 0;  // live while now < expires_at
  bool operator==(const LockEntry&) const = default;
};

class FakeLockStore final : public LockStore {
 public:
  static constexpr std::size_t kKeysMax = 1'000'000;
  static constexpr DurationUs kTtlMaxUs = 365 * kDayUs;

  explicit FakeLockStore(const Clock& clock) : clock_(clock) {}

  // kInvalidArgument for an empty key or ttl_us outside (0, kTtlMaxUs].
  Task<Result<bool>> TryAcquire(const std::string& key, const std::string& value,
                                DurationUs ttl_us) override;
  Task<Status> Put(const std::string& key, const std::string& value, DurationUs ttl_us) override;
  Task<Result<std::optional<std::string>>> Get(const std::string& key) override;
  // Ok whether or not it deleted (a lapsed-and-retaken key is left to its new holder).
  Task<Status> Release(const std::string& key, const std::string& value) override;

  // Truth: the keys live at `now`, by key.
  std::map<std::string, LockEntry> LiveKeys(TimeUs now) const;
  std::optional<LockEntry> LiveEntry(const std::string& key, TimeUs now) const;
  std::int64_t AcquiredCount() const { return acquired_count_; }
  std::int64_t ContendedCount() const { return contended_count_; }

 private:
  Result<bool> TryAcquireNow(const std::string& key, const std::string& value, DurationUs ttl_us);
  Status PutNow(const std::string& key, const std::string& value, DurationUs ttl_us);
  Status ReleaseNow(const std::string& key, const std::string& value);
  static Status CheckArguments(const std::string& key, DurationUs ttl_us);
  void Store(const std::string& key, const std::string& value, DurationUs ttl_us);
  void DropLapsed(TimeUs now);

  const Clock& clock_;
  std::map<std::string, LockEntry> entries_;  // may hold lapsed keys until DropLapsed
  std::int64_t acquired_count_ = 0;
  std::int64_t contended_count_ = 0;
};

}  // namespace csim::fakes
