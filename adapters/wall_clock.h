#pragma once
// WallClock: the Clock of the real backend. Now() is the system clock in microseconds since the
// Unix epoch (never going backwards: a step back of the system clock holds the last value); Sleep
// blocks the calling thread, so a Task that sleeps still finishes without suspending.

#include <mutex>

#include "core/ports/clock.h"

namespace csim::adapters {

class WallClock final : public Clock {
 public:
  TimeUs Now() const override;
  // Blocks for `duration_us` (>= 0).
  Task<void> Sleep(DurationUs duration_us) override;

 private:
  mutable std::mutex mutex_;
  mutable TimeUs last_us_ = 0;
};

}  // namespace csim::adapters
