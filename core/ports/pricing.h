#pragma once
// Pricing service (gRPC in production): current unit prices.

#include <map>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "core/task.h"

namespace csim {

class PricingService {
 public:
  virtual ~PricingService() = default;
  // Unit price of each sku asked for. kNotFound names an unknown sku; kUnavailable/kTimeout on
  // transport failure (no effect either way: the call only reads).
  virtual Task<Result<std::map<std::string, Money>>> UnitPrices(
      const std::vector<std::string>& skus) = 0;
};

}  // namespace csim
