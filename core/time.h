#pragma once
// Time is an integer count of microseconds. In a simulation it starts at 0 when the run starts;
// in a real run it is whatever the Clock port says. Names carry the unit last (ttl_us).

#include <cstdint>

namespace csim {

using TimeUs = std::int64_t;      // a point in time
using DurationUs = std::int64_t;  // a span of time

inline constexpr DurationUs kMillisecondUs = 1'000;
inline constexpr DurationUs kSecondUs = 1'000 * kMillisecondUs;
inline constexpr DurationUs kMinuteUs = 60 * kSecondUs;
inline constexpr DurationUs kHourUs = 60 * kMinuteUs;
inline constexpr DurationUs kDayUs = 24 * kHourUs;

}  // namespace csim
