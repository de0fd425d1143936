#include "core/order/transitions.h"

#include <array>
#include <utility>

namespace csim {
namespace {

using S = OrderStatus;
constexpr std::array<std::pair<S, S>, 14> kAllowed{{
    {S::kPending, S::kConfirmed},
    {S::kPending, S::kCancelled},
    {S::kConfirmed, S::kProcessing},
    {S::kConfirmed, S::kCancelled},
    {S::kProcessing, S::kPartiallyShipped},
    {S::kProcessing, S::kShipped},
    {S::kProcessing, S::kCancelled},
    {S::kPartiallyShipped, S::kShipped},
    {S::kShipped, S::kDelivered},
    {S::kDelivered, S::kReturned},
    {S::kDelivered, S::kRefunded},
    {S::kReturned, S::kRefunded},
    {S::kCancelled, S::kRefunded},  // a paid order that is cancelled is refunded
    {S::kPartiallyShipped, S::kDelivered},
}};

}  // namespace

bool CanTransition(OrderStatus from, OrderStatus to) {
  for (const auto& [a, b] : kAllowed) {
    if (a == from && b == to) return true;
  }
  return false;
}

bool IsTerminal(OrderStatus status) {
  for (const auto& [a, b] : kAllowed) {
    if (a == status) return false;
  }
  return true;
}

bool IsLive(OrderStatus status) {
  return status != OrderStatus::kCancelled && status != OrderStatus::kRefunded;
}

}  // namespace csim
