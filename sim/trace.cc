#include "sim/trace.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "core/check.h"

namespace csim::sim {
namespace {

inline std::uint64_t Mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

std::uint64_t HashText(std::string_view text) {
  // FNV-1a, byte by byte (its value is every trace's hash, so it stays), with the loop unrolled:
  // every recorded detail is hashed, and the loop's own increments and tests were half of it.
  constexpr std::uint64_t kPrime = 0x100000001B3ull;
  std::uint64_t h = 0xCBF29CE484222325ull;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t n = text.size();
  for (; n >= 8; n -= 8, p += 8) {
    h = (h ^ p[0]) * kPrime;
    h = (h ^ p[1]) * kPrime;
    h = (h ^ p[2]) * kPrime;
    h = (h ^ p[3]) * kPrime;
    h = (h ^ p[4]) * kPrime;
    h = (h ^ p[5]) * kPrime;
    h = (h ^ p[6]) * kPrime;
    h = (h ^ p[7]) * kPrime;
  }
  for (; n > 0; --n, ++p) h = (h ^ *p) * kPrime;
  return h;
}

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// Chunks given back by traces that ended, for the next traces of the process (a sweep runs
// thousands of small worlds one after another): their pages are in already, so a world costs no
// mmap, munmap or page fault for its trace. The threads of a sweep share the pool. Its contents
// are never read: a trace reads only what it wrote.
struct ChunkPool {
  std::mutex mutex;
  std::vector<void*> small;  // first chunks, on 4 KiB pages
  std::vector<void*> huge;   // later chunks, advised MADV_HUGEPAGE
};
constexpr std::size_t kPooledSmallMax = 8;
constexpr std::size_t kPooledHugeMax = 16;

ChunkPool& Pool() {
  static ChunkPool* pool = new ChunkPool;  // never destroyed: a static trace may outlive it
  return *pool;
}

void* MapChunk(std::size_t bytes, bool huge) {
  // Twice the size, then the unaligned ends given back: mmap promises only page alignment, and a
  // huge page needs its own.
  const std::size_t span = 2 * bytes;
  void* mapped = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CSIM_CHECK(mapped != MAP_FAILED, "memory for the trace");
  const auto start = reinterpret_cast<std::uintptr_t>(mapped);
  const std::uintptr_t aligned = (start + bytes - 1) & ~(std::uintptr_t{bytes} - 1);
  const std::size_t head = aligned - start;
  if (head > 0) munmap(mapped, head);
  if (span - head - bytes > 0)
    munmap(reinterpret_cast<void*>(aligned + bytes), span - head - bytes);
  void* base = reinterpret_cast<void*>(aligned);
  // Advice only: without huge pages the chunk works the same, page by page.
  if (huge) (void)madvise(base, bytes, MADV_HUGEPAGE);
  CSIM_CHECK(reinterpret_cast<std::uintptr_t>(base) % bytes == 0, "an aligned chunk");
  return base;
}

}  // namespace

Trace::Chunk::Chunk(bool huge) : huge_(huge) {
  ChunkPool& pool = Pool();
  {
    std::lock_guard lock(pool.mutex);
    std::vector<void*>& pooled = huge ? pool.huge : pool.small;
    if (!pooled.empty()) {
      base_ = pooled.back();
      pooled.pop_back();
      return;
    }
  }
  base_ = MapChunk(kChunkBytes, huge);
}

Trace::Chunk::~Chunk() {
  if (base_ == nullptr) return;
  ChunkPool& pool = Pool();
  {
    std::lock_guard lock(pool.mutex);
    std::vector<void*>& pooled = huge_ ? pool.huge : pool.small;
    if (pooled.size() < (huge_ ? kPooledHugeMax : kPooledSmallMax)) {
      pooled.push_back(base_);
      return;
    }
  }
  munmap(base_, kChunkBytes);
}

Trace::Trace(std::size_t events_max) : events_max_(events_max) {
  CSIM_CHECK(events_max_ > 0);
  names_.reserve(64);
}

NameId Trace::Intern(std::string_view name) {
  auto it = name_ids_.find(std::string{name});
  if (it != name_ids_.end()) return it->second;
  CSIM_CHECK(names_.size() < kNamesMax, "too many distinct trace names");
  auto id = static_cast<NameId>(names_.size());
  names_.emplace_back(name);
  name_hashes_.push_back(HashText(name));
  name_ids_.emplace(std::string{name}, id);
  return id;
}

void Trace::Record(TimeUs time_us, std::uint32_t process, NameId action, NameId outcome,
                   std::string_view detail) {
  CSIM_CHECK(action < names_.size());
  CSIM_CHECK(outcome < names_.size());
  if (size_ >= events_max_) [[unlikely]] {
    FailCheck(
        "trace within its budget", __FILE__, __LINE__,
        fmt::format("trace reached {} events; raise the limit or shorten the run", events_max_));
  }
  CSIM_CHECK(detail.size() <= kChunkBytes, "a trace detail fits in a chunk");
  if (!detail.empty() &&
      (detail_chunks_.empty() || (detail_end_ & (kChunkBytes - 1)) + detail.size() > kChunkBytes ||
       (detail_end_ & (kChunkBytes - 1)) == 0)) {
    // Start a new chunk (the first, the current one is full, or the detail would straddle).
    detail_end_ = detail_chunks_.size() * kChunkBytes;
    detail_chunks_.emplace_back(/*huge=*/!detail_chunks_.empty());
  }
  CSIM_CHECK(detail_end_ + detail.size() < kDetailBytesMax, "trace detail bytes over budget");
  const std::size_t slot = size_ % kChunkRecords;
  if (slot == 0) chunks_.emplace_back(/*huge=*/!chunks_.empty());
  chunks_.back().As<TraceRecord>()[slot] =
      TraceRecord{time_us,
                  process,
                  action,
                  outcome,
                  static_cast<std::uint32_t>(detail.empty() ? 0 : detail_end_),
                  static_cast<std::uint32_t>(detail.size())};
  ++size_;
  if (!detail.empty()) {
    std::memcpy(detail_chunks_.back().As<char>() + (detail_end_ & (kChunkBytes - 1)), detail.data(),
                detail.size());
    detail_end_ += detail.size();
  }

  std::uint64_t h = Mix(hash_, static_cast<std::uint64_t>(time_us));
  h = Mix(h, process);
  h = Mix(h, name_hashes_[action]);
  h = Mix(h, name_hashes_[outcome]);
  if (!detail.empty()) h = Mix(h, HashText(detail));
  hash_ = h;
}

std::string Trace::JsonLine(std::size_t index,
                            const std::vector<std::string>& process_names) const {
  const TraceRecord& r = at(index);
  std::string line = fmt::format("{{\"seq\":{},\"t_us\":{},\"process\":", index, r.time_us);
  AppendJsonString(line, r.process < process_names.size() ? process_names[r.process]
                                                          : fmt::format("p{}", r.process));
  line += ",\"action\":";
  AppendJsonString(line, names_[r.action]);
  line += ",\"outcome\":";
  AppendJsonString(line, names_[r.outcome]);
  if (r.detail_size > 0) {
    line += ",\"detail\":";
    AppendJsonString(line, DetailOf(r));
  }
  line += '}';
  return line;
}

void Trace::WriteJsonLines(std::ostream& out, const std::vector<std::string>& process_names) const {
  for (std::size_t i = 0; i < size_; ++i) out << JsonLine(i, process_names) << '\n';
}

std::string Trace::HashHex(std::uint64_t hash) {
  return fmt::format("{:016x}", hash);
}

}  // namespace csim::sim
