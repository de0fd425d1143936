#pragma once
// Helpers the invariants share: which orders are live, and orders by cart session.

#include <map>
#include <string>

#include "core/model.h"
#include "core/order/transitions.h"

namespace csim::properties {

// cart_session_id -> order, for every order in the order DB.
inline std::map<std::string, const Order*> OrdersBySession(
    const std::map<std::string, Order>& orders) {
  std::map<std::string, const Order*> by_session;
  for (const auto& [id, order] : orders) by_session[order.cart_session_id] = &order;
  return by_session;
}

// checkout_attempt -> order, for every order (the key of its usages, points and authorization).
inline std::map<std::string, const Order*> OrdersByAttempt(
    const std::map<std::string, Order>& orders) {
  std::map<std::string, const Order*> by_attempt;
  for (const auto& [id, order] : orders) by_attempt[order.checkout_attempt] = &order;
  return by_attempt;
}

}  // namespace csim::properties
