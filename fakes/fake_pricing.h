#pragma once
// FakePricing: the pricing service as a table of unit prices the world may change at any time
// (a price change between preview and confirm is one of the cases the saga must handle).

#include <map>
#include <string>
#include <vector>

#include "core/ports/pricing.h"

namespace csim::fakes {

class FakePricing final : public PricingService {
 public:
  static constexpr std::size_t kSkusMax = 100'000;
  static constexpr std::size_t kSkusPerCallMax = 10'000;

  // kNotFound naming the first unknown sku; kInvalidArgument for too many skus in one call.
  Task<Result<std::map<std::string, Money>>> UnitPrices(
      const std::vector<std::string>& skus) override;

  // World: sets the unit price of `sku` (> 0).
  void SetPrice(const std::string& sku, Money unit_price);

  // Truth.
  const std::map<std::string, Money>& Prices() const { return prices_; }

 private:
  Result<std::map<std::string, Money>> UnitPricesNow(const std::vector<std::string>& skus) const;

  std::map<std::string, Money> prices_;
};

}  // namespace csim::fakes
