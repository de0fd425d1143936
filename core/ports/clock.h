#pragma once
// Clock: the only source of time for core/. In a simulation it is virtual; core/ never reads the
// OS clock.

#include "core/task.h"
#include "core/time.h"

namespace csim {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time. Never goes backwards.
  virtual TimeUs Now() const = 0;
  // Completes after `duration_us` (>= 0) has passed; other work runs meanwhile.
  virtual Task<void> Sleep(DurationUs duration_us) = 0;
};

}  // namespace csim
