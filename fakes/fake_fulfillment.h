#pragma once
// FakeFulfillment: the fulfilment service's own record of the orders it was told to stop, the
// holds the order service placed on them (SIM-44) and the goods that left. The world's fulfilment
// actor asks it before each step and ships through it; the order service only calls off.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/ports/clock.h"
#include "core/ports/fulfillment.h"

namespace csim::fakes {

class FakeFulfillment final : public Fulfillment {
 public:
  // Long enough for a cancellation's own commit, whatever the store's latency; short enough that
  // an order whose cancellation never came is only a little late.
  static constexpr DurationUs kHoldUs = 30 * kMinuteUs;
  static constexpr std::size_t kOrdersMax = 10'000'000;

  explicit FakeFulfillment(const Clock& clock) : clock_(clock) {}

  // kFailedPrecondition once the order's goods left; otherwise holds it until now + kHoldUs
  // and returns that time. kInvalidArgument for an empty id.
  Task<Result<TimeUs>> CallOff(const std::string& order_id) override;

  // World: the fulfilment service's side.
  // It knows the order was cancelled: nothing more of it ships. Idempotent.
  void Stop(const std::string& order_id);
  bool Stopped(const std::string& order_id) const { return stopped_.contains(order_id); }
  // Until when a call-off holds the order (maybe past); nullopt if it was never held.
  std::optional<TimeUs> HeldUntil(const std::string& order_id) const;
  // The goods leave now. REQUIRES: not stopped, not held now, not shipped before.
  void Ship(const std::string& order_id);

  // Truth.
  const std::map<std::string, TimeUs>& Shipped() const { return shipped_; }
  std::int64_t CallOffCount() const { return call_off_count_; }
  std::int64_t RefusedCount() const { return refused_count_; }

 private:
  Result<TimeUs> CallOffNow(const std::string& order_id);

  const Clock& clock_;
  // Only looked up, never iterated: hash containers.
  std::unordered_set<std::string> stopped_;
  std::unordered_map<std::string, TimeUs> held_until_;
  std::map<std::string, TimeUs> shipped_;  // when the goods left, by order
  std::int64_t call_off_count_ = 0;
  std::int64_t refused_count_ = 0;
};

}  // namespace csim::fakes
