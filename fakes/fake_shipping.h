#pragma once
// FakeShipping: shipping fee = base + per_item * item_count, per destination country, with a
// default rate for countries without one. Carriers change rates at any time (review 1.5), so the
// world may change them between preview and confirm.

#include <cstdint>
#include <map>
#include <string>

#include "core/ports/shipping.h"

namespace csim::fakes {

struct ShippingRate {
  Money base_fee = 0;
  Money per_item_fee = 0;
  bool operator==(const ShippingRate&) const = default;
};

class FakeShipping final : public ShippingRates {
 public:
  static constexpr std::size_t kCountriesMax = 1'000;
  static constexpr std::int32_t kItemCountMax = 1'000'000;

  explicit FakeShipping(ShippingRate default_rate = {});

  // kInvalidArgument if item_count is negative or above kItemCountMax.
  Task<Result<Money>> Fee(const std::string& country, std::int32_t item_count) override;

  // World: the rate for `country`; an empty country sets the default rate.
  void SetRate(const std::string& country, ShippingRate rate);

  // Truth: the rate `country` gets now, and the fee Fee() answers now.
  ShippingRate RateFor(const std::string& country) const;
  Money FeeNow(const std::string& country, std::int32_t item_count) const;

 private:
  Result<Money> FeeResult(const std::string& country, std::int32_t item_count) const;

  ShippingRate default_rate_;
  std::map<std::string, ShippingRate> rates_;
};

}  // namespace csim::fakes
