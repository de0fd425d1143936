// Unit tests of the outbox publisher against the fake stores: the retry budget, the
// outbox.failed alert of P1-CC-03, the drain (RedriveFailedOutbox) that re-publishes failed
// rows, and SIM-37's monitor of events that wait too long.

#include "core/outbox_publisher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/topics.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_order_store.h"
#include "fakes/instant_clock.h"
#include "fakes/run_sync.h"

namespace csim {
namespace {

using fakes::RunSync;

constexpr std::int32_t kMaxRetries = 10;
constexpr DurationUs kBackoffUs = kSecondUs;
// More passes than any test needs: a loop that does not settle fails instead of spinning.
constexpr int kPassesMax = 100;

// A bus that refuses every event (kUnavailable) and counts the attempts.
class DownBus final : public EventBus {
 public:
  Task<Status> Publish(const Event& event) override {
    attempts_.push_back(event.id);
    co_return Status{Code::kUnavailable, "bus down"};
  }
  void Subscribe(const std::string&, const std::string&, EventHandler) override {}
  const std::vector<std::string>& attempts() const { return attempts_; }

 private:
  std::vector<std::string> attempts_;
};

// An outbox table whose every call fails (the database is unreachable).
class UnreachableTable final : public OutboxTable {
 public:
  Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs, std::int32_t) override {
    co_return Status{Code::kUnavailable, "db down"};
  }
  Task<Status> UpdateOutbox(const OutboxRow&) override {
    co_return Status{Code::kUnavailable, "db down"};
  }
  Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t) override {
    co_return Status{Code::kUnavailable, "db down"};
  }
  Task<Result<std::vector<OutboxRow>>> DueRedrives(TimeUs, std::int32_t) override {
    co_return Status{Code::kUnavailable, "db down"};
  }
  Task<Result<std::vector<OutboxRow>>> PendingOutbox(TimeUs, std::int32_t) override {
    co_return Status{Code::kUnavailable, "db down"};
  }
};

Event MakeEvent(const std::string& id) {
  return Event{id, "orders.order.status_changed", "order-1", {{"order_id", "order-1"}}};
}

class OutboxPublisherTest : public ::testing::Test {
 protected:
  // Appends one pending row per id to the order store's outbox.
  void Append(const std::vector<std::string>& ids) {
    OrderWrite write;
    for (const std::string& id : ids) write.outbox.push_back(MakeEvent(id));
    ASSERT_TRUE(RunSync(store.Commit(write)).ok());
  }

  OutboxPolicy Policy(bool alert_on_failed) const {
    return OutboxPolicy{50, kMaxRetries, kBackoffUs, alert_on_failed};
  }

  // Passes of the publisher over `bus`, a backoff apart, until no row is pending. Returns the
  // number of passes.
  int PublishUntilSettled(EventBus& bus, bool alert_on_failed) {
    for (int pass = 1; pass <= kPassesMax; ++pass) {
      (void)RunSync(PublishDueOutbox(store, bus, clock, alerts, Policy(alert_on_failed)));
      clock.Advance(kBackoffUs);
      bool pending = false;
      for (const auto& [id, row] : store.Outbox()) pending |= row.status == OutboxStatus::kPending;
      if (!pending) return pass;
    }
    ADD_FAILURE() << "the outbox did not settle";
    return kPassesMax;
  }

  const OutboxRow& Row(std::int64_t id) const { return store.Outbox().at(id); }

  fakes::InstantClock clock{kHourUs};
  fakes::FakeOrderStore store{clock};
  fakes::FakeAlerts alerts;
};

TEST_F(OutboxPublisherTest, DownBusFailsRowAfterRetryBudgetWithOneAlert) {
  Append({"e-1"});
  DownBus bus;
  EXPECT_EQ(PublishUntilSettled(bus, /*alert_on_failed=*/true), kMaxRetries + 1);
  EXPECT_EQ(Row(1).status, OutboxStatus::kFailed);
  EXPECT_EQ(Row(1).attempts, kMaxRetries + 1);  // the first publish and 10 retries
  EXPECT_EQ(bus.attempts().size(), static_cast<std::size_t>(kMaxRetries + 1));
  ASSERT_EQ(alerts.Count("outbox.failed"), 1);
  EXPECT_EQ(alerts.Raised().at(0).subject, "e-1");

  // A failed row is never due again: more passes neither publish nor alert.
  for (int i = 0; i < 5; ++i) {
    OutboxPassResult pass = RunSync(PublishDueOutbox(store, bus, clock, alerts, Policy(true)));
    EXPECT_EQ(pass.published + pass.retried + pass.failed, 0);
    clock.Advance(kBackoffUs);
  }
  EXPECT_EQ(bus.attempts().size(), static_cast<std::size_t>(kMaxRetries + 1));
  EXPECT_EQ(alerts.Count("outbox.failed"), 1);
}

TEST_F(OutboxPublisherTest, AsReviewedFailsRowSilently) {
  Append({"e-1"});
  DownBus bus;
  EXPECT_EQ(PublishUntilSettled(bus, /*alert_on_failed=*/false), kMaxRetries + 1);
  EXPECT_EQ(Row(1).status, OutboxStatus::kFailed);
  EXPECT_EQ(Row(1).attempts, kMaxRetries + 1);
  EXPECT_EQ(alerts.Count("outbox.failed"), 0);
  EXPECT_TRUE(alerts.Raised().empty());
}

// SIM-24 fixed: a compensation row the bus refuses stays pending with its budget untouched (the
// DLQ retry acts on it without the bus), while an ordinary row beside it fails as before.
TEST_F(OutboxPublisherTest, CompensationRowsWaitForTheDlqRetryWhenTheyAskIt) {
  OrderWrite write;
  write.outbox.push_back(MakeEvent("e-1"));
  write.outbox.push_back(Event{"r-1",
                               std::string{topics::kReservationReleaseDlq},
                               "order-1",
                               {{"order_id", "order-1"}, {"reservation_id", "res-1"}}});
  ASSERT_TRUE(RunSync(store.Commit(write)).ok());
  OutboxPolicy policy = Policy(true);
  policy.compensation_rows_wait_for_dlq_retry = true;
  DownBus bus;
  constexpr int kPasses = 3 * kMaxRetries;
  for (int pass = 0; pass < kPasses; ++pass) {
    (void)RunSync(PublishDueOutbox(store, bus, clock, alerts, policy));
    clock.Advance(kBackoffUs);
  }
  EXPECT_EQ(Row(1).status, OutboxStatus::kFailed);
  EXPECT_EQ(Row(1).attempts, kMaxRetries + 1);
  EXPECT_EQ(Row(2).status, OutboxStatus::kPending);
  EXPECT_EQ(Row(2).attempts, 0);
  EXPECT_EQ(Row(2).next_attempt_at, clock.Now());  // due again a backoff after the last refusal
  EXPECT_EQ(bus.attempts().size(), static_cast<std::size_t>(kMaxRetries + 1 + kPasses));
  ASSERT_EQ(alerts.Count("outbox.failed"), 1);
  EXPECT_EQ(alerts.Raised().at(0).subject, "e-1");
}

// SIM-37 fixed: OutboxLagMonitor names each event still unpublished kOutboxLagAlertUs after its
// commit, once, whatever its retry count; a compensation row (the DLQ retry's work) and a younger
// row are left alone, and an unreachable table alerts nothing.
TEST_F(OutboxPublisherTest, LagMonitorAlertsEachEventUnpublishedAMinuteAfterItsCommitOnce) {
  Append({"e-old"});
  OrderWrite compensation;
  compensation.outbox.push_back(Event{"r-old",
                                      std::string{topics::kReservationReleaseDlq},
                                      "order-1",
                                      {{"order_id", "order-1"}, {"reservation_id", "res-1"}}});
  ASSERT_TRUE(RunSync(store.Commit(compensation)).ok());
  clock.Advance(kOutboxLagAlertUs - kSecondUs);
  Append({"e-young"});
  std::set<std::int64_t> alerted;
  EXPECT_EQ(RunSync(AlertLaggingOutbox(store, clock, alerts, alerted)), 0) << "none a minute old";
  clock.Advance(kSecondUs);
  EXPECT_EQ(RunSync(AlertLaggingOutbox(store, clock, alerts, alerted)), 1);
  ASSERT_EQ(alerts.Count("outbox.lagging"), 1);
  EXPECT_EQ(alerts.Raised().at(0).subject, "e-old");
  EXPECT_EQ(alerted, (std::set<std::int64_t>{1}));
  clock.Advance(kOutboxLagAlertUs);
  EXPECT_EQ(RunSync(AlertLaggingOutbox(store, clock, alerts, alerted)), 1);
  EXPECT_EQ(alerts.Raised().at(1).subject, "e-young");
  EXPECT_EQ(RunSync(AlertLaggingOutbox(store, clock, alerts, alerted)), 0) << "each row once";
  EXPECT_EQ(alerts.Count("outbox.lagging"), 2);
  UnreachableTable unreachable;
  std::set<std::int64_t> none;
  EXPECT_EQ(RunSync(AlertLaggingOutbox(unreachable, clock, alerts, none)), 0);
  EXPECT_TRUE(none.empty());
}

// The monitor is one of the outbox jobs only when the policy asks (SIM-37 fixed), and runs a pass
// at start: a worker that crash-loops still alerts.
TEST_F(OutboxPublisherTest, LagMonitorIsScheduledOnlyWhenThePolicyAlertsOnLag) {
  DownBus bus;
  for (bool alert_on_lag : {true, false}) {
    OutboxPolicy policy = Policy(true);
    policy.alert_on_lag = alert_on_lag;
    Schedule jobs;
    AddOutboxJobs(jobs, store, bus, clock, alerts, policy, kBackoffUs);
    const auto monitor = std::find_if(jobs.begin(), jobs.end(), [](const ScheduledJob& job) {
      return job.name == "OutboxLagMonitor";
    });
    ASSERT_EQ(monitor != jobs.end(), alert_on_lag);
    if (!alert_on_lag) continue;
    EXPECT_TRUE(monitor->run_at_start);
    EXPECT_EQ(monitor->period_us, kOutboxLagMonitorIntervalUs);
    Append({"e-1"});
    clock.Advance(kOutboxLagAlertUs);
    EXPECT_EQ(RunSync(monitor->pass()), 1);
    EXPECT_EQ(RunSync(monitor->pass()), 0) << "the job keeps what it alerted";
  }
}

TEST_F(OutboxPublisherTest, RedriveThenWorkingBusPublishesFailedRow) {
  Append({"e-1"});
  DownBus down;
  (void)PublishUntilSettled(down, true);
  ASSERT_EQ(Row(1).status, OutboxStatus::kFailed);
  ASSERT_EQ(RunSync(store.FailedOutbox(10)).value().size(), 1u);

  const TimeUs drained_at = clock.Now();
  EXPECT_EQ(RunSync(RedriveFailedOutbox(store, clock, 10)), 1);
  EXPECT_EQ(Row(1).status, OutboxStatus::kPending);
  EXPECT_EQ(Row(1).attempts, 0);
  EXPECT_EQ(Row(1).next_attempt_at, drained_at);
  EXPECT_TRUE(RunSync(store.FailedOutbox(10)).value().empty());

  fakes::FakeEventBus bus{clock};
  OutboxPassResult pass = RunSync(PublishDueOutbox(store, bus, clock, alerts, Policy(true)));
  EXPECT_EQ(pass.published, 1);
  EXPECT_EQ(Row(1).status, OutboxStatus::kPublished);
  ASSERT_EQ(bus.Published().size(), 1u);
  EXPECT_EQ(bus.Published()[0], MakeEvent("e-1"));
  EXPECT_EQ(alerts.Count("outbox.failed"), 1);                   // only the first failure's
  EXPECT_EQ(RunSync(RedriveFailedOutbox(store, clock, 10)), 0);  // nothing left to drain
}

TEST_F(OutboxPublisherTest, RedrivenRowGetsFreshBudgetAndAlertsAgain) {
  Append({"e-1"});
  DownBus bus;
  (void)PublishUntilSettled(bus, true);
  ASSERT_EQ(RunSync(RedriveFailedOutbox(store, clock, 10)), 1);
  EXPECT_EQ(PublishUntilSettled(bus, true), kMaxRetries + 1);
  EXPECT_EQ(Row(1).status, OutboxStatus::kFailed);
  EXPECT_EQ(bus.attempts().size(), static_cast<std::size_t>(2 * (kMaxRetries + 1)));
  EXPECT_EQ(alerts.Count("outbox.failed"), 2);  // one per failure, never one per pass
}

TEST_F(OutboxPublisherTest, RedriveTakesOldestFailedRowsUpToLimit) {
  Append({"e-1", "e-2", "e-3", "e-4"});
  DownBus down;
  (void)PublishUntilSettled(down, true);
  EXPECT_EQ(alerts.Count("outbox.failed"), 4);

  std::vector<OutboxRow> failed = RunSync(store.FailedOutbox(3)).value();
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_EQ(failed[0].id, 1);
  EXPECT_EQ(failed[1].id, 2);
  EXPECT_EQ(failed[2].id, 3);

  EXPECT_EQ(RunSync(RedriveFailedOutbox(store, clock, 2)), 2);
  EXPECT_EQ(Row(1).status, OutboxStatus::kPending);
  EXPECT_EQ(Row(2).status, OutboxStatus::kPending);
  EXPECT_EQ(Row(3).status, OutboxStatus::kFailed);
  EXPECT_EQ(Row(4).status, OutboxStatus::kFailed);
  EXPECT_EQ(RunSync(RedriveFailedOutbox(store, clock, 10)), 2);
  for (std::int64_t id = 1; id <= 4; ++id) EXPECT_EQ(Row(id).status, OutboxStatus::kPending);
}

TEST_F(OutboxPublisherTest, RedriveOfUnreachableTableResetsNothing) {
  UnreachableTable table;
  EXPECT_EQ(RunSync(RedriveFailedOutbox(table, clock, 10)), 0);
}

TEST(FakeStoresFailedOutbox, ListFailedRowsByIdAndRejectBadLimits) {
  fakes::InstantClock clock{kHourUs};
  fakes::FakeCheckoutStore checkout{clock};
  CheckoutWrite write;
  write.outbox = {MakeEvent("c-1"), MakeEvent("c-2"), MakeEvent("c-3")};
  ASSERT_TRUE(RunSync(checkout.Commit(write)).ok());
  EXPECT_TRUE(RunSync(checkout.FailedOutbox(10)).value().empty());

  OutboxRow row = checkout.Outbox().at(3);
  row.status = OutboxStatus::kFailed;
  row.attempts = 11;
  ASSERT_TRUE(RunSync(checkout.UpdateOutbox(row)).ok());
  row = checkout.Outbox().at(1);
  row.status = OutboxStatus::kFailed;
  ASSERT_TRUE(RunSync(checkout.UpdateOutbox(row)).ok());
  row = checkout.Outbox().at(2);
  row.status = OutboxStatus::kPublished;
  ASSERT_TRUE(RunSync(checkout.UpdateOutbox(row)).ok());

  std::vector<OutboxRow> failed = RunSync(checkout.FailedOutbox(10)).value();
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].id, 1);
  EXPECT_EQ(failed[1].id, 3);
  EXPECT_EQ(failed[1].attempts, 11);
  EXPECT_EQ(failed[1].event.id, "c-3");
  // Failed rows are not due; a row back to pending leaves the failed list.
  EXPECT_TRUE(RunSync(checkout.DueOutbox(clock.Now(), 10)).value().empty());
  row = checkout.Outbox().at(1);
  row.status = OutboxStatus::kPending;
  ASSERT_TRUE(RunSync(checkout.UpdateOutbox(row)).ok());
  ASSERT_EQ(RunSync(checkout.FailedOutbox(10)).value().size(), 1u);
  EXPECT_EQ(RunSync(checkout.DueOutbox(clock.Now(), 10)).value().size(), 1u);

  EXPECT_EQ(RunSync(checkout.FailedOutbox(0)).code(), Code::kInvalidArgument);
  EXPECT_EQ(RunSync(checkout.FailedOutbox(fakes::OutboxRows::kDueLimitMax + 1)).code(),
            Code::kInvalidArgument);

  fakes::FakeOrderStore orders{clock};
  EXPECT_EQ(RunSync(orders.FailedOutbox(-1)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(RunSync(orders.FailedOutbox(1)).value().empty());
}

}  // namespace
}  // namespace csim
