#include "fakes/fake_locks.h"

#include <iterator>

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

Task<Result<bool>> FakeLockStore::TryAcquire(const std::string& key, const std::string& value,
                                             DurationUs ttl_us) {
  return Deferred<Result<bool>>(
      [this, key, value, ttl_us] { return TryAcquireNow(key, value, ttl_us); });
}

Task<Status> FakeLockStore::Put(const std::string& key, const std::string& value,
                                DurationUs ttl_us) {
  return Deferred<Status>([this, key, value, ttl_us] { return PutNow(key, value, ttl_us); });
}

Task<Result<std::optional<std::string>>> FakeLockStore::Get(const std::string& key) {
  return Deferred<Result<std::optional<std::string>>>([this, key] {
    std::optional<LockEntry> entry = LiveEntry(key, clock_.Now());
    return Result<std::optional<std::string>>{entry ? std::optional<std::string>{entry->value}
                                                    : std::nullopt};
  });
}

Task<Status> FakeLockStore::Release(const std::string& key, const std::string& value) {
  return Deferred<Status>([this, key, value] { return ReleaseNow(key, value); });
}

Result<bool> FakeLockStore::TryAcquireNow(const std::string& key, const std::string& value,
                                          DurationUs ttl_us) {
  if (Status status = CheckArguments(key, ttl_us); !status.ok()) return status;
  const TimeUs now = clock_.Now();
  if (auto stored = entries_.find(key); stored != entries_.end()) {
    if (now < stored->second.expires_at) {
      contended_count_++;
      return false;
    }
    // Still stored yet not live: its holder never released it before the TTL ran out.
    retaken_after_lapse_.push_back(key);
  }
  Store(key, value, ttl_us);
  acquired_count_++;
  CSIM_CHECK(holds_.size() < kHoldsMax, "kHoldsMax holdings");
  current_hold_[key] = holds_.size();
  holds_.push_back(LockHold{key, value, now, now + ttl_us, std::nullopt});
  return true;
}

Status FakeLockStore::PutNow(const std::string& key, const std::string& value, DurationUs ttl_us) {
  if (Status status = CheckArguments(key, ttl_us); !status.ok()) return status;
  Store(key, value, ttl_us);
  current_hold_.erase(key);  // overwritten: a value stored, not a lock granted
  return Status::Ok();
}

Status FakeLockStore::ReleaseNow(const std::string& key, const std::string& value) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return Status::Ok();
  // Held under another value: a lapsed key retaken by someone else, theirs now.
  if (it->second.value != value) return Status::Ok();
  if (clock_.Now() >= it->second.expires_at) {
    // Its holder comes back after the TTL ran out; the key was absent meanwhile either way.
    released_after_lapse_.push_back(key);
  }
  if (auto hold = current_hold_.find(key); hold != current_hold_.end()) {
    LockHold& held = holds_.at(hold->second);
    CSIM_CHECK(held.value == value && !held.released_at, "the latest holding is the stored one");
    held.released_at = clock_.Now();
    current_hold_.erase(hold);
  }
  entries_.erase(it);
  return Status::Ok();
}

std::map<std::string, LockEntry> FakeLockStore::LiveKeys(TimeUs now) const {
  std::map<std::string, LockEntry> live;
  for (const auto& [key, entry] : entries_) {
    if (now < entry.expires_at) live.emplace_hint(live.end(), key, entry);
  }
  return live;
}

std::optional<LockEntry> FakeLockStore::LiveEntry(const std::string& key, TimeUs now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || now >= it->second.expires_at) return std::nullopt;
  return it->second;
}

Status FakeLockStore::CheckArguments(const std::string& key, DurationUs ttl_us) {
  if (key.empty()) return Status{Code::kInvalidArgument, "empty key"};
  if (ttl_us <= 0) return Status{Code::kInvalidArgument, "ttl must be positive"};
  if (ttl_us > kTtlMaxUs) return Status{Code::kInvalidArgument, "ttl too long"};
  return Status::Ok();
}

void FakeLockStore::Store(const std::string& key, const std::string& value, DurationUs ttl_us) {
  const TimeUs now = clock_.Now();
  if (entries_.size() >= kKeysMax) DropLapsed(now);
  LockEntry& entry = entries_[key];
  entry = LockEntry{value, now + ttl_us};
  CSIM_CHECK(entries_.size() <= kKeysMax, "kKeysMax live keys");
  CSIM_CHECK(now < entry.expires_at, "a key just stored is live");
}

void FakeLockStore::DropLapsed(TimeUs now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now >= it->second.expires_at ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace csim::fakes
