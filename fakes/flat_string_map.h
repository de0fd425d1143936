#pragma once
// FlatStringMap<V>: a hash map from strings to V that is only looked up, never iterated in an order
// that could reach a trace or a decision. The fakes' indices by id (reservations, authorizations,
// idempotency keys, accepted event ids) and the change tracker's indices were std::unordered_maps:
// a lookup there goes from the bucket to the node before the bucket's first, then to that node
// (three cache misses once the world outgrows the caches, each a step of perf's profile at 20000
// customers). Here the key (short ids fit std::string's own buffer), its hash and the value sit in
// one slot of an open-addressing table probed linearly: a lookup reads one slot, sometimes the
// next.
//
// Grown at half full, so probe runs stay short. Erase shifts the following run back (no
// tombstones), so a table whose keys come and go does not fill up with them. Slots move when the
// table grows or a key is erased: a pointer from Find or operator[] is good until the next insert
// or erase. ForEach visits in slot order, which depends on the hashes: a caller must sort what it
// collects (FakeOrderStore::ProcessedEventIds does).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"

namespace csim::fakes {

// A cheap hash of a short text: eight bytes at a time, each word multiplied into the state, the
// length folded in so that "a" and "a\0" differ. Only ever compared and masked, never stored in a
// result or a trace, so it may change freely.
inline std::uint64_t HashShortText(std::string_view text) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = text.size() * kMul;
  const char* p = text.data();
  std::size_t n = text.size();
  // Bounded: each pass takes eight bytes of the text.
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  if (n > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);
    h = (h ^ word) * kMul;
  }
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  return h ^ (h >> 32);
}

template <class V>
class FlatStringMap {
 public:
  // The value of `key`, or nullptr.
  V* Find(std::string_view key) {
    const std::size_t i = SlotOf(key, HashOf(key));
    return slots_.empty() || slots_[i].hash == kFree ? nullptr : &slots_[i].value;
  }
  const V* Find(std::string_view key) const { return const_cast<FlatStringMap*>(this)->Find(key); }
  bool contains(std::string_view key) const { return Find(key) != nullptr; }

  // The value of `key`, made (value-initialized) if there was none.
  V& operator[](std::string_view key) { return *Insert(key).first; }
  // Makes `key` with a value-initialized V if there was none; true if it was made.
  std::pair<V*, bool> Insert(std::string_view key) {
    const std::uint64_t hash = HashOf(key);
    if (!slots_.empty()) {
      const std::size_t i = SlotOf(key, hash);
      if (slots_[i].hash != kFree) return {&slots_[i].value, false};
    }
    CSIM_CHECK(size_ < kKeysMax, "FlatStringMap::kKeysMax");
    if (2 * (size_ + 1) > slots_.size()) Grow();
    const std::size_t i = SlotOf(key, hash);
    Slot& slot = slots_[i];
    slot.hash = hash;
    slot.key.assign(key.data(), key.size());
    slot.value = V{};
    ++size_;
    return {&slot.value, true};
  }

  // Removes `key`; true if it was there.
  bool Erase(std::string_view key) {
    if (slots_.empty()) return false;
    std::size_t hole = SlotOf(key, HashOf(key));
    if (slots_[hole].hash == kFree) return false;
    // Backward shift: move each later member of the run whose home is not between the hole and
    // itself into the hole, until a free slot ends the run. Bounded by the table's size.
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hole;
    for (std::size_t probed = 0;; ++probed) {
      CSIM_CHECK(probed < slots_.size(), "a free slot in a table at most half full");
      i = (i + 1) & mask;
      if (slots_[i].hash == kFree) break;
      const std::size_t home = slots_[i].hash & mask;
      // Stays if its home lies cyclically in (hole, i].
      const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (stays) continue;
      slots_[hole] = std::move(slots_[i]);
      hole = i;
    }
    slots_[hole].hash = kFree;
    slots_[hole].key.clear();
    slots_[hole].value = V{};
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void Clear() {
    slots_.clear();
    size_ = 0;
  }
  // Calls fn(key, value) for every key, in slot order (hash order: sort what you collect).
  template <class Fn>
  void ForEach(Fn fn) const {
    for (const Slot& slot : slots_) {
      if (slot.hash != kFree) fn(std::string_view(slot.key), slot.value);
    }
  }

  static constexpr std::size_t kKeysMax = 100'000'000;

 private:
  // 0 marks a free slot: a key whose hash is 0 is stored under 1 instead.
  static constexpr std::uint64_t kFree = 0;
  static std::uint64_t HashOf(std::string_view key) {
    const std::uint64_t hash = HashShortText(key);
    return hash == kFree ? 1 : hash;
  }
  // 40 bytes and the value (none for a set): a slot is 2 to 4 times the size of its share of the
  // keys, since the table is between a quarter and a half full.
  struct Slot {
    std::uint64_t hash = kFree;
    std::string key;
    [[no_unique_address]] V value{};
  };
  // The slot holding `key`, or the free slot where it would go. REQUIRES: a table not empty.
  std::size_t SlotOf(std::string_view key, std::uint64_t hash) const {
    if (slots_.empty()) return 0;
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash & mask;
    for (std::size_t probed = 0; slots_[i].hash != kFree; ++probed) {
      CSIM_CHECK(probed < slots_.size(), "a free slot in a table at most half full");
      if (slots_[i].hash == hash && slots_[i].key == key) return i;
      i = (i + 1) & mask;
    }
    return i;
  }
  // Doubles the table (16 slots at first) and moves every key to its place in the new one.
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 16 : 2 * old.size());
    const std::size_t mask = slots_.size() - 1;
    for (Slot& slot : old) {
      if (slot.hash == kFree) continue;
      std::size_t i = slot.hash & mask;
      for (std::size_t probed = 0; slots_[i].hash != kFree; ++probed) {
        CSIM_CHECK(probed < slots_.size(), "a free slot in a table at most half full");
        i = (i + 1) & mask;
      }
      slots_[i] = std::move(slot);
    }
  }

  std::vector<Slot> slots_;  // a power of two in size, or empty
  std::size_t size_ = 0;
};

// A set of strings, looked up only (see FlatStringMap).
class FlatStringSet {
 public:
  bool contains(std::string_view key) const { return map_.contains(key); }
  // True if `key` was not there before.
  bool insert(std::string_view key) { return map_.Insert(key).second; }
  bool erase(std::string_view key) { return map_.Erase(key); }
  std::size_t size() const { return map_.size(); }
  template <class Fn>
  void ForEach(Fn fn) const {
    map_.ForEach([&](std::string_view key, const Unit&) { fn(key); });
  }

 private:
  struct Unit {};
  FlatStringMap<Unit> map_;
};

}  // namespace csim::fakes
