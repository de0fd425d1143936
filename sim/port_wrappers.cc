#include "sim/port_wrappers.h"

namespace csim::sim {

// Each part is appended to one string, reserved once: these details are built at every commit.
// (The same text as the fmt::format_to calls they replaced; sim/detail_text.h says why.)
std::string FaultyCheckoutStore::Describe(const CheckoutWrite& write) {
  std::string text;
  text.reserve(kDetailTextReserve);
  for (const CartWrite& c : write.carts) {
    AppendDetailText(text, "cart ", c.cart.id, " v", c.cart.version, " ", Name(c.cart.status), ";");
  }
  for (const Event& e : write.outbox) AppendDetailText(text, "outbox ", e.topic, ";");
  for (const FailedCompensation& c : write.compensations) {
    AppendDetailText(text, "compensation ", Name(c.kind), " ", c.subject, ";");
  }
  return text;
}

std::string FaultyOrderStore::Describe(const OrderWrite& write) {
  std::string text;
  text.reserve(kDetailTextReserve);
  if (write.insert) {
    AppendDetailText(text, "insert ", write.insert->id, " ", Name(write.insert->status), ";");
  }
  if (write.update) {
    AppendDetailText(text, "update ", write.update->id, " v", write.update->version, " ",
                     Name(write.update->status), ";");
  }
  for (const Event& e : write.outbox) AppendDetailText(text, "outbox ", e.topic, ";");
  if (!write.processed_event_id.empty()) {
    AppendDetailText(text, "processed ", write.processed_event_id);
  }
  return text;
}

}  // namespace csim::sim
