#pragma once
// KeyIndex: a hash index by key over the rows of a std::map keyed by strings (a fake's table). The
// map keeps the rows, their order and every scan; the index only answers "the row with this key"
// in about one cache miss, where a search of a std::map of 20000 ids visits about 15 nodes and
// their key strings, each a miss once the world outgrows the caches. Nothing iterates the index,
// so its (hash) order can reach no trace and no decision.
//
// An open-addressing table of (hash, row) slots, probed linearly: a lookup reads one slot (the
// hash tells most others apart without reading their keys) and then the row itself, where a
// std::unordered_map went from its bucket to the node before the first of the bucket's, then to
// that node, then to the row (each a miss at 20000 customers). Rows are never removed one by one
// (the fakes keep every row), so no slot needs a tombstone.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"

namespace csim::fakes {

template <class Map>
class KeyIndex {
 public:
  using Entry = typename Map::value_type;  // std::pair<const std::string, Row>

  // Indexes `entry`, a row of the map (its key string and node are stable while it is in the map).
  // REQUIRES: no row with that key is indexed.
  void Add(Entry& entry) {
    CSIM_CHECK(size_ < kRowsMax, "KeyIndex::kRowsMax");
    // Grown at half full: probe runs stay short (a few slots on average).
    if (2 * (size_ + 1) > slots_.size()) Grow();
    const std::size_t hash = HashOf(entry.first);
    std::size_t i = hash & (slots_.size() - 1);
    for (std::size_t probed = 0; slots_[i].row != nullptr; ++probed) {
      CSIM_CHECK(probed < slots_.size(), "a free slot in a table at most half full");
      CSIM_CHECK(slots_[i].hash != hash || slots_[i].row->first != entry.first,
                 "a key is indexed once");
      i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = Slot{hash, &entry};
    ++size_;
  }
  // The row with key `key`, or nullptr.
  Entry* Find(std::string_view key) const {
    if (size_ == 0) return nullptr;
    const std::size_t hash = HashOf(key);
    std::size_t i = hash & (slots_.size() - 1);
    for (std::size_t probed = 0; slots_[i].row != nullptr; ++probed) {
      CSIM_CHECK(probed < slots_.size(), "a free slot in a table at most half full");
      if (slots_[i].hash == hash && slots_[i].row->first == key) return slots_[i].row;
      i = (i + 1) & (slots_.size() - 1);
    }
    return nullptr;
  }
  // Forgets every row (the map was emptied; the keys would dangle).
  void Clear() {
    slots_.clear();
    size_ = 0;
  }
  std::size_t size() const { return size_; }

  // Rows indexed at most: more than any fake's own limit on its table.
  static constexpr std::size_t kRowsMax = 100'000'000;

 private:
  struct Slot {
    std::size_t hash = 0;
    Entry* row = nullptr;  // null: a free slot
  };
  static std::size_t HashOf(std::string_view key) { return std::hash<std::string_view>{}(key); }
  // Doubles the table (16 slots at first) and puts every row back by its stored hash.
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : 2 * old.size(), Slot{});
    for (const Slot& slot : old) {
      if (slot.row == nullptr) continue;
      std::size_t i = slot.hash & (slots_.size() - 1);
      for (std::size_t probed = 0; slots_[i].row != nullptr; ++probed) {
        CSIM_CHECK(probed < slots_.size(), "a free slot in a table at most half full");
        i = (i + 1) & (slots_.size() - 1);
      }
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;  // a power of two in size, or empty
  std::size_t size_ = 0;
};

}  // namespace csim::fakes
