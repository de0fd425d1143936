#include "fakes/fake_fraud.h"

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

Task<Status> FakeFraud::PreCheck(const std::string& customer_id, Money amount) {
  return Deferred<Status>([this, customer_id, amount] { return PreCheckNow(customer_id, amount); });
}

Status FakeFraud::PreCheckNow(const std::string& customer_id, Money amount) {
  if (amount < 0) return Status{Code::kInvalidArgument, "negative amount"};
  check_count_++;
  if (blocked_.contains(customer_id)) {
    rejected_count_++;
    return Status{Code::kRejected, "customer blocked by fraud check"};
  }
  if (max_amount_ > 0 && amount > max_amount_) {
    rejected_count_++;
    return Status{Code::kRejected, "amount above the fraud threshold"};
  }
  CSIM_CHECK(rejected_count_ <= check_count_);
  return Status::Ok();
}

void FakeFraud::Block(const std::string& customer_id) {
  CSIM_CHECK(!customer_id.empty());
  blocked_.insert(customer_id);
  CSIM_CHECK(blocked_.size() <= kBlockedMax, "kBlockedMax");
}

void FakeFraud::Unblock(const std::string& customer_id) {
  blocked_.erase(customer_id);
}

void FakeFraud::SetMaxAmount(Money max_amount) {
  CSIM_CHECK(max_amount >= 0, "0 means no threshold");
  max_amount_ = max_amount;
}

}  // namespace csim::fakes
