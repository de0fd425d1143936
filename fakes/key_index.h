#pragma once
// KeyIndex: a hash index by key over the rows of a std::map keyed by strings (a fake's table). The
// map keeps the rows, their order and every scan; the index only answers "the row with this key"
// in about one cache miss, where a search of a std::map of 20000 ids visits about 15 nodes and
// their key strings, each a miss once the world outgrows the caches. Nothing iterates the index,
// so its (hash) order can reach no trace and no decision.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/check.h"

namespace csim::fakes {

template <class Map>
class KeyIndex {
 public:
  using Entry = typename Map::value_type;  // std::pair<const std::string, Row>

  // Indexes `entry`, a row of the map (its key string and node are stable while it is in the map).
  // REQUIRES: no row with that key is indexed.
  void Add(Entry& entry) {
    const bool added = rows_.emplace(std::string_view{entry.first}, &entry).second;
    CSIM_CHECK(added, "a key is indexed once");
    CSIM_CHECK(rows_.size() <= kRowsMax, "KeyIndex::kRowsMax");
  }
  // The row with key `key`, or nullptr.
  Entry* Find(std::string_view key) const {
    auto it = rows_.find(key);
    if (it == rows_.end()) return nullptr;
    CSIM_CHECK(it->second->first == key, "an index entry names its own row");
    return it->second;
  }
  // Forgets every row (the map was emptied; the keys would dangle).
  void Clear() { rows_.clear(); }
  std::size_t size() const { return rows_.size(); }

  // Rows indexed at most: more than any fake's own limit on its table.
  static constexpr std::size_t kRowsMax = 100'000'000;

 private:
  std::unordered_map<std::string_view, Entry*> rows_;
};

}  // namespace csim::fakes
