#pragma once
// The one order status transition table (domain.md), owned by the order side. Every status
// change goes through CanTransition. Checkout's stale copy (finding P1-CC-05 / M-05) lives in
// core/checkout/ and is read only where that finding's switch is.

#include "core/model.h"

namespace csim {

// True if an order may move from `from` to `to`.
bool CanTransition(OrderStatus from, OrderStatus to);

// True if one or more moves of the table lead from `from` to `to` (never for `from` == `to`: the
// table has no cycle).
bool CanReach(OrderStatus from, OrderStatus to);

// True if no move leaves `status`.
bool IsTerminal(OrderStatus status);

// Orders that hold stock and money on the customer's behalf: not cancelled, not refunded.
bool IsLive(OrderStatus status);

}  // namespace csim
