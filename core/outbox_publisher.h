#pragma once
// The outbox worker both services run: publishes due rows in id order, retries a failed publish
// with a backoff, and after the retry budget marks the row failed. Whether a failed row raises an
// alert is finding P1-CC-03; the caller passes the profile's answer.

#include <cstdint>

#include "core/ports/alerts.h"
#include "core/ports/clock.h"
#include "core/ports/event_bus.h"
#include "core/ports/outbox.h"

namespace csim {

struct OutboxPolicy {
  std::int32_t batch_size = 50;
  std::int32_t max_retries = 10;
  DurationUs retry_backoff_us = kSecondUs;
  bool alert_on_failed = true;  // P1-CC-03 fixed
};

struct OutboxPassResult {
  std::int32_t published = 0;
  std::int32_t retried = 0;
  std::int32_t failed = 0;
};

// One pass over the due rows of `table`.
Task<OutboxPassResult> PublishDueOutbox(OutboxTable& table, EventBus& bus, Clock& clock,
                                        Alerts& alerts, OutboxPolicy policy);

}  // namespace csim
