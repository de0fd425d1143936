#include "fakes/fake_loyalty.h"

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

Task<Result<std::int64_t>> FakeLoyalty::Balance(const std::string& customer_id) {
  return Deferred<Result<std::int64_t>>(
      [this, customer_id] { return Result<std::int64_t>{BalanceOf(customer_id)}; });
}

Task<Status> FakeLoyalty::Redeem(const std::string& customer_id, std::int64_t points,
                                 const std::string& reference) {
  return Deferred<Status>(
      [this, customer_id, points, reference] { return RedeemNow(customer_id, points, reference); });
}

Task<Status> FakeLoyalty::GiveBack(const std::string& customer_id, const std::string& reference) {
  return Deferred<Status>(
      [this, customer_id, reference] { return GiveBackNow(customer_id, reference); });
}

Task<Status> FakeLoyalty::Earn(const std::string& customer_id, std::int64_t points,
                               const std::string& reference) {
  return Deferred<Status>(
      [this, customer_id, points, reference] { return EarnNow(customer_id, points, reference); });
}

Status FakeLoyalty::RedeemNow(const std::string& customer_id, std::int64_t points,
                              const std::string& reference) {
  if (points <= 0) return Status{Code::kInvalidArgument, "points must be positive"};
  if (points > kPointsMax) return Status{Code::kInvalidArgument, "too many points"};
  if (reference.empty()) return Status{Code::kInvalidArgument, "empty reference"};
  if (redemptions_.contains(reference)) return Status::Ok();  // a retry deducts nothing
  if (BalanceOf(customer_id) < points) return Status{Code::kInsufficient, "balance too low"};
  CSIM_CHECK(redemptions_.size() < kReferencesMax, "kReferencesMax");
  std::int64_t& balance = BalanceFor(customer_id);
  balance -= points;
  CSIM_CHECK(balance >= 0, "a balance never goes below zero");
  redemptions_[reference] = Redemption{customer_id, points, false};
  total_redeemed_ += points;
  return Status::Ok();
}

Status FakeLoyalty::GiveBackNow(const std::string& customer_id, const std::string& reference) {
  auto it = redemptions_.find(reference);
  if (it == redemptions_.end()) return Status::Ok();
  Redemption& redemption = it->second;
  if (redemption.customer_id != customer_id) {
    return Status{Code::kInvalidArgument, "reference belongs to another customer"};
  }
  if (redemption.given_back) return Status::Ok();
  std::int64_t& balance = BalanceFor(customer_id);
  balance += redemption.points;
  redemption.given_back = true;
  total_given_back_ += redemption.points;
  CSIM_CHECK(total_given_back_ <= total_redeemed_, "gave back more than was redeemed");
  return Status::Ok();
}

Status FakeLoyalty::EarnNow(const std::string& customer_id, std::int64_t points,
                            const std::string& reference) {
  if (points <= 0) return Status{Code::kInvalidArgument, "points must be positive"};
  if (points > kPointsMax) return Status{Code::kInvalidArgument, "too many points"};
  if (reference.empty()) return Status{Code::kInvalidArgument, "empty reference"};
  if (earnings_.contains(reference)) return Status::Ok();  // earned once per reference
  CSIM_CHECK(earnings_.size() < kReferencesMax, "kReferencesMax");
  BalanceFor(customer_id) += points;
  earnings_[reference] = Earning{customer_id, points};
  total_earned_ += points;
  CSIM_CHECK(total_earned_ > 0);
  return Status::Ok();
}

void FakeLoyalty::SetBalance(const std::string& customer_id, std::int64_t points) {
  CSIM_CHECK(!customer_id.empty());
  CSIM_CHECK(points >= 0, "a balance never goes below zero");
  CSIM_CHECK(points <= kPointsMax);
  BalanceFor(customer_id) = points;
}

std::int64_t FakeLoyalty::BalanceOf(const std::string& customer_id) const {
  auto it = balances_.find(customer_id);
  return it == balances_.end() ? 0 : it->second;
}

std::int64_t FakeLoyalty::RedeemedActive(const std::string& reference) const {
  auto it = redemptions_.find(reference);
  if (it == redemptions_.end() || it->second.given_back) return 0;
  return it->second.points;
}

std::int64_t& FakeLoyalty::BalanceFor(const std::string& customer_id) {
  auto [it, inserted] = balances_.try_emplace(customer_id, 0);
  CSIM_CHECK(balances_.size() <= kCustomersMax, "kCustomersMax");
  balance_changes_.Note(&it->first);  // every caller changes it
  std::int64_t& balance = it->second;
  return balance;
}

}  // namespace csim::fakes
