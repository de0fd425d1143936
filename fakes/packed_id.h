#pragma once
// PackedId: a row's id as the key of an ordered index, with its first 16 bytes packed big-endian
// into two integers. It orders exactly as the id's std::string_view does (bytes compared unsigned,
// a prefix first), so an index keyed by it keeps the id order the workers' queries read. A search
// of a tree keyed by the bare view compared the ids' characters, a cache miss per level once a
// world of 20000 ids outgrows the caches; with the packed words in the node, ids that differ in
// their first 16 bytes (every order and cart id up to 99,999 customers) are told apart there.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/check.h"

namespace csim::fakes {

struct PackedId {
  static constexpr std::size_t kPackedBytes = 16;

  explicit PackedId(std::string_view id_) : high(Pack(id_, 0)), low(Pack(id_, 8)), id(id_) {}

  friend bool operator<(const PackedId& a, const PackedId& b) {
    if (a.high != b.high) return a.high < b.high;
    if (a.low != b.low) return a.low < b.low;
    // Equal packed bytes: two ids within 16 bytes are then equal up to the shorter one's end and
    // zero past it, so the shorter comes first (as the views order); longer ids compare in full.
    if (a.id.size() <= kPackedBytes && b.id.size() <= kPackedBytes) {
      return a.id.size() < b.id.size();
    }
    return a.id < b.id;
  }

  std::uint64_t high;  // bytes 0..7, the first the most significant; zero past the id's end
  std::uint64_t low;   // bytes 8..15, the same
  std::string_view id;

 private:
  static std::uint64_t Pack(std::string_view id_, std::size_t from) {
    std::uint64_t packed = 0;
    for (std::size_t i = from; i < from + 8; ++i) {
      const auto byte = i < id_.size() ? static_cast<unsigned char>(id_[i]) : 0u;
      packed = (packed << 8) | byte;
    }
    CSIM_CHECK(id_.size() > from || packed == 0, "zero past the id's end");
    return packed;
  }
};

}  // namespace csim::fakes
