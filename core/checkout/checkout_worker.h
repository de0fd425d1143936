#pragma once
// The checkout worker of review section 8.1: the two cron jobs that repair what the saga
// (checkout_service.h) leaves behind. Each method is one bounded pass the simulator calls on its
// schedule (cart_cleanup_interval_seconds, failed_compensation_interval_seconds). Stateless
// between calls: everything it decides comes from the stores, so a crash mid-pass loses only the
// rows not yet committed, and the next pass picks them up again.
//
// Findings read here:
//   P1-CC-04 / EC-05: as reviewed, cleanup treats a stale `checkout` cart as abandoned and
//     releases the reservations of the order created from it, even while that order is live.
//   as reviewed, a cart whose completion failed stays in `checkout` forever; fixed, the
//     cleanup completes it when its order exists.
//   SIM-13: as reviewed, an abandoned attempt's reservations are left to their TTL; fixed, they
//     are released by reference (the TTL may outlast auto_cancel_minutes).
//   SIM-10: as reviewed, a compensation is given up after its retry budget whatever the outage;
//     fixed, it keeps retrying past its alert, backing off to hourly, for about a day.
//   SIM-33: as written, CartCleanupWorker and FailedCompensationWorker first run a period after
//     the process starts; fixed, they run at start, so a crash loop shorter than the period does
//     not starve them.
//   SIM-40: as written, the compensation jobs share the worker's process with CartCleanupWorker;
//     fixed, they run in a process of their own.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/checkout/checkout_service.h"
#include "core/config.h"
#include "core/findings.h"
#include "core/outbox_publisher.h"
#include "core/ports/event_bus.h"
#include "core/schedule.h"

namespace csim {

class CheckoutWorker {
 public:
  // Carts one cleanup pass changes at most per status (active, checkout): a pass stays short and
  // the rest waits for the next pass.
  static constexpr std::int32_t kCartsChangedPerStatusMax = 100;
  // Carts one pass reads per status. The store cannot query by expires_at, so active carts are
  // filtered here; reading more than we change keeps expired carts from hiding behind fresh ones.
  static constexpr std::int32_t kCartsScannedPerStatusMax = 10'000;
  // Failed compensations one pass retries at most.
  static constexpr std::int32_t kCompensationsPerPassMax = 100;
  // SIM-21 fixed: a pass starts no row after this long, so a release that comes due while a slow
  // provider drags the pass out waits at most this, the pass interval and one call.
  static constexpr DurationUs kCompensationPassBudgetUs = 2 * kMinuteUs;
  // SIM-26 fixed: due rows a pass with SIM-21's budget reads, so that the releases among them go
  // first even behind thousands of due voids; the budget still bounds what it does.
  static constexpr std::int32_t kCompensationsReadMax = 10'000;
  // SIM-34 fixed: tries of a release row within one pass while the warehouse refuses it at once
  // (kUnavailable); a timeout is not tried again at once (its deadline already spent 10 s).
  static constexpr std::int32_t kReleaseTriesPerPass = 3;
  // Items of one order the cleanup releases at most (the saga caps a cart at 100 items).
  static constexpr std::size_t kOrderItemsMax = 100;
  // Finished compensation rows one cleanup pass deletes at most (one commit).
  static constexpr std::int32_t kCompensationsDeletedPerPassMax = 1'000;
  // SIM-29 fixed: the field of a release row by reference that says since when its lookups have
  // been refused (absent until the first refusal, and again after a lookup of unknown outcome).
  static constexpr std::string_view kRefusedSinceField = "refused_since_us";

  // REQUIRES: every port, `config` and `profile` outlive the worker and its tasks.
  CheckoutWorker(CheckoutPorts ports, const Config& config, const Profile& profile)
      : ports_(ports), config_(config), profile_(profile) {}

  // Every job the checkout worker process runs, on its configured period: the outbox publisher of
  // cart.converted and capture requests onto `bus`, CartCleanupWorker, (SIM-40 as written)
  // FailedCompensationWorker and FailedCompensationsCleanupJob and, P1-CC-03 fixed, the drain of
  // failed outbox rows.
  // REQUIRES: `bus` outlives the jobs.
  Schedule Jobs(EventBus& bus);
  // The jobs that watch the checkout database from a process of their own (SIM-38 fixed: SIM-37's
  // OutboxLagMonitor); none otherwise. REQUIRES: the worker outlives the jobs.
  Schedule MonitorJobs();
  // FailedCompensationWorker and FailedCompensationsCleanupJob in a process of their own (SIM-40
  // fixed); none otherwise (Jobs has them). REQUIRES: the worker outlives the jobs.
  Schedule CompensationJobs();

  // CartCleanupWorker, one pass: active carts past expires_at become abandoned; checkout carts
  // started more than checkout.auto_cancel_minutes ago are settled as P1-CC-04 and say
  // (see checkout_worker.cc). Returns the number of carts changed. A cart whose write conflicts
  // or whose order cannot be looked up is left for the next pass.
  Task<std::int32_t> RunCartCleanupOnce();

  // FailedCompensationWorker, one pass: retries every due pending compensation once. Success
  // marks it done; failure counts an attempt and backs off compensation_backoff_seconds; the
  // attempt that reaches max_attempts raises one compensation.exhausted alert and, as reviewed
  // (SIM-10), gives the row up. Returns the number of rows processed (retried, whatever the
  // outcome).
  Task<std::int32_t> RunFailedCompensationsOnce();

  // FailedCompensationsCleanupJob, one pass: deletes, in one commit, up to
  // kCompensationsDeletedPerPassMax rows with status done or exhausted last touched more than
  // order.failed_compensation_retention_days ago. A FailedCompensation carries no created/updated
  // time, so next_attempt_at stands for "last touched": the worker sets it at every failed
  // attempt (to that attempt's time + compensation_backoff_seconds, also on the attempt that
  // exhausts the row) and leaves it on success, where it is the due time the row was retried at
  // (at or before that success). So a row goes at most one backoff earlier or later than exactly
  // the retention after its last attempt. Pending rows are never deleted. Returns the number of
  // rows deleted (0 if the read or the commit failed: the next pass tries again).
  Task<std::int32_t> RunFailedCompensationsCleanupOnce();

 private:
  void AddCompensationJobs(Schedule& jobs);
  Task<bool> ExpireActiveCart(Cart cart, TimeUs now);
  Task<bool> SettleCheckoutCart(Cart cart, TimeUs now);
  Task<bool> MoveCart(Cart cart, CartStatus status, TimeUs now);
  // Completes `cart` for `order` with the finalize outbox events the saga's Finalize writes.
  Task<Status> CompleteCart(Cart cart, Order order, TimeUs now);
  Task<Status> RetryCompensation(FailedCompensation row, TimeUs now);
  // RetryCompensation, with SIM-34's tries at once of a release the warehouse refused.
  Task<Status> RetryInPass(const FailedCompensation& row, TimeUs now);
  Task<Status> RetryCartCleanup(FailedCompensation row, TimeUs now);
  Task<Status> VoidByKey(const std::string& idempotency_key);
  // The reservation made (or maybe made) under `request.reference`, released: Ok, or kNotFound when
  // the warehouse refused the lookup (no reservation under the reference when it got there).
  Task<Status> LookUpAndRelease(ReserveRequest request);
  // LookUpAndRelease taking a refusal for proof that nothing is held (SIM-13's, SIM-19's paths).
  Task<Status> ReleaseByReference(ReserveRequest request);
  Task<bool> CompensateAbandonedAttempt(const Cart& cart);
  Task<bool> RecordOutcome(FailedCompensation row, Status outcome, TimeUs now);
  // SIM-29 fixed: a refused lookup of a release row by reference; the row is done only once it has
  // been refused for kReserveLandsWithinUs (the field kRefusedSinceField says since when).
  Task<bool> RecordRefusal(FailedCompensation row, TimeUs now);
  // SIM-26 fixed: reads the due rows again and retries the stock releases among them; how many.
  Task<std::int32_t> RetryDueReleases(TimeUs now);

  CheckoutPorts ports_;
  const Config& config_;
  const Profile& profile_;
};

}  // namespace csim
