#pragma once
// ChangeJournal: an append-only list of the rows of a truth view that changed, in the order they
// changed. A reader keeps how far it has read and re-checks only the rows noted since, instead of
// rescanning the whole view after every event (properties/change_tracker.h). An entry names a row
// (a pointer to its std::map key, stable for the map's life, or an index), never its contents:
// the reader looks at the row as it is when it reads.

#include <cstddef>
#include <vector>

#include "core/check.h"

namespace csim::fakes {

template <class Entry>
class ChangeJournal {
 public:
  // Entries kept at most: 8 bytes each, a few per port call; a run reaching this also reaches the
  // trace's own limit first.
  static constexpr std::size_t kEntriesMax = 100'000'000;

  // Notes that the row `entry` names changed (or is about to, within the same step).
  void Note(Entry entry) {
    CSIM_CHECK(entries_.size() < kEntriesMax, "ChangeJournal::kEntriesMax");
    entries_.push_back(entry);
  }
  // Forgets every entry: a store whose rows were all replaced (Restore) starts a new history, and
  // entries naming its old rows would dangle. No reader may keep a position across it.
  void Clear() { entries_.clear(); }
  // Entries noted so far.
  std::size_t size() const { return entries_.size(); }
  // The `index`th entry noted (0-based). REQUIRES: index < size().
  Entry at(std::size_t index) const {
    CSIM_CHECK(index < entries_.size(), "journal index out of range");
    return entries_[index];
  }

 private:
  std::vector<Entry> entries_;
};

}  // namespace csim::fakes
