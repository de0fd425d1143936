#pragma once
// A PaymentGateway that forwards every call to another (LevelDB's EnvWrapper idea): a test
// derives from it and overrides only the call it makes fail or counts.

#include <string>

#include "core/ports/payment.h"

namespace csim::test_ports {

class ForwardingPaymentGateway : public PaymentGateway {
 public:
  explicit ForwardingPaymentGateway(PaymentGateway& inner) : inner_(inner) {}
  Task<Result<std::string>> Authorize(const std::string& key, const std::string& customer_id,
                                      Money amount) override {
    return inner_.Authorize(key, customer_id, amount);
  }
  Task<Result<std::string>> LookupAuthorization(const std::string& key) override {
    return inner_.LookupAuthorization(key);
  }
  Task<Status> Void(const std::string& authorization_id) override {
    return inner_.Void(authorization_id);
  }
  Task<Status> Capture(const std::string& authorization_id, const std::string& order_id,
                       Money amount) override {
    return inner_.Capture(authorization_id, order_id, amount);
  }
  Task<Status> Refund(const std::string& authorization_id, const std::string& order_id,
                      Money amount) override {
    return inner_.Refund(authorization_id, order_id, amount);
  }

 protected:
  PaymentGateway& inner() { return inner_; }

 private:
  PaymentGateway& inner_;
};

}  // namespace csim::test_ports
