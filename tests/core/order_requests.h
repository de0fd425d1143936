#pragma once
// The order ConfirmSaga asks the order service for, as the order tests build it: `quantity` units
// of sku-1 at wh-1 under a live reservation (and, for a card order, an authorization of the
// total), its totals consistent.

#include <cstdint>
#include <string>

#include "core/model.h"
#include "core/ports/payment.h"
#include "core/ports/warehouse.h"
#include "fakes/run_sync.h"

namespace csim::test_ports {

inline CreateOrderRequest ReservedOrderRequest(WarehouseInventory& warehouse,
                                               PaymentGateway& payment, const std::string& session,
                                               std::int32_t quantity, Money unit_price,
                                               PaymentMethod method = PaymentMethod::kCard) {
  const ReserveRequest reserve{"sku-1", "wh-1", quantity, 15 * kMinuteUs, session + ":0"};
  const std::string reservation_id = fakes::RunSync(warehouse.ReserveWithTtl(reserve)).value();
  CreateOrderRequest r;
  r.cart_session_id = session;
  r.customer_id = "cust-1";
  r.items.push_back(OrderItem{"sku-1", "wh-1", quantity, unit_price, reservation_id});
  r.subtotal = unit_price * quantity;
  r.total = r.subtotal;
  r.payment_method = method;
  if (method == PaymentMethod::kCard) {
    r.authorization_id = fakes::RunSync(payment.Authorize(session, "cust-1", r.total)).value();
  }
  return r;
}

}  // namespace csim::test_ports
