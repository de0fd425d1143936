#include "fakes/fake_fulfillment.h"

#include <algorithm>

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

Task<Result<TimeUs>> FakeFulfillment::CallOff(const std::string& order_id) {
  return Deferred<Result<TimeUs>>([this, order_id] { return CallOffNow(order_id); });
}

Result<TimeUs> FakeFulfillment::CallOffNow(const std::string& order_id) {
  if (order_id.empty()) return Status{Code::kInvalidArgument, "empty order id"};
  ++call_off_count_;
  if (shipped_.contains(order_id)) {
    ++refused_count_;
    return Status{Code::kFailedPrecondition, "the order's goods already left"};
  }
  const TimeUs until = clock_.Now() + kHoldUs;
  TimeUs& held = held_until_[order_id];
  held = std::max(held, until);
  CSIM_CHECK(held_until_.size() <= kOrdersMax, "kOrdersMax");
  CSIM_CHECK(refused_count_ <= call_off_count_);
  return held;
}

void FakeFulfillment::Stop(const std::string& order_id) {
  CSIM_CHECK(!order_id.empty());
  stopped_.insert(order_id);
  CSIM_CHECK(stopped_.size() <= kOrdersMax, "kOrdersMax");
}

std::optional<TimeUs> FakeFulfillment::HeldUntil(const std::string& order_id) const {
  auto found = held_until_.find(order_id);
  if (found == held_until_.end()) return std::nullopt;
  return found->second;
}

void FakeFulfillment::Ship(const std::string& order_id) {
  CSIM_CHECK(!Stopped(order_id), "a stopped order does not ship");
  const std::optional<TimeUs> held = HeldUntil(order_id);
  CSIM_CHECK(!held || *held <= clock_.Now(), "a held order does not ship");
  CSIM_CHECK(shipped_.emplace(order_id, clock_.Now()).second, "an order ships once");
  CSIM_CHECK(shipped_.size() <= kOrdersMax, "kOrdersMax");
}

}  // namespace csim::fakes
