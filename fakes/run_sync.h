#pragma once
// RunSync: drives a Task of a fake to completion on the calling stack (tests and setup code). The
// fakes never suspend, so one resume finishes the Task; a Task that suspends is a bug here.

#include <utility>

#include "core/check.h"
#include "core/task.h"

namespace csim::fakes {

// Resumes `task` once and returns its value (rethrows what it threw).
// REQUIRES: `task` is valid, not started, and completes without suspending.
template <class T>
T RunSync(Task<T> task) {
  CSIM_CHECK(task.valid(), "RunSync of an empty task");
  CSIM_CHECK(!task.done(), "RunSync of a task that already ran");
  task.handle().resume();
  CSIM_CHECK(task.done(), "the task suspended: fakes complete without suspension");
  return task.await_resume();
}

}  // namespace csim::fakes
