#include "fakes/fake_shipping.h"

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {
namespace {

void CheckRate(const ShippingRate& rate) {
  CSIM_CHECK(rate.base_fee >= 0, "fees are not negative");
  CSIM_CHECK(rate.per_item_fee >= 0, "fees are not negative");
}

}  // namespace

FakeShipping::FakeShipping(ShippingRate default_rate) : default_rate_(default_rate) {
  CheckRate(default_rate_);
}

Task<Result<Money>> FakeShipping::Fee(const std::string& country, std::int32_t item_count) {
  return Deferred<Result<Money>>(
      [this, country, item_count] { return FeeResult(country, item_count); });
}

Result<Money> FakeShipping::FeeResult(const std::string& country, std::int32_t item_count) const {
  if (item_count < 0) return Status{Code::kInvalidArgument, "negative item count"};
  if (item_count > kItemCountMax) return Status{Code::kInvalidArgument, "item count too large"};
  return FeeNow(country, item_count);
}

void FakeShipping::SetRate(const std::string& country, ShippingRate rate) {
  CheckRate(rate);
  if (country.empty()) {
    default_rate_ = rate;
    return;
  }
  rates_[country] = rate;
  CSIM_CHECK(rates_.size() <= kCountriesMax, "kCountriesMax");
}

ShippingRate FakeShipping::RateFor(const std::string& country) const {
  auto it = rates_.find(country);
  return it == rates_.end() ? default_rate_ : it->second;
}

Money FakeShipping::FeeNow(const std::string& country, std::int32_t item_count) const {
  CSIM_CHECK(item_count >= 0);
  CSIM_CHECK(item_count <= kItemCountMax);
  ShippingRate rate = RateFor(country);
  Money fee = rate.base_fee + rate.per_item_fee * item_count;
  CSIM_CHECK(fee >= rate.base_fee, "fee overflow");
  return fee;
}

}  // namespace csim::fakes
