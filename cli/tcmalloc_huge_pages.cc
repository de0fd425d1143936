// Linked into every executable that links tcmalloc (cmake/Allocator.cmake): tcmalloc's heap grows
// in regions advised MADV_HUGEPAGE, so the machine's transparent huge pages (mode `madvise` on
// Debian 12) back it with 2 MiB pages. A world of 20000 customers keeps about 400 MB of small
// nodes (rows, index nodes, events) and reads them in no order the caches can follow: with 4 KiB
// pages nearly every such read also missed the TLB, and every new page of the heap faulted in on
// its own. The trace's chunks do the same (sim/trace.cc). Only where memory comes from changes;
// nothing in a simulation reads a pointer's value.

#include <gperftools/malloc_extension.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace {

constexpr std::size_t kHugePage = std::size_t{1} << 21;
// Address space reserved at a time (MAP_NORESERVE: only the pages written count), carved into
// the pieces tcmalloc asks for (1 MiB and up), rounded to whole huge pages.
constexpr std::size_t kRegion = std::size_t{1} << 30;

class HugePageHeap final : public SysAllocator {
 public:
  explicit HugePageHeap(SysAllocator* fallback) : fallback_(fallback) {}

  void* Alloc(std::size_t size, std::size_t* actual_size, std::size_t alignment) override {
    // tcmalloc calls this under its own lock; this one keeps the region safe whatever it does.
    const std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t align = alignment > kHugePage ? alignment : kHugePage;
    const std::size_t rounded = (size + kHugePage - 1) / kHugePage * kHugePage;
    const auto aligned = [align](std::uintptr_t p) { return (p + align - 1) / align * align; };
    std::uintptr_t start = aligned(next_);
    if (next_ == 0 || start + rounded > end_) {
      const std::size_t reserve = rounded + align > kRegion ? rounded + align : kRegion;
      void* region = mmap(nullptr, reserve, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      // Out of address space: tcmalloc's own way (sbrk, then mmap), which may fail in turn.
      if (region == MAP_FAILED) return fallback_->Alloc(size, actual_size, alignment);
      next_ = reinterpret_cast<std::uintptr_t>(region);
      end_ = next_ + reserve;
      start = aligned(next_);
      // Advice only: where the kernel has no huge page, the region gets 4 KiB pages as before.
      madvise(reinterpret_cast<void*>(start), end_ - start, MADV_HUGEPAGE);
    }
    next_ = start + rounded;
    if (actual_size != nullptr) *actual_size = rounded;
    return reinterpret_cast<void*>(start);
  }

 private:
  SysAllocator* fallback_;
  std::mutex mutex_;
  std::uintptr_t next_ = 0;  // the unused rest of the current region: [next_, end_)
  std::uintptr_t end_ = 0;
};

// Installed before main; what tcmalloc took from the system until then stays where it is.
struct Installer {
  Installer() {
    static HugePageHeap heap(MallocExtension::instance()->GetSystemAllocator());
    MallocExtension::instance()->SetSystemAllocator(&heap);
  }
} installer;

}  // namespace
