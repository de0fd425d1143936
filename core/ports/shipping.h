#pragma once
// Shipping rates (carrier integration): the fee for a parcel, which carriers may change at any
// time (review 1.5).

#include <cstdint>
#include <string>

#include "core/money.h"
#include "core/status.h"
#include "core/task.h"

namespace csim {

class ShippingRates {
 public:
  virtual ~ShippingRates() = default;
  // Current fee to ship `item_count` units to `country`. Read-only.
  virtual Task<Result<Money>> Fee(const std::string& country, std::int32_t item_count) = 0;
};

}  // namespace csim
