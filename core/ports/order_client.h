#pragma once
// The order service as checkout sees it (gRPC in production).

#include <string>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "core/task.h"

namespace csim {

struct CreateOrderRequest {
  std::string cart_session_id;
  std::string checkout_attempt;  // the key of the attempt's promotion usages and points
  std::string customer_id;
  std::vector<OrderItem> items;
  Money subtotal = 0;
  Money shipping_fee = 0;
  Money discount = 0;
  std::int64_t points_redeemed = 0;
  Money points_value = 0;
  Money total = 0;
  std::vector<std::string> promo_codes;
  PaymentMethod payment_method = PaymentMethod::kCard;
  std::string authorization_id;
};

class OrderClient {
 public:
  virtual ~OrderClient() = default;
  // Creates the order with its outbox event in one transaction. The same cart_session_id returns
  // the existing order (unique constraint). kInvalidArgument if the totals do not add up or
  // exceed the maximum amount.
  virtual Task<Result<Order>> CreateOrder(const CreateOrderRequest& request) = 0;
  // Cancels an order on checkout's behalf (a compensation after creation), releasing its stock.
  virtual Task<Status> CancelOrder(const std::string& order_id, const std::string& reason) = 0;
  // The order created from `cart_session_id`, or kNotFound.
  virtual Task<Result<Order>> FindBySession(const std::string& cart_session_id) = 0;
};

}  // namespace csim
