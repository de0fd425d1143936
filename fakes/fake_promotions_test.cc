#include "fakes/fake_promotions.h"

#include <gtest/gtest.h>

#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

Promotion Fixed(std::string code, Money discount) {
  Promotion promotion;
  promotion.code = std::move(code);
  promotion.discount = discount;
  return promotion;
}

class FakePromotionsTest : public ::testing::Test {
 protected:
  ManualClock clock{0};
  FakePromotions promotions{clock};
};

TEST_F(FakePromotionsTest, ValidateFixedAndPercent) {
  promotions.AddPromotion(Fixed("FIXED", 300));
  Promotion percent;
  percent.code = "TENPCT";
  percent.percent_bp = 1'000;
  promotions.AddPromotion(percent);

  Result<PromoQuote> fixed = RunSync(promotions.Validate("FIXED", 1'000));
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->discount, 300);
  EXPECT_FALSE(fixed->single_use);
  EXPECT_EQ(RunSync(promotions.Validate("FIXED", 200))->discount, 200) << "capped at subtotal";
  EXPECT_EQ(RunSync(promotions.Validate("TENPCT", 12'345))->discount, 1'234);
  EXPECT_EQ(RunSync(promotions.Validate("NOPE", 1'000)).code(), Code::kNotFound);
  EXPECT_EQ(promotions.UsageCount("FIXED"), 0) << "validation is read-only";
}

TEST_F(FakePromotionsTest, BudgetInUsesAndMoney) {
  Promotion uses = Fixed("TWO", 100);
  uses.max_uses = 2;
  promotions.AddPromotion(uses);
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("TWO", "ord-1", 100)).ok());
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("TWO", "ord-1", 100)).ok()) << "idempotent";
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("TWO", "ord-2", 100)).ok());
  EXPECT_EQ(RunSync(promotions.ClaimUsage("TWO", "ord-3", 100)).code(), Code::kInsufficient);
  EXPECT_EQ(RunSync(promotions.Validate("TWO", 1'000)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(promotions.UsageCount("TWO"), 2);
  EXPECT_EQ(promotions.DiscountGranted("TWO"), 200);

  EXPECT_TRUE(RunSync(promotions.ReleaseUsage("TWO", "ord-1")).ok());
  EXPECT_TRUE(RunSync(promotions.ReleaseUsage("TWO", "ord-1")).ok()) << "none left: Ok";
  EXPECT_EQ(promotions.Get("TWO").released_count, 1);
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("TWO", "ord-3", 100)).ok());
  EXPECT_EQ(RunSync(promotions.ReleaseUsage("NOPE", "ord-1")).code(), Code::kNotFound);

  Promotion money = Fixed("BUDGET", 400);
  money.budget_money = 1'000;
  promotions.AddPromotion(money);
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("BUDGET", "ord-1", 400)).ok());
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("BUDGET", "ord-2", 400)).ok());
  EXPECT_EQ(RunSync(promotions.Validate("BUDGET", 1'000)).code(), Code::kFailedPrecondition)
      << "400 more would exceed 1000";
  EXPECT_EQ(RunSync(promotions.ClaimUsage("BUDGET", "ord-3", 400)).code(), Code::kInsufficient);
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("BUDGET", "ord-3", 200)).ok());
  EXPECT_EQ(promotions.DiscountGranted("BUDGET"), 1'000);
}

TEST_F(FakePromotionsTest, SingleUseCoupon) {
  Promotion coupon = Fixed("ONCE", 500);
  coupon.single_use = true;
  promotions.AddPromotion(coupon);
  EXPECT_TRUE(RunSync(promotions.Validate("ONCE", 1'000))->single_use);
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("ONCE", "ord-1", 500)).ok());
  EXPECT_EQ(RunSync(promotions.ClaimUsage("ONCE", "ord-2", 500)).code(), Code::kInsufficient);
  EXPECT_EQ(RunSync(promotions.Validate("ONCE", 1'000)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(promotions.Get("ONCE").usages, (std::map<std::string, Money>{{"ord-1", 500}}));
}

TEST_F(FakePromotionsTest, Expiry) {
  Promotion promo = Fixed("SOON", 100);
  promo.expires_at = 10 * kMinuteUs;
  promotions.AddPromotion(promo);
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("SOON", "ord-1", 100)).ok());
  clock.Set(10 * kMinuteUs);
  EXPECT_EQ(RunSync(promotions.Validate("SOON", 1'000)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(RunSync(promotions.ClaimUsage("SOON", "ord-2", 100)).code(), Code::kFailedPrecondition);
  EXPECT_TRUE(RunSync(promotions.ClaimUsage("SOON", "ord-1", 100)).ok())
      << "a retry of a claim made in time";
  EXPECT_EQ(promotions.UsageCount("SOON"), 1);

  promotions.AddPromotion(Fixed("FOREVER", 100));
  EXPECT_TRUE(RunSync(promotions.Validate("FOREVER", 1'000)).ok());
  promotions.ExpireNow("FOREVER");
  EXPECT_EQ(RunSync(promotions.Validate("FOREVER", 1'000)).code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace csim::fakes
