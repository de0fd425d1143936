#pragma once
// FakeFraud: refuses blocked customers and amounts above a threshold. Read-only for callers; the
// world blocks customers or moves the threshold.

#include <cstdint>
#include <set>
#include <string>

#include "core/ports/fraud.h"

namespace csim::fakes {

class FakeFraud final : public FraudService {
 public:
  static constexpr std::size_t kBlockedMax = 100'000;

  // kRejected if the customer is blocked or `amount` > the threshold (when one is set);
  // kInvalidArgument for a negative amount.
  Task<Status> PreCheck(const std::string& customer_id, Money amount) override;

  // World.
  void Block(const std::string& customer_id);
  void Unblock(const std::string& customer_id);
  // 0 removes the threshold.
  void SetMaxAmount(Money max_amount);

  // Truth.
  const std::set<std::string>& Blocked() const { return blocked_; }
  Money MaxAmount() const { return max_amount_; }
  std::int64_t CheckCount() const { return check_count_; }
  std::int64_t RejectedCount() const { return rejected_count_; }

 private:
  Status PreCheckNow(const std::string& customer_id, Money amount);

  std::set<std::string> blocked_;
  Money max_amount_ = 0;
  std::int64_t check_count_ = 0;
  std::int64_t rejected_count_ = 0;
};

}  // namespace csim::fakes
