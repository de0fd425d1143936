#include "adapters/wall_clock.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/check.h"

namespace csim::adapters {

TimeUs WallClock::Now() const {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const TimeUs now_us = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
  std::lock_guard lock{mutex_};
  // A step back of the system clock (NTP) must not move core's time backwards.
  last_us_ = std::max(last_us_, now_us);
  CSIM_CHECK(last_us_ > 0, "the system clock is before 1970");
  return last_us_;
}

Task<void> WallClock::Sleep(DurationUs duration_us) {
  CSIM_CHECK(duration_us >= 0, "cannot sleep a negative duration");
  std::this_thread::sleep_for(std::chrono::microseconds{duration_us});
  co_return;
}

}  // namespace csim::adapters
