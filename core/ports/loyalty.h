#pragma once
// Loyalty points: balance, redemption at checkout (EC-12), give-back, earning after delivery.

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/task.h"

namespace csim {

class Loyalty {
 public:
  virtual ~Loyalty() = default;
  // Points the customer can redeem now.
  virtual Task<Result<std::int64_t>> Balance(const std::string& customer_id) = 0;
  // Deducts `points` for `reference`. Idempotent by reference; kInsufficient if the balance is low.
  virtual Task<Status> Redeem(const std::string& customer_id, std::int64_t points,
                              const std::string& reference) = 0;
  // Returns the points redeemed for `reference`. Ok if none or already returned.
  virtual Task<Status> GiveBack(const std::string& customer_id, const std::string& reference) = 0;
  // Credits `points` for `reference` (orders.order.completed). Idempotent by reference.
  virtual Task<Status> Earn(const std::string& customer_id, std::int64_t points,
                            const std::string& reference) = 0;
};

}  // namespace csim
