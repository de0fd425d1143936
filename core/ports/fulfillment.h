#pragma once
// The fulfilment service, as the order service asks it to stop an order before cancelling it
// (SIM-44). Fulfilment starts on an order when it hears the order confirmed.

#include <string>

#include "core/status.h"
#include "core/task.h"
#include "core/time.h"

namespace csim {

class Fulfillment {
 public:
  virtual ~Fulfillment() = default;
  // Holds the order: nothing of it ships before the returned time, by which the caller cancels
  // it (after the hold fulfilment asks the order service and goes on with a live order).
  // kFailedPrecondition if its goods already left. Repeatable: a later call holds it again.
  virtual Task<Result<TimeUs>> CallOff(const std::string& order_id) = 0;
};

}  // namespace csim
