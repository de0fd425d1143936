#include "core/checkout/checkout_worker.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <system_error>
#include <utility>

#include "core/topics.h"

namespace csim {

namespace {

Status Fail(Code code, std::string message) {
  return Status{code, std::move(message)};
}

// An order the cleanup must not take stock from: anything not cancelled or refunded.
bool IsLive(const Order& order) {
  return order.status != OrderStatus::kCancelled && order.status != OrderStatus::kRefunded;
}

// A required field of a compensation row; the saga always writes it, so a missing one is a bug.
const std::string& Field(const FailedCompensation& row, const std::string& key) {
  auto it = row.fields.find(key);
  CSIM_CHECK(it != row.fields.end(), "compensation row lacks a field the saga writes");
  return it->second;
}

// A number field the saga writes (a discount, a quantity, a TTL): never negative.
std::int64_t ParseCount(const std::string& text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  CSIM_CHECK(error == std::errc{}, "compensation number field is not an integer");
  CSIM_CHECK(end == text.data() + text.size(), "compensation number field has trailing text");
  CSIM_CHECK(value >= 0, "a compensation number field is never negative");
  return value;
}

// SIM-10 fixed: retries a row keeps after its alert, backing off to hourly: about a day, well
// inside the days an authorization hold lasts, and far past any outage the fault model draws.
constexpr std::int32_t kAttemptsPastAlertMax = 30;
constexpr DurationUs kBackoffPastAlertMaxUs = kHourUs;
// SIM-18 fixed: a release's retries back off to 2 minutes at most, since stock is wanted within
// minutes (STOCK-NO-LEAK gives a release 5) and a release is cheap; 720 tries cover a day too.
constexpr DurationUs kReleaseBackoffMaxUs = 2 * kMinuteUs;
constexpr std::int32_t kReleaseAttemptsPastAlertMax = 720;
// SIM-22 fixed: a release does not back off at all; it keeps the configured backoff (30 s by
// default), so after an outage ordinary failures of a try or two still leave tries inside
// STOCK-NO-LEAK's 5 minutes. 2880 tries are a day at 30 s.
constexpr std::int32_t kSteadyReleaseAttemptsPastAlertMax = 2880;

// A stock release, which SIM-21's fix retries before the other compensations.
bool IsRelease(const FailedCompensation& row) {
  return row.kind == CompensationKind::kReleaseReservation ||
         row.kind == CompensationKind::kReleaseReservationByReference;
}

// A release whose reservation is likely still there: one the warehouse has not yet refused to look
// up (SIM-39). A refused row is looked up again only in case a lookup sent earlier lands late.
bool MayHoldStock(const FailedCompensation& row) {
  return IsRelease(row) && !row.fields.contains(std::string{CheckoutWorker::kRefusedSinceField});
}

}  // namespace

Schedule CheckoutWorker::MonitorJobs() {
  Schedule jobs;
  if (profile_.Fixed(FindingId("SIM-37")) && profile_.Fixed(FindingId("SIM-38"))) {
    AddOutboxLagMonitor(jobs, ports_.store, ports_.clock, ports_.alerts);
  }
  return jobs;
}

Schedule CheckoutWorker::Jobs(EventBus& bus) {
  const CheckoutConfig& c = config_.checkout;
  OutboxPolicy policy{c.outbox_batch_size, c.outbox_max_retries,
                      c.outbox_interval_ms * kMillisecondUs, profile_.Fixed(FindingId("P1-CC-03"))};
  // SIM-37: as written, the only alert is outbox.failed after a row's retries, which a slow
  // broker or late passes spread over most of an hour. Fixed: OutboxLagMonitor alerts on an event
  // still unpublished a minute after its commit.
  // SIM-38: as SIM-37's fix was first written, the monitor runs here, and dies with a worker that
  // crash-loops through a broker outage. Fixed: it runs in a process of its own (MonitorJobs).
  policy.alert_on_lag = profile_.Fixed(FindingId("SIM-37")) && !profile_.Fixed(FindingId("SIM-38"));
  Schedule jobs;
  AddOutboxJobs(jobs, ports_.store, bus, ports_.clock, ports_.alerts, policy,
                c.outbox_interval_ms * kMillisecondUs);
  // SIM-33: as written, every repair job's first pass comes a whole period after the process
  // starts, so a worker that crashes again within its period (a crash loop: swarm seed 17601's
  // only checkout-worker replica lived 15, 27, 21 and 9 s between five crashes) never runs one,
  // and a failed release waits out every restart past STOCK-NO-LEAK's 5 minutes. Fixed: the two
  // jobs that repair what the saga left behind run a pass as soon as the process starts, as a
  // cron worker catching up on boot does; a pass is idempotent, so a boot pass repeats nothing.
  const bool repairs_run_at_start = profile_.Fixed(FindingId("SIM-33"));
  jobs.push_back({"CartCleanupWorker", c.cart_cleanup_interval_seconds * kSecondUs,
                  repairs_run_at_start, [this] { return RunCartCleanupOnce(); }});
  // SIM-40: as written, the compensation jobs run here too, so a crash loop in another job's
  // calls (a crash point at the order lookups of CartCleanupWorker's hundreds of stale carts)
  // kills every life before the compensation pass has released anything. Fixed: they run in a
  // process of their own (CompensationJobs), a bulkhead as SIM-38's monitors have.
  if (!profile_.Fixed(FindingId("SIM-40"))) AddCompensationJobs(jobs);
  for (const ScheduledJob& job : jobs) CSIM_CHECK(job.period_us > 0, "a job has a period");
  return jobs;
}

Schedule CheckoutWorker::CompensationJobs() {
  Schedule jobs;
  if (profile_.Fixed(FindingId("SIM-40"))) AddCompensationJobs(jobs);
  return jobs;
}

void CheckoutWorker::AddCompensationJobs(Schedule& jobs) {
  const std::size_t before = jobs.size();
  // SIM-33: see Jobs.
  const bool repairs_run_at_start = profile_.Fixed(FindingId("SIM-33"));
  jobs.push_back({"FailedCompensationWorker",
                  config_.checkout.failed_compensation_interval_seconds * kSecondUs,
                  repairs_run_at_start, [this] { return RunFailedCompensationsOnce(); }});
  jobs.push_back({"FailedCompensationsCleanupJob", kDayUs, false,
                  [this] { return RunFailedCompensationsCleanupOnce(); }});
  CSIM_CHECK(jobs.size() == before + 2, "both compensation jobs are scheduled");
  for (std::size_t i = before; i < jobs.size(); ++i) {
    CSIM_CHECK(jobs[i].period_us > 0, "a compensation job has a period");
  }
}

// ---- CartCleanupWorker ----

Task<std::int32_t> CheckoutWorker::RunCartCleanupOnce() {
  const TimeUs now = ports_.clock.Now();
  std::int32_t changed = 0;

  // Active carts: the store has no expires_at index, so it reads the active ones and filters
  // them (expired_by): copying every active cart to drop most of them cost more than the pass.
  CartQuery active{CartStatus::kActive, now + 1, kCartsScannedPerStatusMax, now};
  auto actives = co_await ports_.store.FindCarts(active);
  if (actives.ok()) {
    std::int32_t expired = 0;
    for (Cart& cart : actives.value()) {
      if (expired >= kCartsChangedPerStatusMax) break;
      CSIM_CHECK(cart.status == CartStatus::kActive, "FindCarts returned another status");
      CSIM_CHECK(cart.expires_at <= now, "FindCarts returned an unexpired cart");
      if (co_await ExpireActiveCart(std::move(cart), now)) ++expired;
    }
    changed += expired;
  }

  // Checkout carts: updated_at is checkout_started_at while a cart sits in checkout (nothing else
  // writes it then), so the store's updated_before query selects exactly the stale ones.
  const DurationUs auto_cancel_us = config_.checkout.auto_cancel_minutes * kMinuteUs;
  CSIM_CHECK(auto_cancel_us > 0, "auto_cancel_minutes must be positive");
  CartQuery stale{CartStatus::kCheckout, now - auto_cancel_us + 1, kCartsScannedPerStatusMax};
  auto checkouts = co_await ports_.store.FindCarts(stale);
  if (checkouts.ok()) {
    std::int32_t settled = 0;
    for (Cart& cart : checkouts.value()) {
      if (settled >= kCartsChangedPerStatusMax) break;
      CSIM_CHECK(cart.status == CartStatus::kCheckout, "FindCarts returned another status");
      if (now - cart.checkout_started_at < auto_cancel_us) continue;
      if (co_await SettleCheckoutCart(std::move(cart), now)) ++settled;
    }
    changed += settled;
  }
  CSIM_CHECK(changed >= 0);
  CSIM_CHECK(changed <= 2 * kCartsChangedPerStatusMax, "a pass is bounded");
  co_return changed;
}

Task<bool> CheckoutWorker::ExpireActiveCart(Cart cart, TimeUs now) {
  CSIM_CHECK(cart.expires_at <= now, "only an expired cart is abandoned");
  co_return co_await MoveCart(std::move(cart), CartStatus::kAbandoned, now);
}

// How the two switches combine for a checkout cart older than auto_cancel_minutes:
//   - P1-CC-04 governs releasing stock under the order: as reviewed the cleanup releases the
//     order's reservations (live or not); fixed it never releases (the saga's compensation
//     released what it reserved, the order service owns the rest, a crash's leftovers lapse by
//     their TTL).
//   - governs the cart of an existing order: fixed, it is completed (the completion that
//     failed in the saga); as reviewed, the cleanup does not complete it and only P1-CC-04's
//     behaviour remains: as reviewed it is abandoned, fixed a live order's cart is skipped (the
//     "skip" variant of the P1-CC-04 fix) and a dead order's cart is abandoned.
//   - No order: the checkout session expired without one. Fixed, the cart goes back to
//     active, as domain.md has it, and the customer can try again (its own expiry still applies);
//     as reviewed it is treated as abandoned. Either way there is no reservation it can name:
//     what a crashed saga reserved lapses by its TTL.
Task<bool> CheckoutWorker::SettleCheckoutCart(Cart cart, TimeUs now) {
  CSIM_CHECK(cart.status == CartStatus::kCheckout);
  auto found = co_await ports_.orders.FindBySession(cart.session_id);
  if (!found.ok() && found.code() != Code::kNotFound) co_return false;  // unknown: next pass
  if (!found.ok()) {
    if (profile_.Fixed(FindingId("SIM-07")) && !(co_await CompensateAbandonedAttempt(cart))) {
      co_return false;  // the next pass tries again
    }
    const CartStatus to =
        profile_.Fixed(FindingId("R-1.4")) ? CartStatus::kActive : CartStatus::kAbandoned;
    co_return co_await MoveCart(std::move(cart), to, now);
  }

  Order order = std::move(found).value();
  CSIM_CHECK(order.cart_session_id == cart.session_id, "FindBySession returned another session");
  CSIM_CHECK(order.items.size() <= kOrderItemsMax, "an order has at most 100 items");
  if (profile_.AsReviewedOn(FindingId("P1-CC-04"))) {
    // As reviewed (EC-05): the cart is "abandoned", so its stock goes back, order or not.
    for (const OrderItem& item : order.items) {
      if (item.reservation_id.empty()) continue;
      (void)co_await ports_.warehouse.Release(item.reservation_id);  // errors dropped as reviewed
    }
  }
  if (profile_.Fixed(FindingId("R-1.4"))) {
    Status completed = co_await CompleteCart(std::move(cart), std::move(order), now);
    co_return completed.ok();
  }
  if (profile_.Fixed(FindingId("P1-CC-04")) && IsLive(order)) co_return false;  // skipped
  co_return co_await MoveCart(std::move(cart), CartStatus::kAbandoned, now);
}

Task<bool> CheckoutWorker::MoveCart(Cart cart, CartStatus status, TimeUs now) {
  CSIM_CHECK(cart.status != status, "a move changes the status");
  CSIM_CHECK(cart.version > 0, "a stored cart has a version");
  const std::int64_t expected = cart.version;
  cart.version = expected + 1;
  cart.status = status;
  cart.updated_at = now;
  CheckoutWrite write;
  write.carts.push_back(CartWrite{std::move(cart), expected});
  Status committed = co_await ports_.store.Commit(write);
  co_return committed.ok();  // a conflict means someone else moved it: the next pass re-reads
}

Task<Status> CheckoutWorker::CompleteCart(Cart cart, Order order, TimeUs now) {
  // The same events, with the same ids, as the saga's Finalize: if Finalize's commit failed none
  // of them exist yet, and consumers deduplicate by id if they do.
  co_return co_await ports_.store.Commit(CompleteCartWrite(cart, order, now));
}

// ---- FailedCompensationWorker ----

Task<std::int32_t> CheckoutWorker::RunFailedCompensationsOnce() {
  const TimeUs now = ports_.clock.Now();
  // SIM-21: as written, the rows are retried in id order, one after another. While the payment
  // provider answers past its deadline every void waits it out (10 s each), so a release queued
  // behind 30 voids comes 5 minutes late, and one that comes due during a pass of 100 such voids
  // waits 17 minutes for the next; its stock stays held. Fixed: stock first (it goes back to the
  // shelf by itself only when its TTL lapses, while a hold lasts days), and a pass starts no row
  // after kCompensationPassBudgetUs; the rest wait for the next pass, releases first again.
  const bool stock_first_short_passes = profile_.Fixed(FindingId("SIM-21"));
  // SIM-26: as SIM-21's fix was first written, a pass read the first 100 due rows by id and put
  // the releases among those first: behind more than 100 due voids (a shop of a thousand orders
  // under a slow provider) a release was not read at all, and each pass, within its budget, got
  // through 12 of the voids ahead of it; and a release due again while a pass of slow voids ran
  // waited for the next pass, so its tries came every 150 s and two ordinary failures carried it
  // past 5 minutes. Fixed: a budgeted pass reads up to kCompensationsReadMax due rows, so the
  // releases among them go first, and before each later row, once an interval has passed since
  // its last read, it reads again and retries the releases due by then.
  const bool releases_keep_their_cadence =
      stock_first_short_passes && profile_.Fixed(FindingId("SIM-26"));
  const std::int32_t read_max =
      releases_keep_their_cadence ? kCompensationsReadMax : kCompensationsPerPassMax;
  const DurationUs reread_us = config_.checkout.failed_compensation_interval_seconds * kSecondUs;
  CSIM_CHECK(reread_us > 0, "a compensation pass interval");
  TimeUs read_at = now;
  auto due = co_await ports_.store.DueCompensations(now, read_max);
  if (!due.ok()) co_return 0;  // the store is unavailable: the next pass tries again
  CSIM_CHECK(due->size() <= static_cast<std::size_t>(read_max));
  std::vector<FailedCompensation>& rows = due.value();
  // SIM-39: as SIM-29 was fixed, a refused row is due again every backoff for half an hour, and
  // releases go by id: after a sold-out spell the refused rows come first in every pass, so a pass
  // cut short (its budget under a slow warehouse, a crash every few dozen calls) spends itself on
  // them, and a newer row whose reservation exists is not tried for half an hour (swarm seed 1260
  // at 1000 orders: 34 minutes). Fixed: the releases not yet refused go first.
  const bool holding_first = profile_.Fixed(FindingId("SIM-39"));
  if (stock_first_short_passes) {
    std::stable_partition(rows.begin(), rows.end(), IsRelease);
    if (holding_first) std::stable_partition(rows.begin(), rows.end(), MayHoldStock);
  }
  std::int32_t processed = 0;
  for (FailedCompensation& row : rows) {
    if (stock_first_short_passes && ports_.clock.Now() - now >= kCompensationPassBudgetUs) break;
    if (releases_keep_their_cadence && !IsRelease(row) &&
        ports_.clock.Now() - read_at >= reread_us) {
      read_at = ports_.clock.Now();
      processed += co_await RetryDueReleases(read_at);
    }
    CSIM_CHECK(row.id > 0, "a stored compensation has an id");
    CSIM_CHECK(row.status == CompensationStatus::kPending, "only pending rows are due");
    CSIM_CHECK(row.next_attempt_at <= now, "only due rows are returned");
    Status outcome = co_await RetryInPass(row, now);
    (void)co_await RecordOutcome(std::move(row), std::move(outcome), now);
    ++processed;
  }
  co_return processed;
}

Task<std::int32_t> CheckoutWorker::RetryDueReleases(TimeUs now) {
  auto due = co_await ports_.store.DueCompensations(now, kCompensationsReadMax);
  if (!due.ok()) co_return 0;  // the pass goes on; the next read or pass tries again
  CSIM_CHECK(due->size() <= static_cast<std::size_t>(kCompensationsReadMax));
  std::int32_t retried = 0;
  if (profile_.Fixed(FindingId("SIM-39"))) {  // see RunFailedCompensationsOnce
    std::stable_partition(due->begin(), due->end(), MayHoldStock);
  }
  for (FailedCompensation& row : due.value()) {
    if (!IsRelease(row)) continue;
    CSIM_CHECK(row.status == CompensationStatus::kPending, "only pending rows are due");
    Status outcome = co_await RetryInPass(row, now);
    (void)co_await RecordOutcome(std::move(row), std::move(outcome), now);
    ++retried;
  }
  co_return retried;
}

// ---- FailedCompensationsCleanupJob ----

Task<std::int32_t> CheckoutWorker::RunFailedCompensationsCleanupOnce() {
  const TimeUs now = ports_.clock.Now();
  const DurationUs retention_us = config_.order.failed_compensation_retention_days * kDayUs;
  CSIM_CHECK(retention_us > 0, "failed_compensation_retention_days must be positive");
  const TimeUs touched_before = now - retention_us;
  auto finished =
      co_await ports_.store.FinishedCompensations(touched_before, kCompensationsDeletedPerPassMax);
  if (!finished.ok() || finished->empty()) co_return 0;
  CSIM_CHECK(finished->size() <= static_cast<std::size_t>(kCompensationsDeletedPerPassMax));
  CheckoutWrite write;
  for (const FailedCompensation& row : finished.value()) {
    CSIM_CHECK(row.id > 0, "a stored compensation has an id");
    CSIM_CHECK(row.status != CompensationStatus::kPending, "a pending row is never deleted");
    CSIM_CHECK(row.next_attempt_at < touched_before, "only rows past the retention");
    write.delete_compensation_ids.push_back(row.id);
  }
  Status committed = co_await ports_.store.Commit(write);
  if (!committed.ok()) co_return 0;
  co_return static_cast<std::int32_t>(write.delete_compensation_ids.size());
}

// SIM-34: a pass tries each row once, so a release needs as many passes as the warehouse's
// passing refusals in a row, 30 s apart, and two cron passes that come late (up to 2 minutes each)
// carry the third try past the 5 minutes a release is given (swarm seed 6457: refused, looked up
// in vain twice, released 12 s late). Fixed: a release refused at once is tried again at once,
// up to kReleaseTriesPerPass times, as a client retries UNAVAILABLE; a refusal or a timeout is not.
Task<Status> CheckoutWorker::RetryInPass(const FailedCompensation& row, TimeUs now) {
  Status outcome = co_await RetryCompensation(row, now);
  if (!IsRelease(row) || !profile_.Fixed(FindingId("SIM-34"))) co_return outcome;
  for (std::int32_t tries = 1; tries < kReleaseTriesPerPass && outcome.code() == Code::kUnavailable;
       ++tries) {
    outcome = co_await RetryCompensation(row, now);
  }
  co_return outcome;
}

Task<Status> CheckoutWorker::RetryCompensation(FailedCompensation row, TimeUs now) {
  CSIM_CHECK(!row.subject.empty(), "a compensation names its subject");
  switch (row.kind) {
    case CompensationKind::kVoidAuthorization:
      co_return co_await ports_.payment.Void(row.subject);
    case CompensationKind::kApplyPromotion:
      co_return co_await ports_.promotions.ClaimUsage(row.subject, Field(row, "reference"),
                                                      ParseCount(Field(row, "discount")));
    case CompensationKind::kCartCleanup:
      co_return co_await RetryCartCleanup(std::move(row), now);
    case CompensationKind::kReleaseReservation:
      co_return co_await ports_.warehouse.Release(row.subject);
    case CompensationKind::kReleasePromotion:
      co_return co_await ports_.promotions.ReleaseUsage(row.subject, Field(row, "reference"));
    case CompensationKind::kVoidAuthorizationByKey:
      co_return co_await VoidByKey(row.subject);
    case CompensationKind::kGiveBackPoints:
      co_return co_await ports_.loyalty.GiveBack(row.subject, Field(row, "reference"));
    case CompensationKind::kReleaseReservationByReference: {
      // A named request: GCC 12 frees a temporary aggregate passed by value to a coroutine twice.
      ReserveRequest request{Field(row, "sku"), Field(row, "warehouse_id"),
                             static_cast<std::int32_t>(ParseCount(Field(row, "quantity"))),
                             ParseCount(Field(row, "ttl_us")), row.subject};
      // SIM-29 fixed: a refusal is reported as such (kNotFound), for RecordOutcome to weigh.
      if (profile_.Fixed(FindingId("SIM-29"))) {
        co_return co_await LookUpAndRelease(std::move(request));
      }
      co_return co_await ReleaseByReference(std::move(request));
    }
  }
  CSIM_CHECK(false, "unknown compensation kind");
  co_return Fail(Code::kInvalidArgument, "unknown compensation kind");
}

// SIM-07: a saga whose compensation could not be recorded (its void failed and both commits of
// the compensation rows failed, its process stopped mid-saga, or SIM-08's fix left an order
// creation of unknown outcome) leaves the cart in checkout and its side effects behind. As reviewed
// the cleanup only moves the cart on, and the authorization holds the customer's money for days.
// Fixed: the cleanup undoes the attempt from durable keys alone before it moves the cart (every
// call is idempotent and Ok when there is nothing to undo). Returns true when all of it is undone.
// SIM-13: SIM-07's fix leaves reservations to their TTL, which has lapsed by now only while the TTL
// is shorter than auto_cancel_minutes; an operator's longer order.reservation_timeout_minutes
// (read when P1-CC-02 is fixed) keeps the stock held. Fixed: each item's reservation is released
// by the reference the saga reserved it under.
Task<bool> CheckoutWorker::CompensateAbandonedAttempt(const Cart& cart) {
  const std::string attempt = AttemptInProgress(cart);
  CSIM_CHECK(cart.items.size() <= kOrderItemsMax, "a cart has at most 100 items");
  bool undone = true;
  // SIM-28: SIM-19's fix writes an item's release row only once its lookup failed, and the lookup
  // itself may make the reservation (a reserve by reference that times out after its effect). If
  // that write fails as well, the next pass retries only while the cart stays in checkout. Fixed:
  // the release rows are written first, in one commit, and FailedCompensationWorker releases them
  // (within its 30 s); if the commit fails, nothing is looked up, so nothing is made that no row
  // names, and the next pass tries again.
  if (profile_.Fixed(FindingId("SIM-13")) && profile_.Fixed(FindingId("SIM-19")) &&
      profile_.Fixed(FindingId("SIM-28"))) {
    CheckoutWrite write;
    for (std::size_t i = 0; i < cart.items.size(); ++i) {
      const CartItem& item = cart.items[i];
      if (!item.warehouse_id || item.warehouse_id->empty()) continue;  // EC-08's phantom pool
      write.compensations.push_back(ReleaseByReferenceRow(
          ReserveRequest{item.sku, *item.warehouse_id, item.quantity,
                         SagaReservationTtl(config_, profile_), attempt + ":" + std::to_string(i)},
          config_.checkout.release_max_retries, ports_.clock.Now()));
    }
    if (!write.compensations.empty()) undone = (co_await ports_.store.Commit(write)).ok();
  } else if (profile_.Fixed(FindingId("SIM-13"))) {
    for (std::size_t i = 0; i < cart.items.size(); ++i) {
      const CartItem& item = cart.items[i];
      // The phantom pool of EC-08 holds no stock, and a reserve there would only make one.
      if (!item.warehouse_id || item.warehouse_id->empty()) continue;
      ReserveRequest request{item.sku, item.warehouse_id.value_or(""), item.quantity,
                             SagaReservationTtl(config_, profile_),
                             attempt + ":" + std::to_string(i)};
      Status released = co_await ReleaseByReference(request);
      // SIM-19: as first fixed, a failed release is tried again only by the next pass, and only
      // while the cart stays in checkout. A stalled saga that wakes up reopens the cart, and the
      // reservation this lookup made stays held until its TTL. Fixed: the release goes to
      // FailedCompensationWorker, which retries it whatever becomes of the cart.
      if (!released.ok() && profile_.Fixed(FindingId("SIM-19"))) {
        CheckoutWrite write;
        write.compensations.push_back(ReleaseByReferenceRow(
            request, config_.checkout.release_max_retries, ports_.clock.Now()));
        released = co_await ports_.store.Commit(write);
      }
      undone = released.ok() && undone;
    }
  }
  undone = (co_await VoidByKey(AuthorizationKey(attempt))).ok() && undone;
  for (const std::string& code : cart.checkout_promo_codes) {
    undone = (co_await ports_.promotions.ReleaseUsage(code, attempt)).ok() && undone;
  }
  undone = (co_await ports_.loyalty.GiveBack(cart.customer_id, attempt)).ok() && undone;
  co_return undone;
}

// SIM-03 fixed: the hold an Authorize that timed out may have made, found by its key and voided.
Task<Status> CheckoutWorker::VoidByKey(const std::string& idempotency_key) {
  CSIM_CHECK(!idempotency_key.empty(), "an authorization key is never empty");
  auto found = co_await ports_.payment.LookupAuthorization(idempotency_key);
  if (found.code() == Code::kNotFound) co_return Status::Ok();  // the Authorize never landed
  if (!found.ok()) co_return found.status();
  CSIM_CHECK(!found->empty(), "an authorization has an id");
  co_return co_await ports_.payment.Void(found.value());
}

// SIM-11 and SIM-13 fixed: the reservation made (or maybe made) under `request.reference`.
// Reserving again with the same reference returns it whatever its state (or makes one, if the
// first never landed), and releasing that is Ok for a reservation already released or lapsed.
Task<Status> CheckoutWorker::ReleaseByReference(ReserveRequest request) {
  Status released = co_await LookUpAndRelease(std::move(request));
  // Refused: the saga's reserve was refused the same way, so no reservation exists under this
  // reference (SIM-29: unless an earlier reserve under it has yet to land).
  if (released.code() == Code::kNotFound) co_return Status::Ok();
  co_return released;
}

Task<Status> CheckoutWorker::LookUpAndRelease(ReserveRequest request) {
  CSIM_CHECK(!request.reference.empty(), "a reservation is found by its reference");
  CSIM_CHECK(request.quantity > 0 && request.ttl_us > 0, "the saga reserved a valid request");
  auto found = co_await ports_.warehouse.ReserveWithTtl(request);
  // Refused: no stock, an unknown warehouse, a TTL the warehouse does not take.
  if (found.code() == Code::kInsufficient || found.code() == Code::kNotFound ||
      found.code() == Code::kInvalidArgument) {
    co_return Status{Code::kNotFound, "no reservation under " + request.reference + " for now"};
  }
  if (!found.ok()) co_return found.status();
  Status released = co_await ports_.warehouse.Release(found.value());
  // The id was just handed out, so the warehouse knows it: kNotFound stays the refusal's alone.
  CSIM_CHECK(released.code() != Code::kNotFound, "a reservation found by reference exists");
  co_return released;
}

// completeCartAfterOrderCreation again: the cart (subject) completed for its order, with the
// finalize events.
Task<Status> CheckoutWorker::RetryCartCleanup(FailedCompensation row, TimeUs now) {
  CSIM_CHECK(row.kind == CompensationKind::kCartCleanup);
  auto cart = co_await ports_.store.GetCart(row.subject);
  if (!cart.ok()) co_return cart.status();
  if (cart->status == CartStatus::kCompleted) co_return Status::Ok();  // done meanwhile
  // An abandoned cart (an as-reviewed cleanup got there first) is completed: its order exists.
  if (cart->status == CartStatus::kActive) {
    // The cart was reopened for the customer: it is theirs again, not this row's to complete.
    co_return Status::Ok();
  }
  auto order = co_await ports_.orders.FindBySession(cart->session_id);
  if (!order.ok()) co_return order.status();
  CSIM_CHECK(order->id == Field(row, "order_id"), "one order per cart session");
  co_return co_await CompleteCart(std::move(cart).value(), std::move(order).value(), now);
}

Task<bool> CheckoutWorker::RecordOutcome(FailedCompensation row, Status outcome, TimeUs now) {
  CSIM_CHECK(row.max_attempts > 0, "a compensation has a retry budget");
  // SIM-10: as reviewed a row is given up (exhausted) with its alert after max_attempts tries
  // compensation_backoff_seconds apart, so an outage longer than that budget leaves the effect in
  // place for good. Fixed: the alert goes out at max_attempts as before, and the row stays pending
  // for kAttemptsPastAlertMax more tries whose backoff doubles up to kBackoffPastAlertMaxUs.
  // SIM-18: as first fixed, a release backs off like a void, up to an hour, so after a long
  // warehouse outage its next try comes long after the warehouse is back, with the stock held.
  const bool release = row.kind == CompensationKind::kReleaseReservation ||
                       row.kind == CompensationKind::kReleaseReservationByReference;
  const bool prompt_release = release && profile_.Fixed(FindingId("SIM-18"));
  // SIM-22: as SIM-18 was first fixed, a release's backoff still doubles past the alert, to 2
  // minutes: after a long outage only two or three tries fall inside the 5 minutes a release is
  // given, and one or two ordinary failures carry it past them.
  const bool steady_release = prompt_release && profile_.Fixed(FindingId("SIM-22"));
  const DurationUs base_us = config_.checkout.compensation_backoff_seconds * kSecondUs;
  const std::int32_t past_alert_max = steady_release   ? kSteadyReleaseAttemptsPastAlertMax
                                      : prompt_release ? kReleaseAttemptsPastAlertMax
                                                       : kAttemptsPastAlertMax;
  const DurationUs backoff_max_us = steady_release   ? base_us
                                    : prompt_release ? kReleaseBackoffMaxUs
                                                     : kBackoffPastAlertMaxUs;
  const std::int32_t give_up_at =
      profile_.Fixed(FindingId("SIM-10")) ? row.max_attempts + past_alert_max : row.max_attempts;
  CSIM_CHECK(row.attempts < give_up_at, "an exhausted row is never retried");
  // SIM-29: as SIM-28 was fixed, a release row by reference is done as soon as its lookup is
  // refused (the stock sold out): "no reservation under this reference". But a lookup is itself a
  // reserve, and an earlier one that timed out (the other worker replica's, sent in a slow spell)
  // can land after the refusal and make the reservation that no row names any more. Fixed: a
  // refusal counts only once the row has been refused for kReserveLandsWithinUs without a lookup
  // of unknown outcome between; until then it is looked up again every backoff, which finds (and
  // releases) whatever landed. A refusal is no failed attempt: no alert, no give-up.
  if (row.kind == CompensationKind::kReleaseReservationByReference &&
      profile_.Fixed(FindingId("SIM-29"))) {
    if (outcome.code() == Code::kNotFound) co_return co_await RecordRefusal(std::move(row), now);
    if (!outcome.ok()) row.fields.erase(std::string{kRefusedSinceField});
  }
  bool alert = false;
  if (outcome.ok()) {
    row.status = CompensationStatus::kDone;
  } else {
    row.attempts += 1;
    DurationUs backoff_us = base_us;
    for (std::int32_t past = row.attempts - row.max_attempts; past > 0; --past) {
      backoff_us = std::min(2 * backoff_us, std::max(backoff_max_us, base_us));
    }
    CSIM_CHECK(backoff_us >= base_us, "a retry never comes sooner than the configured backoff");
    row.next_attempt_at = now + backoff_us;
    if (row.attempts >= row.max_attempts && !row.alert_sent) {
      alert = true;  // AlertSent: one alert per row, however often it is seen
      row.alert_sent = true;
    }
    if (row.attempts >= give_up_at) row.status = CompensationStatus::kExhausted;
  }
  CSIM_CHECK(row.status != CompensationStatus::kExhausted || row.alert_sent,
             "a row is never given up without its alert");
  CheckoutWrite write;
  write.compensations.push_back(row);
  Status committed = co_await ports_.store.Commit(write);
  // Raised only once the row says alert_sent, so a failed commit cannot lead to a second alert.
  if (committed.ok() && alert) {
    ports_.alerts.Raise(Alert{"compensation.exhausted", std::to_string(row.id),
                              std::string{Name(row.kind)} + " " + row.subject + " failed " +
                                  std::to_string(row.attempts) + " times: " + outcome.ToString()});
  }
  co_return committed.ok();
}

Task<bool> CheckoutWorker::RecordRefusal(FailedCompensation row, TimeUs now) {
  CSIM_CHECK(row.kind == CompensationKind::kReleaseReservationByReference);
  CSIM_CHECK(row.status == CompensationStatus::kPending, "only a pending row is retried");
  const std::string key{kRefusedSinceField};
  auto since = row.fields.find(key);
  if (since != row.fields.end() &&
      now - static_cast<TimeUs>(ParseCount(since->second)) >= kReserveLandsWithinUs) {
    row.status = CompensationStatus::kDone;  // every earlier lookup has landed, and none made it
  } else {
    // A first refusal's answer came now, after every lookup sent before it: those land by now
    // plus the bound. (`now` is the pass's start, no later than this lookup was sent.)
    if (since == row.fields.end()) row.fields[key] = std::to_string(ports_.clock.Now());
    row.next_attempt_at = now + config_.checkout.compensation_backoff_seconds * kSecondUs;
  }
  CSIM_CHECK(row.status == CompensationStatus::kDone || row.next_attempt_at > now,
             "a refused row is due again later");
  CheckoutWrite write;
  write.compensations.push_back(std::move(row));
  co_return (co_await ports_.store.Commit(write)).ok();
}

}  // namespace csim
