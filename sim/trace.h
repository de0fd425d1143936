#pragma once
// The trace: one record per simulation event (time, process, action, outcome, detail), kept in a
// compact binary form so recording costs a few nanoseconds, and hashed as it is recorded. The
// JSON-lines form is produced only when written out. Format of a line (stable; documented in
// README.md):
//   {"seq":12,"t_us":1500000,"process":"checkout-api","action":"warehouse.reserve",
//    "outcome":"ok","detail":"sku=S1 wh=W1 qty=2 -> res-3"}

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
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
    return chunks_[i / kChunkRecords].As<TraceRecord>()[i % kChunkRecords];
  }
  std::string_view DetailOf(const TraceRecord& record) const {
    if (record.detail_size == 0) return {};
    return std::string_view{detail_chunks_[record.detail_offset >> kChunkBits].As<char>() +
                                (record.detail_offset & (kChunkBytes - 1)),
                            record.detail_size};
  }
  // Bytes of memory the trace has mapped for its records and details (outside the heap), and of
  // those the bytes it has written (what a run holds; huge pages round it up to whole chunks).
  std::size_t BytesReserved() const {
    return (chunks_.size() + detail_chunks_.size()) * kChunkBytes;
  }
  std::size_t BytesWritten() const { return size_ * sizeof(TraceRecord) + detail_end_; }

  // One JSON object per line; `process_names[i]` names process i.
  void WriteJsonLines(std::ostream& out, const std::vector<std::string>& process_names) const;
  std::string JsonLine(std::size_t index, const std::vector<std::string>& process_names) const;

  // The hash as 16 lower-case hex digits.
  static std::string HashHex(std::uint64_t hash);

 private:
  // 2 MiB of memory of its own, aligned to its size. A `huge` one is backed by a transparent huge
  // page where the operating system offers them (MADV_HUGEPAGE): its first write faults one page
  // in, not 512 (faulting in fresh 4 KiB pages was most of what recording a trace cost). The
  // first chunk of each kind is not huge, so a small world keeps only the pages it writes. A
  // chunk is taken from, and given back to, a pool the process keeps (a few dozen MiB at most).
  class Chunk {
   public:
    explicit Chunk(bool huge);
    Chunk(Chunk&& other) noexcept
        : base_(std::exchange(other.base_, nullptr)), huge_(other.huge_) {}
    Chunk& operator=(Chunk&&) = delete;
    Chunk(const Chunk&) = delete;
    Chunk& operator=(const Chunk&) = delete;
    ~Chunk();
    template <typename T>
    T* As() const {
      return static_cast<T*>(base_);
    }

   private:
    void* base_;
    bool huge_;
  };
  static constexpr std::size_t kChunkBits = 21;
  static constexpr std::size_t kChunkBytes = std::size_t{1} << kChunkBits;

  // Records live in fixed chunks, never moved: growing a trace of millions of events by
  // doubling a vector cost a fifth of the kernel's time in copies and page faults.
  static constexpr std::size_t kChunkRecords = kChunkBytes / sizeof(TraceRecord);

  std::size_t events_max_;
  std::size_t size_ = 0;
  std::vector<Chunk> chunks_;
  // Detail texts, packed in chunks that never move, for the same reason (a growing string was
  // copied, and its pages faulted in again, at every doubling). A detail never straddles two
  // chunks; detail_offset counts from the first chunk's start.
  std::vector<Chunk> detail_chunks_;
  std::size_t detail_end_ = 0;  // the offset of the next detail byte
  std::vector<std::string> names_;
  std::vector<std::uint64_t> name_hashes_;
  // Lookup only; never iterated, so its order cannot leak into the trace.
  std::unordered_map<std::string, NameId> name_ids_;
  std::uint64_t hash_ = 0x6A09E667F3BCC908ull;
};

}  // namespace csim::sim
