#include "core/order/transitions.h"

#include <array>
#include <cstddef>
#include <utility>

#include "core/check.h"

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

bool CanReach(OrderStatus from, OrderStatus to) {
  // Breadth first over the statuses; each is visited once, so the loop ends within
  // kOrderStatusCount rounds.
  std::array<bool, kOrderStatusCount> seen{};
  std::array<OrderStatus, kOrderStatusCount> queue{};
  std::size_t head = 0, tail = 0;
  queue[tail++] = from;
  seen[static_cast<std::size_t>(from)] = true;
  while (head < tail) {
    const OrderStatus at = queue[head++];
    for (const auto& [a, b] : kAllowed) {
      if (a != at) continue;
      if (b == to) return true;
      if (seen[static_cast<std::size_t>(b)]) continue;
      CSIM_CHECK(tail < queue.size(), "each status is queued once");
      seen[static_cast<std::size_t>(b)] = true;
      queue[tail++] = b;
    }
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
