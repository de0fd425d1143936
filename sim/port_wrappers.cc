#include "sim/port_wrappers.h"

#include <iterator>

namespace csim::sim {

// Each part is formatted straight into one stack buffer, copied out once (not a temporary string
// per part): these details are formatted at every commit. fmt's own buffer, since formatting onto
// a std::string through back_inserter went a character at a time (more instructions than before).
std::string FaultyCheckoutStore::Describe(const CheckoutWrite& write) {
  fmt::memory_buffer text;
  auto out = std::back_inserter(text);
  for (const CartWrite& c : write.carts) {
    fmt::format_to(out, "cart {} v{} {};", c.cart.id, c.cart.version, Name(c.cart.status));
  }
  for (const Event& e : write.outbox) fmt::format_to(out, "outbox {};", e.topic);
  for (const FailedCompensation& c : write.compensations) {
    fmt::format_to(out, "compensation {} {};", Name(c.kind), c.subject);
  }
  return fmt::to_string(text);
}

std::string FaultyOrderStore::Describe(const OrderWrite& write) {
  fmt::memory_buffer text;
  auto out = std::back_inserter(text);
  if (write.insert)
    fmt::format_to(out, "insert {} {};", write.insert->id, Name(write.insert->status));
  if (write.update) {
    fmt::format_to(out, "update {} v{} {};", write.update->id, write.update->version,
                   Name(write.update->status));
  }
  for (const Event& e : write.outbox) fmt::format_to(out, "outbox {};", e.topic);
  if (!write.processed_event_id.empty()) {
    fmt::format_to(out, "processed {}", write.processed_event_id);
  }
  return fmt::to_string(text);
}

}  // namespace csim::sim
