#pragma once
// FakeLockStore: keys with a value and a TTL (the Redis role). A key whose TTL lapsed behaves as
// absent; lapsed keys are dropped lazily.

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/locks.h"

namespace csim::fakes {

struct LockEntry {
  std::string value;
  TimeUs expires_at = 0;  // live while now < expires_at
  bool operator==(const LockEntry&) const = default;
};

// One holding of a key that TryAcquire granted, from its acquisition until its holder released it
// or its TTL lapsed: what a compensation left to the TTL shows here (SAGA-SETTLES reads it).
struct LockHold {
  std::string key;
  std::string value;
  TimeUs acquired_at = 0;
  TimeUs expires_at = 0;
  // When its holder's Release reached the store, even after the TTL (a late holder still let go);
  // nullopt if it never did, or if someone else had retaken the key by then.
  std::optional<TimeUs> released_at;
  bool operator==(const LockHold&) const = default;
};

class FakeLockStore final : public LockStore {
 public:
  static constexpr std::size_t kKeysMax = 1'000'000;
  static constexpr DurationUs kTtlMaxUs = 365 * kDayUs;
  static constexpr std::size_t kHoldsMax = 10'000'000;

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
  // Truth: releases that found their own lock (same key and value) already lapsed: its holder was
  // still at work when the TTL ran out (a crashed holder never releases).
  std::int64_t ReleasedAfterLapseCount() const {
    return static_cast<std::int64_t>(released_after_lapse_.size());
  }
  // The keys of those releases, in the order they came.
  const std::vector<std::string>& ReleasedAfterLapse() const { return released_after_lapse_; }
  // Truth: acquisitions that took a key whose previous holder's TTL lapsed before any release (a
  // crashed, paused or slow holder).
  std::int64_t RetakenAfterLapseCount() const {
    return static_cast<std::int64_t>(retaken_after_lapse_.size());
  }
  // The keys of those acquisitions, in the order they came (a lock some code leaves to its TTL on
  // purpose shows here too: which keys matter is the reader's call).
  const std::vector<std::string>& RetakenAfterLapse() const { return retaken_after_lapse_; }
  // Truth: every holding TryAcquire granted, in the order granted.
  const std::vector<LockHold>& Holds() const { return holds_; }

 private:
  Result<bool> TryAcquireNow(const std::string& key, const std::string& value, DurationUs ttl_us);
  Status PutNow(const std::string& key, const std::string& value, DurationUs ttl_us);
  Status ReleaseNow(const std::string& key, const std::string& value);
  static Status CheckArguments(const std::string& key, DurationUs ttl_us);
  void Store(const std::string& key, const std::string& value, DurationUs ttl_us);
  void DropLapsed(TimeUs now);

  const Clock& clock_;
  // May hold lapsed keys until DropLapsed. Hash maps, looked up by key: nothing reads their order
  // (LiveKeys sorts what it returns), and a search of a big std::map misses the cache at each
  // level.
  std::unordered_map<std::string, LockEntry> entries_;
  std::int64_t acquired_count_ = 0;
  std::int64_t contended_count_ = 0;
  std::vector<std::string> released_after_lapse_;
  std::vector<std::string> retaken_after_lapse_;
  std::vector<LockHold> holds_;
  std::unordered_map<std::string, std::size_t>
      current_hold_;  // key -> its latest holding in holds_
};

}  // namespace csim::fakes
