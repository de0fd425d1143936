#pragma once
// Deferred: how every fake port method builds its Task. The fakes complete synchronously (the
// simulator adds latency and faults in its wrapper layer), but a Task is lazy: a call whose Task is
// destroyed before it runs (a crashed caller) must have no effect. So the work runs when the Task
// is first resumed, and the Task owns copies of the arguments (captured by value in `work`), so a
// Task kept past the caller's full expression never reads a dangling reference.

#include "core/task.h"

namespace csim::fakes {

// A Task that runs `work()` when first resumed and finishes without suspending.
// REQUIRES: `work` owns what it reads (captures by value, or `this` of an object that outlives it).
template <class T, class Work>
Task<T> Deferred(Work work) {
  co_return work();
}

}  // namespace csim::fakes
