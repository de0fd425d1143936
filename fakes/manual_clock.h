#pragma once
// ManualClock: a Clock whose time the test sets by hand. The fakes only read Now(); they never
// sleep, so Sleep is a bug here.

#include "core/check.h"
#include "core/ports/clock.h"

namespace csim::fakes {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeUs now_us = 0) : now_us_(now_us) { CSIM_CHECK(now_us >= 0); }

  TimeUs Now() const override { return now_us_; }

  // Fails the run: a fake that sleeps would hide latency the simulator must own.
  Task<void> Sleep(DurationUs /*duration_us*/) override {
    CSIM_CHECK(false, "ManualClock::Sleep: fakes never sleep");
    return {};
  }

  // Moves time to `now_us`. REQUIRES: never backwards.
  void Set(TimeUs now_us) {
    CSIM_CHECK(now_us >= now_us_, "time never goes backwards");
    now_us_ = now_us;
  }
  // Moves time forward by `duration_us` (>= 0).
  void Advance(DurationUs duration_us) {
    CSIM_CHECK(duration_us >= 0, "time never goes backwards");
    now_us_ += duration_us;
  }

 private:
  TimeUs now_us_;
};

}  // namespace csim::fakes
