#pragma once
// The Clock port over the kernel's virtual time.

#include "core/ports/clock.h"
#include "sim/kernel.h"

namespace csim::sim {

class SimClock final : public Clock {
 public:
  explicit SimClock(Kernel& kernel) : kernel_(kernel) {}
  TimeUs Now() const override { return kernel_.now(); }
  Task<void> Sleep(DurationUs duration_us) override { co_await kernel_.Sleep(duration_us); }

 private:
  Kernel& kernel_;
};

}  // namespace csim::sim
