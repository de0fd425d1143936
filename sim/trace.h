#pragma once
// The trace: one record per simulation event (time, process, action, outcome, detail), kept in a
// compact binary form so recording costs a few nanoseconds, and hashed as it is recorded. The
// JSON-lines form is produced only when written out. Format of a line (stable; documented in
// README.md):
//   {"seq":12,"t_us":1500000,"process":"checkout-api","action":"warehouse.reserve",
//    "outcome":"ok","detail":"sku=S1 wh=W1 qty=2 -> res-3"}

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/check.h"
#include "core/time.h"

namespace csim::sim {

using NameId = std::uint16_t;

struct TraceRecord {
  TimeUs time_us;
  std::uint32_t process;
  NameId action;
  NameId outcome;
  std::uint32_t detail_offset;
  std::uint32_t detail_size;
};

class Trace {
 public:
  static constexpr std::size_t kEventsMaxDefault = 20'000'000;
  static constexpr std::size_t kDetailBytesMax = 1u << 30;
  static constexpr std::size_t kNamesMax = 4096;

  explicit Trace(std::size_t events_max = kEventsMaxDefault);

  // The id of an action or outcome name. Interning is for speed only: the hash mixes a hash of
  // the name's text, so it does not depend on the order names were first seen.
  NameId Intern(std::string_view name);
  const std::string& NameOf(NameId id) const { return names_[id]; }
  // How many names are interned: every NameId is below this.
  std::size_t NameCount() const { return names_.size(); }

  void Record(TimeUs time_us, std::uint32_t process, NameId action, NameId outcome,
              std::string_view detail = {});

  std::size_t size() const { return size_; }
  std::uint64_t hash() const { return hash_; }
  const TraceRecord& at(std::size_t i) const {
    CSIM_CHECK(i < size_, "trace index out of range");
    return chunks_[i >> kChunkBits][i & (kChunkRecords - 1)];
  }
  std::string_view DetailOf(const TraceRecord& record) const {
    if (record.detail_size == 0) return {};
    return std::string_view{detail_chunks_[record.detail_offset >> kDetailChunkBits].get() +
                                (record.detail_offset & (kDetailChunkBytes - 1)),
                            record.detail_size};
  }

  // One JSON object per line; `process_names[i]` names process i.
  void WriteJsonLines(std::ostream& out, const std::vector<std::string>& process_names) const;
  std::string JsonLine(std::size_t index, const std::vector<std::string>& process_names) const;

  // The hash as 16 lower-case hex digits.
  static std::string HashHex(std::uint64_t hash);

 private:
  // Records live in fixed chunks, never moved: growing a trace of millions of events by
  // doubling a vector cost a fifth of the kernel's time in copies and page faults.
  static constexpr std::size_t kChunkBits = 16;
  static constexpr std::size_t kChunkRecords = std::size_t{1} << kChunkBits;

  std::size_t events_max_;
  std::size_t size_ = 0;
  std::vector<std::unique_ptr<TraceRecord[]>> chunks_;
  // Detail texts, packed in fixed 64 KiB chunks that never move, for the same reason (a growing
  // string was copied, and its pages faulted in again, at every doubling). A detail never straddles
  // two chunks; detail_offset counts from the first chunk's start.
  static constexpr std::size_t kDetailChunkBits = 16;
  static constexpr std::size_t kDetailChunkBytes = std::size_t{1} << kDetailChunkBits;
  std::vector<std::unique_ptr<char[]>> detail_chunks_;
  std::size_t detail_end_ = 0;  // the offset of the next detail byte
  std::vector<std::string> names_;
  std::vector<std::uint64_t> name_hashes_;
  // Lookup only; never iterated, so its order cannot leak into the trace.
  std::unordered_map<std::string, NameId> name_ids_;
  std::uint64_t hash_ = 0x6A09E667F3BCC908ull;
};

}  // namespace csim::sim
