#pragma once
// Fraud pre-check (step 3 of ConfirmCheckout).

#include <string>

#include "core/money.h"
#include "core/status.h"
#include "core/task.h"

namespace csim {

class FraudService {
 public:
  virtual ~FraudService() = default;
  // Ok if the customer may pay `amount`; kRejected if the check refuses. Read-only.
  virtual Task<Status> PreCheck(const std::string& customer_id, Money amount) = 0;
};

}  // namespace csim
