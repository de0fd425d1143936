#include "core/checkout/checkout_transitions.h"

#include <array>
#include <utility>

#include "core/order/transitions.h"

namespace csim {
namespace {

using S = OrderStatus;
// P1-CC-05 / M-05: the domain table with no partially_shipped entry.
constexpr std::array<std::pair<S, S>, 11> kCheckoutAllowed{{
    {S::kPending, S::kConfirmed},
    {S::kPending, S::kCancelled},
    {S::kConfirmed, S::kProcessing},
    {S::kConfirmed, S::kCancelled},
    {S::kProcessing, S::kShipped},
    {S::kProcessing, S::kCancelled},
    {S::kShipped, S::kDelivered},
    {S::kDelivered, S::kReturned},
    {S::kDelivered, S::kRefunded},
    {S::kReturned, S::kRefunded},
    {S::kCancelled, S::kRefunded},
}};

}  // namespace

bool CheckoutCanTransition(OrderStatus from, OrderStatus to) {
  for (const auto& [a, b] : kCheckoutAllowed) {
    if (a == from && b == to) return true;
  }
  return false;
}

bool CheckoutTableAgreesWithOrderTable(std::string* first_difference) {
  for (int i = 0; i < kOrderStatusCount; ++i) {
    for (int j = 0; j < kOrderStatusCount; ++j) {
      const auto from = static_cast<OrderStatus>(i);
      const auto to = static_cast<OrderStatus>(j);
      const bool order_allows = CanTransition(from, to);
      if (order_allows == CheckoutCanTransition(from, to)) continue;
      if (first_difference != nullptr) {
        *first_difference = std::string{Name(from)} + " -> " + std::string{Name(to)} +
                            (order_allows ? ": order table allows, checkout copy refuses"
                                          : ": checkout copy allows, order table refuses");
      }
      return false;
    }
  }
  return true;
}

}  // namespace csim
