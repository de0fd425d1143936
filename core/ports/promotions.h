#pragma once
// Promotions service: validation, usage claimed against a budget, release of a claim.

#include <string>

#include "core/money.h"
#include "core/status.h"
#include "core/task.h"

namespace csim {

struct PromoQuote {
  std::string code;
  Money discount = 0;
  bool single_use = false;  // a coupon: needs a lock and may be used once
};

class Promotions {
 public:
  virtual ~Promotions() = default;
  // The discount `code` grants on `subtotal`. kFailedPrecondition if expired or exhausted,
  // kNotFound if unknown. Read-only.
  virtual Task<Result<PromoQuote>> Validate(const std::string& code, Money subtotal) = 0;
  // Records one use of `code` worth `discount` for `reference` against its budget. Idempotent by
  // reference. kFailedPrecondition if expired, kInsufficient if the budget or coupon is spent.
  virtual Task<Status> ClaimUsage(const std::string& code, const std::string& reference,
                                  Money discount) = 0;
  // Gives back the use recorded for `reference`. Ok if there is none.
  virtual Task<Status> ReleaseUsage(const std::string& code, const std::string& reference) = 0;
};

}  // namespace csim
