#pragma once
// How the real adapters build their Tasks. A real call blocks the calling thread (the real run is
// one sequential worker loop), so each Task runs its work when first resumed and finishes without
// suspending. Like the fakes, the Task owns copies of its arguments: a Task destroyed before it
// runs does nothing, and one kept past the caller's expression reads no dangling reference.

#include "core/check.h"
#include "core/task.h"

namespace csim::adapters {

// A Task that runs `work()` when first resumed and finishes without suspending.
// REQUIRES: `work` owns what it reads (captures by value, or `this` of an object that outlives it).
template <class T, class Work>
Task<T> Blocking(Work work) {
  co_return work();
}

// Runs `task` to completion on the calling stack and returns its value (what a bus delivery does
// with a handler). REQUIRES: `task` is valid, not started, and never suspends: every port it
// awaits is a real adapter or a WallClock, which block instead.
template <class T>
T RunBlocking(Task<T> task) {
  CSIM_CHECK(task.valid(), "RunBlocking of an empty task");
  CSIM_CHECK(!task.done(), "RunBlocking of a task that already ran");
  task.handle().resume();
  CSIM_CHECK(task.done(), "a task suspended: the real backend runs every port call to its end");
  return task.await_resume();
}

}  // namespace csim::adapters
