#pragma once
// Payment gateway. Calls are idempotent by key, so a retry after a timeout never charges twice.
// The gateway later reports outcomes as webhooks on the bus: payments.payment.confirmed,
// payments.payment.failed, payments.refund.completed.

#include <string>

#include "core/money.h"
#include "core/status.h"
#include "core/task.h"

namespace csim {

class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;
  // Holds `amount` on the customer's card; returns the authorization id. The same
  // `idempotency_key` returns the same authorization. kRejected if declined.
  virtual Task<Result<std::string>> Authorize(const std::string& idempotency_key,
                                              const std::string& customer_id, Money amount) = 0;
  // The authorization made with `idempotency_key`, without making one: its id, or kNotFound if no
  // Authorize with that key took effect. Lets a caller whose Authorize timed out void the hold.
  virtual Task<Result<std::string>> LookupAuthorization(const std::string& idempotency_key) = 0;
  // Releases an authorization that was not captured. Ok if already voided.
  // kFailedPrecondition if it was captured.
  virtual Task<Status> Void(const std::string& authorization_id) = 0;
  // Captures `amount` (<= authorized) for `order_id`. Ok if already captured (idempotent);
  // kFailedPrecondition if voided or lapsed. The outcome reaches the order service later as a
  // payments.payment.confirmed or payments.payment.failed webhook carrying order_id.
  virtual Task<Status> Capture(const std::string& authorization_id, const std::string& order_id,
                               Money amount) = 0;
  // Refunds `amount` of the capture made for `order_id`; one refund per order, so a retry never
  // refunds twice. Completion comes later as payments.refund.completed carrying order_id.
  virtual Task<Status> Refund(const std::string& authorization_id, const std::string& order_id,
                              Money amount) = 0;
};

}  // namespace csim
