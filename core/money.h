#pragma once
// Money is an integer count of hundredths of a VND. The real services sum floats, which is why
// the review tolerates 0.05 VND; we keep exact integers and express that tolerance as 5 units.

#include <cstdint>

namespace csim {

using Money = std::int64_t;  // hundredths of a VND

inline constexpr Money kVnd = 100;
inline constexpr Money kTotalToleranceMoney = 5;  // 0.05 VND

}  // namespace csim
