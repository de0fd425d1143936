#pragma once
// Checkout's own copy of the order status transition table (finding P1-CC-05 / M-05): the review's
// checkout/internal/constants/constants.go re-defines OrderStatusTransitions with fewer entries
// than the order side's table, every partially_shipped move missing. The review finds no code
// that validates with it, so nothing validates with it here either: CheckoutService's
// TransitionTableAudit reports it as reviewed, and fixed there is only core/order/transitions.h.

#include <string>

#include "core/model.h"

namespace csim {

// True if checkout's stale copy lets an order move from `from` to `to`: the order table
// (core/order/transitions.h) without processing -> partially_shipped,
// partially_shipped -> shipped and partially_shipped -> delivered.
bool CheckoutCanTransition(OrderStatus from, OrderStatus to);

// Compares checkout's copy with the order side's table over every (from, to) pair, in the order
// of the OrderStatus enum. Returns true if they agree; otherwise false and, if
// `first_difference` is not null, the first pair that differs, as
// "processing -> partially_shipped: order table allows, checkout copy refuses".
// The comparison is of the tables as data, whatever the profile: the copy exists either way, and
// fixed P1-CC-05 means nothing validates with it.
bool CheckoutTableAgreesWithOrderTable(std::string* first_difference);

}  // namespace csim
