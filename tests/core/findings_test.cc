// Unit tests of findings whose behaviour lives in the checkout service or in data the audits read:
// P1-CC-05 / M-05 (checkout's transition table), M-04 / P2-CC-01 (declared topics) and M-01
// (default shipping country). Each is run under both switch positions.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/checkout/checkout_service.h"
#include "core/checkout/checkout_transitions.h"
#include "core/order/order_service.h"
#include "core/order/transitions.h"
#include "core/topics.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_fraud.h"
#include "fakes/fake_locks.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_pricing.h"
#include "fakes/fake_promotions.h"
#include "fakes/fake_shipping.h"
#include "fakes/fake_warehouse.h"
#include "fakes/instant_clock.h"
#include "fakes/run_sync.h"

namespace csim {
namespace {

using fakes::RunSync;

// ---- P1-CC-05 / M-05: the two transition tables ----

TEST(CheckoutTransitionsTest, CopyLacksEveryPartiallyShippedMove) {
  using S = OrderStatus;
  EXPECT_TRUE(CanTransition(S::kProcessing, S::kPartiallyShipped));
  EXPECT_FALSE(CheckoutCanTransition(S::kProcessing, S::kPartiallyShipped));
  EXPECT_FALSE(CheckoutCanTransition(S::kPartiallyShipped, S::kShipped));
  EXPECT_FALSE(CheckoutCanTransition(S::kPartiallyShipped, S::kDelivered));
  // Every other move agrees.
  int differences = 0;
  for (int i = 0; i < kOrderStatusCount; ++i) {
    for (int j = 0; j < kOrderStatusCount; ++j) {
      const auto from = static_cast<S>(i);
      const auto to = static_cast<S>(j);
      if (CanTransition(from, to) == CheckoutCanTransition(from, to)) continue;
      ++differences;
      EXPECT_TRUE(from == S::kPartiallyShipped || to == S::kPartiallyShipped)
          << Name(from) << " -> " << Name(to);
      EXPECT_TRUE(CanTransition(from, to)) << "the copy never allows more than the order table";
    }
  }
  EXPECT_EQ(differences, 3);
}

TEST(CheckoutTransitionsTest, AuditReportsTheFirstDifference) {
  std::string difference;
  EXPECT_FALSE(CheckoutTableAgreesWithOrderTable(&difference));
  EXPECT_EQ(difference,
            "processing -> partially_shipped: order table allows, checkout copy refuses");
  EXPECT_FALSE(CheckoutTableAgreesWithOrderTable(nullptr));
}

// ---- checkout service fixture ----

constexpr Money kUnitPrice = 1'000 * kVnd;
constexpr Money kFeeUs = 70 * kVnd;
constexpr Money kFeeVn = 20 * kVnd;
constexpr Money kFeeSg = 50 * kVnd;
constexpr Money kFeeDefault = 9 * kVnd;

class CheckoutFindingsTest : public ::testing::Test {
 protected:
  CheckoutFindingsTest() {
    warehouse_.SetStock("sku-1", "wh-1", 10);
    pricing_.SetPrice("sku-1", kUnitPrice);
    shipping_.SetRate("", fakes::ShippingRate{kFeeDefault, 0});
    shipping_.SetRate("US", fakes::ShippingRate{kFeeUs, 0});
    shipping_.SetRate("VN", fakes::ShippingRate{kFeeVn, 0});
    shipping_.SetRate("SG", fakes::ShippingRate{kFeeSg, 0});
  }

  CheckoutService Service() {
    return CheckoutService(
        CheckoutPorts{clock_, store_, pricing_, shipping_, fraud_, payment_, warehouse_,
                      promotions_, loyalty_, locks_, orders_, alerts_},
        config_, profile_);
  }

  // A cart with 2 units of sku-1 and its preview for `choice`.
  Result<Preview> PreviewCart(const CheckoutChoice& choice) {
    CheckoutService checkout = Service();
    EXPECT_TRUE(RunSync(checkout.CreateCart("cart-1", "sess-1", "cust-1", false)).ok());
    EXPECT_TRUE(RunSync(checkout.AddItem("cart-1", CartItem{"sku-1", 2, "wh-1"})).ok());
    return RunSync(checkout.PreviewCheckout("cart-1", choice));
  }

  fakes::InstantClock clock_{kHourUs};
  fakes::FakeCheckoutStore store_{clock_};
  fakes::FakePricing pricing_;
  fakes::FakeShipping shipping_;
  fakes::FakeFraud fraud_;
  fakes::FakePaymentGateway payment_{clock_};
  fakes::FakeWarehouse warehouse_{clock_};
  fakes::FakePromotions promotions_{clock_};
  fakes::FakeLoyalty loyalty_;
  fakes::FakeLockStore locks_{clock_};
  fakes::FakeAlerts alerts_;
  fakes::FakeOrderStore order_store_{clock_};
  Config config_ = DefaultConfig();
  Profile profile_ = Profile::AllFixed();
  OrderService orders_{OrderPorts{clock_, order_store_, warehouse_, payment_}, config_, profile_};
};

// ---- M-04 / P2-CC-01: declared topics ----

TEST_F(CheckoutFindingsTest, DeclaredTopicsFixedHasNoDeadConstant) {
  const std::vector<std::string_view> expected{topics::kCartConverted,
                                               topics::kPaymentCaptureRequested};
  EXPECT_EQ(Service().DeclaredTopics(), expected);
}

TEST_F(CheckoutFindingsTest, DeclaredTopicsAsReviewedDeclaresCheckoutCompleted) {
  profile_.SetAsReviewed(FindingId("P2-CC-01"));  // the alias names the same switch as M-04
  const std::vector<std::string_view> expected{
      topics::kCartConverted, topics::kPaymentCaptureRequested, topics::kCheckoutCompleted};
  EXPECT_EQ(Service().DeclaredTopics(), expected);
  EXPECT_EQ(std::string{topics::kCheckoutCompleted}, "orders.checkout.completed");
}

// ---- M-01 / P2-CC-02: the default shipping country ----

TEST_F(CheckoutFindingsTest, ChoiceCountryDefaultsToEmpty) {
  EXPECT_EQ(CheckoutChoice{}.country, "");
  EXPECT_EQ(kDefaultCountryCode, "VN");
  EXPECT_EQ(DefaultConfig().checkout.default_country, "VN");
}

TEST_F(CheckoutFindingsTest, EmptyCountryUsesTheConfiguredDefaultUnderBothSwitches) {
  auto fixed = PreviewCart(CheckoutChoice{});
  ASSERT_TRUE(fixed.ok()) << fixed.status().message();
  EXPECT_EQ(fixed->totals.shipping_fee, kFeeVn);  // config.checkout.default_country "VN"
  EXPECT_EQ(fixed->totals.total, 2 * kUnitPrice + kFeeVn);
  // The review: the config value ("US" in its config.yaml) overrides the constant.
  config_.checkout.default_country = "US";
  profile_.SetAsReviewed(FindingId("P2-CC-02"));
  auto reviewed = RunSync(Service().PreviewCheckout("cart-1", CheckoutChoice{}));
  ASSERT_TRUE(reviewed.ok()) << reviewed.status().message();
  EXPECT_EQ(reviewed->totals.shipping_fee, kFeeUs);
}

TEST_F(CheckoutFindingsTest, DefaultCountryAuditNamesTheDisagreementAsReviewed) {
  config_.checkout.default_country = "US";
  EXPECT_TRUE(Service().DefaultCountryAudit().empty());  // fixed: one authoritative value
  profile_.SetAsReviewed(FindingId("M-01"));
  const std::vector<std::string> audit = Service().DefaultCountryAudit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_NE(audit[0].find("\"US\" but the code constant DefaultCountryCode is \"VN\""),
            std::string::npos)
      << audit[0];
  config_.checkout.default_country = "VN";  // aligned: nothing to report
  EXPECT_TRUE(Service().DefaultCountryAudit().empty());
}

TEST_F(CheckoutFindingsTest, TransitionTableAuditFindsCheckoutsCopyAsReviewed) {
  EXPECT_TRUE(Service().TransitionTableAudit().empty());
  profile_.SetAsReviewed(FindingId("M-05"));
  const std::vector<std::string> audit = Service().TransitionTableAudit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_NE(audit[0].find("partially_shipped"), std::string::npos) << audit[0];
}

TEST_F(CheckoutFindingsTest, ExplicitCountryWinsUnderBothSwitches) {
  CheckoutChoice choice;
  choice.country = "SG";
  auto fixed = PreviewCart(choice);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->totals.shipping_fee, kFeeSg);
  profile_.SetAsReviewed(FindingId("M-01"));
  auto reviewed = RunSync(Service().PreviewCheckout("cart-1", choice));
  ASSERT_TRUE(reviewed.ok());
  EXPECT_EQ(reviewed->totals.shipping_fee, kFeeSg);
}

}  // namespace
}  // namespace csim
