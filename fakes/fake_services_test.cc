// The read-only services: pricing, shipping rates, fraud.
#include <gtest/gtest.h>

#include "fakes/fake_fraud.h"
#include "fakes/fake_pricing.h"
#include "fakes/fake_shipping.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

TEST(FakePricing, PricesKnownSkusAndNamesUnknownOnes) {
  FakePricing pricing;
  pricing.SetPrice("sku-1", 10'000);
  pricing.SetPrice("sku-2", 2'500);
  Result<std::map<std::string, Money>> prices = RunSync(pricing.UnitPrices({"sku-2", "sku-1"}));
  ASSERT_TRUE(prices.ok());
  EXPECT_EQ(prices.value(), (std::map<std::string, Money>{{"sku-1", 10'000}, {"sku-2", 2'500}}));
  Result<std::map<std::string, Money>> unknown = RunSync(pricing.UnitPrices({"sku-1", "sku-9"}));
  EXPECT_EQ(unknown.code(), Code::kNotFound);
  EXPECT_EQ(unknown.status().message(), "unknown sku sku-9");
  pricing.SetPrice("sku-1", 12'000);  // a price change between preview and confirm
  EXPECT_EQ(RunSync(pricing.UnitPrices({"sku-1"}))->at("sku-1"), 12'000);
}

TEST(FakeShipping, BasePlusPerItemWithDefault) {
  FakeShipping shipping(ShippingRate{3'000, 500});
  shipping.SetRate("VN", ShippingRate{1'000, 100});
  EXPECT_EQ(RunSync(shipping.Fee("VN", 3)).value(), 1'300);
  EXPECT_EQ(RunSync(shipping.Fee("US", 2)).value(), 4'000);
  EXPECT_EQ(RunSync(shipping.Fee("VN", -1)).code(), Code::kInvalidArgument);
  shipping.SetRate("VN", ShippingRate{2'000, 100});  // the carrier changed its rate
  EXPECT_EQ(RunSync(shipping.Fee("VN", 3)).value(), 2'300);
  shipping.SetRate("", ShippingRate{0, 0});
  EXPECT_EQ(shipping.FeeNow("US", 2), 0);
}

TEST(FakeFraud, BlocksCustomersAndLargeAmounts) {
  FakeFraud fraud;
  EXPECT_TRUE(RunSync(fraud.PreCheck("alice", 1'000'000)).ok());
  fraud.Block("mallory");
  fraud.SetMaxAmount(500'000);
  EXPECT_EQ(RunSync(fraud.PreCheck("mallory", 1)).code(), Code::kRejected);
  EXPECT_EQ(RunSync(fraud.PreCheck("alice", 500'001)).code(), Code::kRejected);
  EXPECT_TRUE(RunSync(fraud.PreCheck("alice", 500'000)).ok());
  fraud.Unblock("mallory");
  EXPECT_TRUE(RunSync(fraud.PreCheck("mallory", 1)).ok());
  EXPECT_EQ(fraud.CheckCount(), 5);
  EXPECT_EQ(fraud.RejectedCount(), 2);
}

}  // namespace
}  // namespace csim::fakes
