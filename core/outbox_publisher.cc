#include "core/outbox_publisher.h"

#include <string>

#include "core/topics.h"

namespace csim {

Task<OutboxPassResult> PublishDueOutbox(OutboxTable& table, EventBus& bus, Clock& clock,
                                        Alerts& alerts, OutboxPolicy policy) {
  CSIM_CHECK(policy.batch_size > 0);
  CSIM_CHECK(policy.max_retries >= 0);
  CSIM_CHECK(!policy.published_compensation_rows_await_redrive || policy.redrive_after_us > 0,
             "a row awaiting its redrive falls due later");
  OutboxPassResult result;
  auto due = co_await table.DueOutbox(clock.Now(), policy.batch_size);
  if (!due.ok()) co_return result;
  CSIM_CHECK(due->size() <= static_cast<std::size_t>(policy.batch_size));
  // Each row is updated in place: the batch is this pass's own copy of the table's rows.
  for (OutboxRow& row : due.value()) {
    CSIM_CHECK(row.status == OutboxStatus::kPending);
    Status published = co_await bus.Publish(row.event);
    if (published.ok()) {
      row.status = OutboxStatus::kPublished;
      ++result.published;
      if (policy.published_compensation_rows_await_redrive &&
          topics::IsCompensationTopic(row.event.topic)) {
        row.status = OutboxStatus::kAwaitingRedrive;
        row.next_attempt_at = clock.Now() + policy.redrive_after_us;
      }
    } else if (policy.compensation_rows_wait_for_dlq_retry &&
               topics::IsCompensationTopic(row.event.topic)) {
      ++result.retried;
      // SIM-25: as SIM-24's fix was first written, the row was due again after the backoff (1 s),
      // and this publisher, polling as often, took it back before the DLQ retry's pass (every
      // 60 s) found it due: while the bus stayed down the release waited for the bus. Fixed: the
      // row is left as it was, due, for whichever worker comes first.
      if (policy.refused_compensation_rows_stay_due) continue;
      row.next_attempt_at = clock.Now() + policy.retry_backoff_us;
    } else if (row.attempts + 1 > policy.max_retries) {
      row.status = OutboxStatus::kFailed;
      ++row.attempts;
      ++result.failed;
      if (policy.alert_on_failed) {
        alerts.Raise(Alert{"outbox.failed", row.event.id,
                           "outbox event " + row.event.topic + " failed after " +
                               std::to_string(row.attempts) + " attempts"});
      }
    } else {
      ++row.attempts;
      row.next_attempt_at = clock.Now() + policy.retry_backoff_us;
      ++result.retried;
    }
    // If this update is lost the row is published again later: at-least-once, as the bus is.
    (void)co_await table.UpdateOutbox(row);
  }
  co_return result;
}

namespace {

Task<std::int32_t> PublishOutboxPass(OutboxTable& table, EventBus& bus, Clock& clock,
                                     Alerts& alerts, OutboxPolicy policy) {
  const OutboxPassResult pass = co_await PublishDueOutbox(table, bus, clock, alerts, policy);
  CSIM_CHECK(pass.published >= 0 && pass.retried >= 0 && pass.failed >= 0);
  co_return pass.published;
}

}  // namespace

void AddOutboxJobs(Schedule& jobs, OutboxTable& table, EventBus& bus, Clock& clock, Alerts& alerts,
                   OutboxPolicy policy, DurationUs interval_us) {
  CSIM_CHECK(interval_us > 0, "an outbox publisher has a period");
  jobs.push_back({"OutboxWorker", interval_us, true, [&table, &bus, &clock, &alerts, policy] {
                    return PublishOutboxPass(table, bus, clock, alerts, policy);
                  }});
  if (policy.alert_on_lag) AddOutboxLagMonitor(jobs, table, clock, alerts);
  // P1-CC-03: as reviewed a row that exhausts its retries is marked failed and nothing else
  // happens; fixed, it raises an alert (the policy) and this drain publishes it again.
  if (!policy.alert_on_failed) return;
  jobs.push_back({"FailedOutboxDrain", kFailedOutboxDrainIntervalUs, false, [&table, &clock] {
                    return RedriveFailedOutbox(table, clock, kFailedOutboxDrainBatchMax);
                  }});
}

void AddOutboxLagMonitor(Schedule& jobs, OutboxTable& table, Clock& clock, Alerts& alerts) {
  // What the monitor has alerted lives as long as this life of the process that runs it.
  auto alerted = std::make_shared<std::set<std::int64_t>>();
  jobs.push_back(
      {"OutboxLagMonitor", kOutboxLagMonitorIntervalUs, true, [&table, &clock, &alerts, alerted] {
         return AlertLaggingOutbox(table, clock, alerts, *alerted);
       }});
}

Task<std::int32_t> AlertLaggingOutbox(OutboxTable& table, Clock& clock, Alerts& alerts,
                                      std::set<std::int64_t>& alerted) {
  const TimeUs now = clock.Now();
  auto late = co_await table.PendingOutbox(now - kOutboxLagAlertUs, kOutboxLagScanMax);
  if (!late.ok()) co_return 0;
  CSIM_CHECK(late->size() <= static_cast<std::size_t>(kOutboxLagScanMax));
  std::int32_t raised = 0;
  for (const OutboxRow& row : late.value()) {
    CSIM_CHECK(row.status == OutboxStatus::kPending, "PendingOutbox returned another status");
    CSIM_CHECK(now - row.created_at >= kOutboxLagAlertUs, "PendingOutbox returned a young row");
    if (topics::IsCompensationTopic(row.event.topic) || alerted.contains(row.id)) continue;
    CSIM_CHECK(alerted.size() < kOutboxLagAlertedMax, "kOutboxLagAlertedMax");
    alerted.insert(row.id);
    alerts.Raise(Alert{"outbox.lagging", row.event.id,
                       "outbox event " + row.event.topic + " unpublished " +
                           std::to_string((now - row.created_at) / kSecondUs) + " s after its " +
                           "commit (" + std::to_string(row.attempts) + " attempts)"});
    ++raised;
  }
  co_return raised;
}

Task<std::int32_t> RedriveFailedOutbox(OutboxTable& table, Clock& clock, std::int32_t limit) {
  CSIM_CHECK(limit > 0, "a drain is bounded");
  auto failed = co_await table.FailedOutbox(limit);
  if (!failed.ok()) co_return 0;  // the next drain tries again
  CSIM_CHECK(failed->size() <= static_cast<std::size_t>(limit));
  std::int32_t redriven = 0;
  for (OutboxRow row : failed.value()) {
    CSIM_CHECK(row.status == OutboxStatus::kFailed, "FailedOutbox returned another status");
    row.status = OutboxStatus::kPending;
    row.attempts = 0;
    row.next_attempt_at = clock.Now();
    if ((co_await table.UpdateOutbox(row)).ok()) ++redriven;
  }
  CSIM_CHECK(redriven <= limit);
  co_return redriven;
}

}  // namespace csim
