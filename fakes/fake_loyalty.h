#pragma once
// FakeLoyalty: point balances, redemption per reference (given back at most once), earning per
// reference. A balance never goes below zero (CSIM_CHECKed): LOYALTY-CONSERVED reads the rest.

#include <cstdint>
#include <map>
#include <string>

#include "core/ports/loyalty.h"
#include "fakes/change_journal.h"

namespace csim::fakes {

struct Redemption {
  std::string customer_id;
  std::int64_t points = 0;
  bool given_back = false;
  bool operator==(const Redemption&) const = default;
};

struct Earning {
  std::string customer_id;
  std::int64_t points = 0;
  bool operator==(const Earning&) const = default;
};

class FakeLoyalty final : public Loyalty {
 public:
  static constexpr std::size_t kReferencesMax = 1'000'000;
  static constexpr std::size_t kCustomersMax = 1'000'000;
  static constexpr std::int64_t kPointsMax = 1'000'000'000'000;

  // 0 for a customer never seen.
  Task<Result<std::int64_t>> Balance(const std::string& customer_id) override;
  // kInvalidArgument for points <= 0 or an empty reference; a known reference is Ok and deducts
  // nothing (even after its give-back); kInsufficient if the balance is below `points`.
  Task<Status> Redeem(const std::string& customer_id, std::int64_t points,
                      const std::string& reference) override;
  // Ok if there is no redemption or it was given back; kInvalidArgument if the reference belongs
  // to another customer.
  Task<Status> GiveBack(const std::string& customer_id, const std::string& reference) override;
  // kInvalidArgument for points <= 0 or an empty reference; a known reference is Ok.
  Task<Status> Earn(const std::string& customer_id, std::int64_t points,
                    const std::string& reference) override;

  // World.
  void SetBalance(const std::string& customer_id, std::int64_t points);

  // Truth.
  const std::map<std::string, std::int64_t>& Balances() const { return balances_; }
  // The customer (the key in Balances()) of every balance changed.
  const ChangeJournal<const std::string*>& BalanceChanges() const { return balance_changes_; }
  std::int64_t BalanceOf(const std::string& customer_id) const;
  const std::map<std::string, Redemption>& Redemptions() const { return redemptions_; }
  const std::map<std::string, Earning>& Earnings() const { return earnings_; }
  // Points of `reference` redeemed and not given back (0 if none).
  std::int64_t RedeemedActive(const std::string& reference) const;
  std::int64_t TotalRedeemed() const { return total_redeemed_; }  // every redemption ever
  std::int64_t TotalGivenBack() const { return total_given_back_; }
  std::int64_t TotalEarned() const { return total_earned_; }

 private:
  Status RedeemNow(const std::string& customer_id, std::int64_t points,
                   const std::string& reference);
  Status GiveBackNow(const std::string& customer_id, const std::string& reference);
  Status EarnNow(const std::string& customer_id, std::int64_t points, const std::string& reference);
  std::int64_t& BalanceFor(const std::string& customer_id);

  std::map<std::string, std::int64_t> balances_;
  ChangeJournal<const std::string*> balance_changes_;
  std::map<std::string, Redemption> redemptions_;  // by reference
  std::map<std::string, Earning> earnings_;        // by reference
  std::int64_t total_redeemed_ = 0;
  std::int64_t total_given_back_ = 0;
  std::int64_t total_earned_ = 0;
};

}  // namespace csim::fakes
