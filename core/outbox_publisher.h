#pragma once
// The outbox worker both services run: publishes due rows in id order, retries a failed publish
// with a backoff, and after the retry budget marks the row failed. Whether a failed row raises an
// alert is finding P1-CC-03, and whether a compensation row may end failed on refused publishes
// is SIM-24 (and whether such a row stays due, SIM-25), and whether a compensation row the bus
// took awaits the DLQ retry's redrive, SIM-32, and whether events that wait too long raise an
// alert before the budget is spent, SIM-37; the caller passes the profile's answers.
// RedriveFailedOutbox is the fixed profile's drain of failed rows.

#include <cstdint>
#include <memory>
#include <set>

#include "core/ports/alerts.h"
#include "core/ports/clock.h"
#include "core/ports/event_bus.h"
#include "core/ports/outbox.h"
#include "core/schedule.h"

namespace csim {

struct OutboxPolicy {
  std::int32_t batch_size = 50;
  std::int32_t max_retries = 10;
  DurationUs retry_backoff_us = kSecondUs;
  bool alert_on_failed = true;  // P1-CC-03 fixed
  // SIM-24 fixed: a row of a compensation topic that the bus refuses stays pending (retried after
  // the backoff) without spending its budget: the DLQ retry acts on it without the bus and gives
  // up on it itself.
  bool compensation_rows_wait_for_dlq_retry = false;
  // SIM-25 fixed: such a row is not written back, so it stays due: pushed back by the publisher's
  // backoff, it was due only between two of the publisher's passes and the DLQ retry, polling far
  // less often, almost never saw it.
  bool refused_compensation_rows_stay_due = false;
  // SIM-32 fixed: a compensation row the bus takes is not done (its consumer may fail, and the bus
  // may then hold the redelivery through an outage): it waits in awaiting_redrive, due for the
  // DLQ retry after `redrive_after_us`, which redrives it without the bus and marks it published.
  bool published_compensation_rows_await_redrive = false;
  DurationUs redrive_after_us = 0;
  // SIM-37 fixed: OutboxLagMonitor alerts on every event still unpublished kOutboxLagAlertUs after
  // its commit, whatever its retry count.
  bool alert_on_lag = false;
};

struct OutboxPassResult {
  std::int32_t published = 0;
  std::int32_t retried = 0;
  std::int32_t failed = 0;
};

// One pass over the due rows of `table`.
Task<OutboxPassResult> PublishDueOutbox(OutboxTable& table, EventBus& bus, Clock& clock,
                                        Alerts& alerts, OutboxPolicy policy);
// Adds OutboxLagMonitor over `table` to `jobs`: every kOutboxLagMonitorIntervalUs, first pass at
// start, alerting what AlertLaggingOutbox finds. REQUIRES: every reference outlives the jobs.
void AddOutboxLagMonitor(Schedule& jobs, OutboxTable& table, Clock& clock, Alerts& alerts);
// Adds the outbox jobs of one service to `jobs`: the publisher of `table` every `interval_us`
// (first pass at start); when the policy alerts on failed rows (P1-CC-03 fixed), the drain of
// failed rows every kFailedOutboxDrainIntervalUs; and when it alerts on late events (SIM-37
// fixed), OutboxLagMonitor every kOutboxLagMonitorIntervalUs (first pass at start). REQUIRES:
// every reference outlives the jobs.
void AddOutboxJobs(Schedule& jobs, OutboxTable& table, EventBus& bus, Clock& clock, Alerts& alerts,
                   OutboxPolicy policy, DurationUs interval_us);

// SIM-37 fixed: an event the bus has not taken a minute after its commit is late (a working
// publisher takes it within a second or two), and OutboxLagMonitor, which asks every 30 s, names
// it in an outbox.lagging alert: apart from the publisher, since a pass that waits out a slow
// broker's deadline on each of its rows is what keeps the events waiting. Each monitor (each life
// of a worker) alerts a row once; compensation rows, which the DLQ retry carries out without the
// bus, are not its business.
inline constexpr DurationUs kOutboxLagAlertUs = kMinuteUs;
inline constexpr DurationUs kOutboxLagMonitorIntervalUs = 30 * kSecondUs;
inline constexpr std::int32_t kOutboxLagScanMax = 10'000;
inline constexpr std::size_t kOutboxLagAlertedMax = 1'000'000;

// One pass of OutboxLagMonitor over `table`: raises outbox.lagging for each pending row, other
// than a compensation row, committed kOutboxLagAlertUs or more ago and not in `alerted`, and adds
// it there. Returns how many it alerted; a failed read alerts none (the next pass asks again).
Task<std::int32_t> AlertLaggingOutbox(OutboxTable& table, Clock& clock, Alerts& alerts,
                                      std::set<std::int64_t>& alerted);

// The drain of failed rows (P1-CC-03 fixed) runs every so often, a bounded batch each time.
inline constexpr DurationUs kFailedOutboxDrainIntervalUs = 10 * kMinuteUs;
inline constexpr std::int32_t kFailedOutboxDrainBatchMax = 100;

// The drain of P1-CC-03 fixed: an operator's action that puts up to `limit` (> 0) failed rows of
// `table`, oldest first, back to pending with attempts 0 and next_attempt_at = now, so the next
// PublishDueOutbox pass publishes them again with a fresh retry budget (a row that fails again is
// marked failed again and, with alert_on_failed, raises another outbox.failed alert). Returns how
// many rows it reset; a row whose update fails stays failed for the next drain, and a failed read
// resets nothing. At-least-once: a consumer may see a redriven event twice and deduplicates by
// its id, as for any redelivery.
//
// The workers' schedules (CheckoutWorker::Jobs, OrderService::Jobs) run it every
// kFailedOutboxDrainIntervalUs when P1-CC-03 is fixed; as reviewed there is no drain, so a failed
// row stays failed.
Task<std::int32_t> RedriveFailedOutbox(OutboxTable& table, Clock& clock, std::int32_t limit);

}  // namespace csim
