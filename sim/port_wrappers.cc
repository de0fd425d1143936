#include "sim/port_wrappers.h"

namespace csim::sim {

std::string FaultyCheckoutStore::Describe(const CheckoutWrite& write) {
  std::string text;
  for (const CartWrite& c : write.carts) {
    text += fmt::format("cart {} v{} {};", c.cart.id, c.cart.version, Name(c.cart.status));
  }
  for (const Event& e : write.outbox) text += fmt::format("outbox {};", e.topic);
  for (const FailedCompensation& c : write.compensations) {
    text += fmt::format("compensation {} {};", Name(c.kind), c.subject);
  }
  return text;
}

std::string FaultyOrderStore::Describe(const OrderWrite& write) {
  std::string text;
  if (write.insert)
    text += fmt::format("insert {} {};", write.insert->id, Name(write.insert->status));
  if (write.update) {
    text += fmt::format("update {} v{} {};", write.update->id, write.update->version,
                        Name(write.update->status));
  }
  for (const Event& e : write.outbox) text += fmt::format("outbox {};", e.topic);
  if (!write.processed_event_id.empty()) text += "processed " + write.processed_event_id;
  return text;
}

}  // namespace csim::sim
