#pragma once
// InstantClock: a Clock for unit tests of core/ code that waits (retries with backoff). Sleep
// moves time forward and completes at once, so RunSync can drive such code on the test's stack.

#include "core/check.h"
#include "core/ports/clock.h"

namespace csim::fakes {

class InstantClock final : public Clock {
 public:
  explicit InstantClock(TimeUs now_us = 0) : now_us_(now_us) { CSIM_CHECK(now_us >= 0); }

  TimeUs Now() const override { return now_us_; }
  Task<void> Sleep(DurationUs duration_us) override {
    CSIM_CHECK(duration_us >= 0, "cannot sleep a negative duration");
    now_us_ += duration_us;
    slept_us_ += duration_us;
    co_return;
  }

  // Moves time forward by `duration_us` (>= 0), as the world would between calls.
  void Advance(DurationUs duration_us) {
    CSIM_CHECK(duration_us >= 0, "time never goes backwards");
    now_us_ += duration_us;
  }
  // Total time spent in Sleep (to assert backoffs).
  DurationUs slept_us() const { return slept_us_; }

 private:
  TimeUs now_us_;
  DurationUs slept_us_ = 0;
};

}  // namespace csim::fakes
