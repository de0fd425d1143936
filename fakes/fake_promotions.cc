#include "fakes/fake_promotions.h"

#include <algorithm>

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

// ---- Port ----

Task<Result<PromoQuote>> FakePromotions::Validate(const std::string& code, Money subtotal) {
  return Deferred<Result<PromoQuote>>(
      [this, code, subtotal] { return ValidateNow(code, subtotal); });
}

Task<Status> FakePromotions::ClaimUsage(const std::string& code, const std::string& reference,
                                        Money discount) {
  return Deferred<Status>(
      [this, code, reference, discount] { return ClaimNow(code, reference, discount); });
}

Task<Status> FakePromotions::ReleaseUsage(const std::string& code, const std::string& reference) {
  return Deferred<Status>([this, code, reference] { return ReleaseNow(code, reference); });
}

Result<PromoQuote> FakePromotions::ValidateNow(const std::string& code, Money subtotal) const {
  if (subtotal < 0) return Status{Code::kInvalidArgument, "negative subtotal"};
  if (subtotal > kSubtotalMax) return Status{Code::kInvalidArgument, "subtotal too large"};
  auto it = promotions_.find(code);
  if (it == promotions_.end()) return Status{Code::kNotFound, "unknown promotion " + code};
  const Promotion& promotion = it->second;
  if (Expired(promotion)) return Status{Code::kFailedPrecondition, "promotion expired"};
  Money discount = promotion.discount;
  if (promotion.percent_bp > 0) discount = subtotal * promotion.percent_bp / kBasisPointsPerWhole;
  discount = std::min(discount, subtotal);
  CSIM_CHECK(discount >= 0);
  if (std::string reason = SpentReason(promotion, discount); !reason.empty()) {
    return Status{Code::kFailedPrecondition, reason};
  }
  return PromoQuote{code, discount, promotion.single_use};
}

Status FakePromotions::ClaimNow(const std::string& code, const std::string& reference,
                                Money discount) {
  if (reference.empty()) return Status{Code::kInvalidArgument, "empty reference"};
  if (discount < 0) return Status{Code::kInvalidArgument, "negative discount"};
  auto it = promotions_.find(code);
  if (it == promotions_.end()) return Status{Code::kNotFound, "unknown promotion " + code};
  Promotion& promotion = it->second;
  if (promotion.usages.contains(reference)) return Status::Ok();  // a retry: counted once
  if (Expired(promotion)) return Status{Code::kFailedPrecondition, "promotion expired"};
  if (std::string reason = SpentReason(promotion, discount); !reason.empty()) {
    return Status{Code::kInsufficient, reason};
  }
  CSIM_CHECK(promotion.usages.size() < kUsagesPerPromotionMax, "kUsagesPerPromotionMax");
  promotion.usages[reference] = discount;
  usage_changes_.Note(&it->first);
  promotion.discount_granted += discount;
  CSIM_CHECK(promotion.budget_money == 0 || promotion.discount_granted <= promotion.budget_money);
  CSIM_CHECK(!promotion.single_use || promotion.usages.size() == 1);
  return Status::Ok();
}

Status FakePromotions::ReleaseNow(const std::string& code, const std::string& reference) {
  auto it = promotions_.find(code);
  if (it == promotions_.end()) return Status{Code::kNotFound, "unknown promotion " + code};
  Promotion& promotion = it->second;
  auto usage = promotion.usages.find(reference);
  if (usage == promotion.usages.end()) return Status::Ok();
  promotion.released_count++;
  promotion.released_money += usage->second;
  promotion.discount_granted -= usage->second;
  promotion.usages.erase(usage);
  usage_changes_.Note(&it->first);
  CSIM_CHECK(promotion.discount_granted >= 0);
  return Status::Ok();
}

// ---- World controls ----

void FakePromotions::AddPromotion(const Promotion& promotion) {
  CSIM_CHECK(!promotion.code.empty(), "a promotion needs a code");
  CSIM_CHECK(!promotions_.contains(promotion.code), "promotion codes are unique");
  CSIM_CHECK((promotion.discount > 0) != (promotion.percent_bp > 0),
             "exactly one of discount and percent_bp");
  CSIM_CHECK(promotion.discount >= 0);
  CSIM_CHECK(promotion.percent_bp >= 0);
  CSIM_CHECK(promotion.percent_bp <= kBasisPointsPerWhole);
  CSIM_CHECK(promotion.max_uses >= 0);
  CSIM_CHECK(promotion.budget_money >= 0);
  CSIM_CHECK(promotion.expires_at >= 0);
  CSIM_CHECK(promotion.usages.empty(), "a new promotion has no usage");
  CSIM_CHECK(promotion.discount_granted == 0);
  CSIM_CHECK(promotion.released_count == 0);
  CSIM_CHECK(promotions_.size() < kPromotionsMax, "kPromotionsMax");
  auto [added, inserted] = promotions_.emplace(promotion.code, promotion);
  CSIM_CHECK(inserted);
  usage_changes_.Note(&added->first);
}

void FakePromotions::ExpireNow(const std::string& code) {
  auto it = promotions_.find(code);
  CSIM_CHECK(it != promotions_.end(), "ExpireNow of an unknown promotion");
  // expires_at 0 means "never", so a promotion expired at time 0 is expired at time 1.
  it->second.expires_at = std::max<TimeUs>(clock_.Now(), 1);
}

// ---- Truth ----

const Promotion& FakePromotions::Get(const std::string& code) const {
  auto it = promotions_.find(code);
  CSIM_CHECK(it != promotions_.end(), "unknown promotion");
  return it->second;
}

std::int64_t FakePromotions::UsageCount(const std::string& code) const {
  return static_cast<std::int64_t>(Get(code).usages.size());
}

Money FakePromotions::DiscountGranted(const std::string& code) const {
  return Get(code).discount_granted;
}

// ---- Rules ----

bool FakePromotions::Expired(const Promotion& promotion) const {
  return promotion.expires_at != 0 && clock_.Now() >= promotion.expires_at;
}

std::string FakePromotions::SpentReason(const Promotion& promotion, Money discount) {
  const auto uses = static_cast<std::int64_t>(promotion.usages.size());
  if (promotion.single_use && uses > 0) return "coupon already used";
  if (promotion.max_uses > 0 && uses >= promotion.max_uses) return "promotion uses exhausted";
  if (promotion.budget_money > 0 &&
      promotion.discount_granted + discount > promotion.budget_money) {
    return "promotion budget exhausted";
  }
  return "";
}

}  // namespace csim::fakes
