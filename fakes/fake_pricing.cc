#include "fakes/fake_pricing.h"

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

Task<Result<std::map<std::string, Money>>> FakePricing::UnitPrices(
    const std::vector<std::string>& skus) {
  return Deferred<Result<std::map<std::string, Money>>>(
      [this, skus] { return UnitPricesNow(skus); });
}

Result<std::map<std::string, Money>> FakePricing::UnitPricesNow(
    const std::vector<std::string>& skus) const {
  if (skus.size() > kSkusPerCallMax) return Status{Code::kInvalidArgument, "too many skus"};
  std::map<std::string, Money> found;
  for (const std::string& sku : skus) {
    auto it = prices_.find(sku);
    if (it == prices_.end()) return Status{Code::kNotFound, "unknown sku " + sku};
    found[sku] = it->second;
  }
  CSIM_CHECK(found.size() <= skus.size());
  return found;
}

void FakePricing::SetPrice(const std::string& sku, Money unit_price) {
  CSIM_CHECK(!sku.empty(), "a price needs a sku");
  CSIM_CHECK(unit_price > 0, "prices are positive");
  prices_[sku] = unit_price;
  CSIM_CHECK(prices_.size() <= kSkusMax, "kSkusMax");
}

}  // namespace csim::fakes
