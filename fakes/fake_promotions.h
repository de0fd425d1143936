#pragma once
// FakePromotions: promotion codes with a fixed or percentage discount, a budget in uses and/or in
// money, single-use coupons and an expiry. A usage is claimed per reference (an order or checkout
// session) and released on cancellation or compensation; the budget counts active usages only.

#include <cstdint>
#include <map>
#include <string>

#include "core/ports/clock.h"
#include "core/ports/promotions.h"
#include "fakes/change_journal.h"

namespace csim::fakes {

struct Promotion {
  // ---- Definition (what AddPromotion takes) ----
  std::string code;
  Money discount = 0;           // fixed discount; 0 when percent_bp is used
  std::int32_t percent_bp = 0;  // basis points of the subtotal (1000 = 10 %)
  std::int64_t max_uses = 0;    // budget in uses; 0 = unlimited
  Money budget_money = 0;       // budget in money; 0 = unlimited
  bool single_use = false;      // a coupon: at most one active usage
  TimeUs expires_at = 0;        // 0 = never; expired when now >= expires_at
  // ---- State ----
  std::map<std::string, Money> usages;  // reference -> discount, active usages
  Money discount_granted = 0;           // sum of the active usages (what the budget counts)
  std::int64_t released_count = 0;      // usages given back
  Money released_money = 0;
  bool operator==(const Promotion&) const = default;
};

class FakePromotions final : public Promotions {
 public:
  static constexpr std::size_t kPromotionsMax = 10'000;
  static constexpr std::size_t kUsagesPerPromotionMax = 1'000'000;
  static constexpr Money kSubtotalMax = Money{1'000'000'000'000'000} / 1'000;  // 10^13 VND
  static constexpr std::int32_t kBasisPointsPerWhole = 10'000;

  explicit FakePromotions(const Clock& clock) : clock_(clock) {}

  // The discount (capped at the subtotal). kNotFound if unknown; kFailedPrecondition if expired
  // or if claiming it now would fail (uses, money budget or coupon spent).
  Task<Result<PromoQuote>> Validate(const std::string& code, Money subtotal) override;
  // Idempotent by reference (a repeat is Ok even after expiry). kNotFound if unknown;
  // kFailedPrecondition if expired; kInsufficient if max_uses, budget_money or the coupon is
  // spent; kInvalidArgument for a negative discount or empty reference.
  Task<Status> ClaimUsage(const std::string& code, const std::string& reference,
                          Money discount) override;
  // kNotFound if the code is unknown; Ok (nothing done) if the reference has no usage.
  Task<Status> ReleaseUsage(const std::string& code, const std::string& reference) override;

  // ---- World controls ----
  // REQUIRES: a new non-empty code, exactly one of discount / percent_bp, empty state.
  void AddPromotion(const Promotion& promotion);
  void ExpireNow(const std::string& code);

  // ---- Truth ----
  const std::map<std::string, Promotion>& PromotionsByCode() const { return promotions_; }
  // The code (the key in PromotionsByCode()) of every promotion added or whose usages changed.
  const ChangeJournal<const std::string*>& UsageChanges() const { return usage_changes_; }
  const Promotion& Get(const std::string& code) const;  // REQUIRES: known code
  std::int64_t UsageCount(const std::string& code) const;
  Money DiscountGranted(const std::string& code) const;

 private:
  Result<PromoQuote> ValidateNow(const std::string& code, Money subtotal) const;
  Status ClaimNow(const std::string& code, const std::string& reference, Money discount);
  Status ReleaseNow(const std::string& code, const std::string& reference);

  bool Expired(const Promotion& promotion) const;
  // Why one more usage worth `discount` would not fit the budget; empty if it would.
  static std::string SpentReason(const Promotion& promotion, Money discount);

  const Clock& clock_;
  std::map<std::string, Promotion> promotions_;
  ChangeJournal<const std::string*> usage_changes_;
};

}  // namespace csim::fakes
