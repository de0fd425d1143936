#pragma once
// The outbox worker both services run: publishes due rows in id order, retries a failed publish
// with a backoff, and after the retry budget marks the row failed. Whether a failed row raises an
// alert is finding P1-CC-03; the caller passes the profile's answer. RedriveFailedOutbox is the
// fixed profile's drain of failed rows.

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

// The drain of P1-CC-03 fixed: an operator's action that puts up to `limit` (> 0) failed rows of
// `table`, oldest first, back to pending with attempts 0 and next_attempt_at = now, so the next
// PublishDueOutbox pass publishes them again with a fresh retry budget (a row that fails again is
// marked failed again and, with alert_on_failed, raises another outbox.failed alert). Returns how
// many rows it reset; a row whose update fails stays failed for the next drain, and a failed read
// resets nothing. At-least-once: a consumer may see a redriven event twice and deduplicates by
// its id, as for any redelivery.
//
// Nothing in core/ calls it: whether a drain exists is the caller's decision by the P1-CC-03
// switch (as reviewed there is none, so a failed row stays failed), and when it runs (an
// operator's command or a scheduled job) is the caller's too.
Task<std::int32_t> RedriveFailedOutbox(OutboxTable& table, Clock& clock, std::int32_t limit);

}  // namespace csim
