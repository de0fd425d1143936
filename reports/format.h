#pragma once
// Formatting of what users read: money in the currency's units with its code, counts with
// thousands separators. A library of its own (csim_report_format, depending only on core's
// headers) so invariants can use it too.

#include <cstdint>
#include <string>

#include "core/money.h"

namespace csim::reports {

// A count with thousands separators: 1250000 -> "1,250,000".
std::string FormatCount(std::int64_t count);

// Money (hundredths of a VND) in VND with its code: 125'000'000 -> "1,250,000 VND";
// a fraction is shown only when there is one: 125'000'005 -> "1,250,000.05 VND";
// -150 -> "-1.50 VND".
std::string FormatVnd(Money amount);

}  // namespace csim::reports
