// STOCK-NO-LEAK: while the world runs (timely), a reservation whose owner is gone is released
// within kReleaseBoundUs, well under the reservation TTL, so a leak the TTL would later hide is
// still seen. The owner is gone when its checkout attempt ended without an order (the saga
// compensated, the cart left `checkout`) or when the attempt's order was cancelled. Once settled,
// every reservation ended committed to a live order, released or expired; and the units committed
// in each (sku, warehouse) are exactly those of live orders' confirmed reservations plus what other
// channels sold there.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "core/order/transitions.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"
#include "sim/faults.h"
#include "sim/trace.h"

namespace csim::properties {

namespace {

// A third of the 15 minute reservation TTL: the fixed compensation retries a failed release every
// 30 s (FailedCompensationWorker), so a release that is still missing after this is not coming.
// Counted in time the release could happen: time in which a fault window touched the warehouse or
// the checkout DB (whose rows drive the retries) does not count, since no code can release through
// an outage, nor time in which every replica of the checkout worker was paused or down after a
// crash injected at a call of one of those ports (a hot crash point on the release's own calls
// leaves the worker one try per restart, whatever its code does), until its restart, or until its
// first pass after that when it died in the release's own work (CrashInTheReleasesWork).
// Downtime after any other crash, a crash loop's among them, counts. The TTL still ends such a
// hold.
constexpr DurationUs kReleaseBoundUs = 5 * kMinuteUs;

// SIM-41: whether a crash at a warehouse call came in the work the bound waits for: a release, or a
// lookup by reference that finds a reservation (one made before the call went out). A replica that
// dies there was doing what any worker must, even where the reservation turns out released or
// lapsed already (it cannot tell before it asks), so its restart and the wait for its first pass
// after it are the crash's (swarm seed 1785 at 1000 orders: each life releases a few rows and dies
// at a release). A lookup that finds nothing under its reference is the try of a row the
// warehouse refused, which a worker repeats only in case an earlier lookup lands late (SIM-29):
// a replica that dies there is excused only until its restart, so a worker that spends its lives
// on those rows before the ones that hold stock is still seen (SIM-39). Read from the warehouse's
// ground truth.
bool CrashInTheReleasesWork(const Truth& world, const sim::FaultLayer::CrashAtCall& crash) {
  const fakes::FakeWarehouse& warehouse = world.warehouse();
  const fakes::Reservation* reservation = nullptr;
  if (crash.point == "warehouse.release") {
    reservation = warehouse.FindReservation(std::string{crash.detail});
  } else if (crash.point == "warehouse.reserve") {
    constexpr std::string_view kRef = " ref=";
    const std::size_t ref = crash.detail.find(kRef);
    if (ref != std::string_view::npos) {
      reservation =
          warehouse.FindReservationByReference(std::string{crash.detail.substr(ref + kRef.size())});
    }
  }
  return reservation != nullptr && reservation->created_at < crash.called_us;
}

// Whether reservation `r` is old enough to be late at `now` and still holds stock: the test every
// event applies first (most reservations fail it, whatever their owner).
bool MayBeLate(const fakes::Reservation& r, TimeUs now) {
  return r.status == fakes::ReservationStatus::kActive && now - r.created_at > kReleaseBoundUs &&
         fakes::FakeWarehouse::HoldsStock(r, now);
}

// When the order database took `order`'s cancellation. REQUIRES: the order is not live.
TimeUs CancelledAt(const Truth& world, const Order& order) {
  const std::optional<TimeUs> cancelled_us = world.order_db().CancelledWrittenAt(order.id);
  CSIM_CHECK(cancelled_us.has_value(), "an order that is not live was cancelled");
  return *cancelled_us;
}

// The timely rule for one reservation that MayBeLate, of checkout attempt `attempt` (non-empty):
// `order` is the attempt's order (nullptr if none), `owner` its session's cart (nullptr if none).
void CheckLate(const Truth& world, const fakes::Reservation& r, const std::string& attempt,
               const Order* order, const Cart* owner, TimeUs now, std::vector<Violation>& out) {
  std::string gone;  // how the owner went away
  if (order != nullptr) {
    if (IsLive(order->status)) return;
    const TimeUs due_us = LateReleaseDueUs(world, r, owner, order);
    if (now <= due_us) return;
    if (!CancelledReleaseExcuse(world.trace(), *order, CancelledAt(world, *order), due_us)
             .empty()) {
      return;
    }
    gone = "the cancellation of " + order->id;
  } else {
    if (owner == nullptr) return;
    // The attempt's saga runs while its cart sits in checkout at the version StartSession wrote.
    const std::int64_t attempt_version = std::stoll(attempt.substr(attempt.find(":v") + 2));
    if (owner->status == CartStatus::kCheckout && owner->version == attempt_version + 1) return;
    if (now <= LateReleaseDueUs(world, r, owner, nullptr)) return;
    gone = "attempt " + attempt + " ending without an order";
  }
  out.push_back({"STOCK-NO-LEAK", "reservation=" + r.id,
                 fmt::format("released within {} min of {}", kReleaseBoundUs / kMinuteUs, gone),
                 fmt::format("still active, {} x {} at {}", r.quantity, r.sku, r.warehouse_id),
                 now});
}

void CheckReleasedInTime(const Truth& world, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  // The maps of orders and carts are built only once a reservation is old enough to be late.
  std::map<std::string, const Order*> by_attempt;
  std::map<std::string, const Cart*> cart_of_session;
  bool indexed = false;
  for (const fakes::Reservation& r : world.warehouse().Reservations()) {
    if (!MayBeLate(r, now)) continue;
    const std::string attempt = AttemptOfReference(r.reference);
    if (attempt.empty()) continue;
    if (!indexed) {
      by_attempt = OrdersByAttempt(world.order_db().Orders());
      for (const auto& [id, cart] : world.checkout_db().Carts()) {
        cart_of_session[cart.session_id] = &cart;
      }
      indexed = true;
    }
    auto cart = cart_of_session.find(attempt.substr(0, attempt.find(':')));
    auto order = by_attempt.find(attempt);
    CheckLate(world, r, attempt, order == by_attempt.end() ? nullptr : order->second,
              cart == cart_of_session.end() ? nullptr : cart->second, now, out);
  }
}

}  // namespace

std::string AttemptOfReference(const std::string& reference) {
  const std::size_t first = reference.find(':');
  if (first == std::string::npos || reference.compare(first + 1, 1, "v") != 0) return "";
  const std::size_t second = reference.find(':', first + 1);
  return second == std::string::npos ? "" : reference.substr(0, second);
}

TimeUs LateReleaseDueUs(const Truth& world, const fakes::Reservation& r, const Cart* owner,
                        const Order* order) {
  if (order != nullptr && IsLive(order->status)) return std::numeric_limits<TimeUs>::max();
  TimeUs since = r.created_at;
  if (order != nullptr) {
    // The owner went away when the order database took the cancellation.
    since = std::max(CancelledAt(world, *order), r.created_at);
  } else if (owner != nullptr) {
    // The attempt ended when the store took the write that moved its cart on, not at the time the
    // writer stamped: a saga paused for minutes before that commit still held its attempt.
    since = std::max(world.checkout_db().CartWrittenAt(owner->id), r.created_at);
  }
  // A real backend has no fault windows.
  if (world.faults() == nullptr) return since + kReleaseBoundUs;
  // Nor does time in which every worker that retries the release was paused. An order's release
  // is retried from the order database (its DLQ rows, ReservationCleanupJob); a compensated
  // attempt's from the checkout database (FailedCompensationWorker).
  const sim::FaultLayer::AwayUntilPass in_the_releases_work =
      [&world](const sim::FaultLayer::CrashAtCall& crash) {
        return CrashInTheReleasesWork(world, crash);
      };
  if (order != nullptr) {
    // Wherever core runs the order's release retries (SIM-42: in the order worker as written, in
    // a process of their own fixed); both jobs run in the same one.
    const std::string_view retrier = world.ServiceRunning("DLQRetryWorker");
    CSIM_CHECK(!retrier.empty(), "a simulation runs DLQRetryWorker somewhere");
    CSIM_CHECK(world.ServiceRunning("ReservationCleanupJob") == retrier,
               "ReservationCleanupJob runs where DLQRetryWorker does");
    return world.faults()->UndisturbedDeadline({"warehouse.", "order_db."}, since, kReleaseBoundUs,
                                               retrier, in_the_releases_work);
  }
  // Wherever core runs FailedCompensationWorker (SIM-40: in the checkout worker as written, in a
  // process of its own fixed).
  const std::string_view retrier = world.ServiceRunning("FailedCompensationWorker");
  CSIM_CHECK(!retrier.empty(), "a simulation runs FailedCompensationWorker somewhere");
  return world.faults()->UndisturbedDeadline({"warehouse.", "checkout_db."}, since, kReleaseBoundUs,
                                             retrier, in_the_releases_work);
}

// The cancellation releases right after its commit. Only when that commit failed as its caller
// saw it (a timeout after the effect), or the caller crashed or paused meanwhile, is the release
// left to ReservationCleanupJob, a 15-minute cron. Read from the simulator's trace, which names
// each commit's order, new status and process.
std::string CancelledReleaseExcuse(const sim::Trace* trace, const Order& order, TimeUs cancelled_us,
                                   TimeUs due_us) {
  if (trace == nullptr) return "";  // a real run keeps no trace
  const std::string update = "update " + order.id + " v";
  std::size_t first = 0, end = trace->size();
  while (first < end) {  // the first record at or after the commit (the trace is in time order)
    const std::size_t mid = first + (end - first) / 2;
    if (trace->at(mid).time_us < cancelled_us)
      first = mid + 1;
    else
      end = mid;
  }
  // A call is recorded when it returns to its caller, which may be long after its effect (the
  // caller paused in between): the cancellation's record is the first from the commit on that
  // moves the order to cancelled (it carries orders.order.cancelled) with an outcome that had the
  // effect, however late. Attempts that had none (a conflict, a fault before it) belong to other
  // callers; a crash is recorded as such whether it came before or after the effect.
  const std::string_view moves = " cancelled;outbox orders.order.cancelled;";
  std::optional<std::uint32_t> canceller;
  for (std::size_t i = first; i < trace->size() && !canceller; ++i) {
    const sim::TraceRecord& record = trace->at(i);
    if (trace->NameOf(record.action) != "order_db.commit") continue;
    const std::string_view detail = trace->DetailOf(record);
    if (!detail.starts_with(update) || detail.find(moves) == std::string_view::npos) continue;
    const std::string& outcome = trace->NameOf(record.outcome);
    if (outcome == "fault.after" || outcome == "timeout")
      return "its canceller saw the commit fail";
    if (outcome == "fault.crash") return "its canceller crashed or paused";
    if (outcome == "ok") canceller = record.process;
  }
  // Checked while the world runs, the record may not exist yet: the caller is still inside the
  // call, frozen since its effect.
  if (!canceller) return "its canceller has not returned from the commit";
  // A crash or a pause is recorded when it begins.
  for (std::size_t i = first; i < trace->size() && trace->at(i).time_us <= due_us; ++i) {
    const sim::TraceRecord& record = trace->at(i);
    if (record.process != *canceller) continue;
    if (trace->NameOf(record.outcome) == "fault.crash" ||
        trace->NameOf(record.action) == "process.pause") {
      return "its canceller crashed or paused";
    }
  }
  return "";
}

void CheckStockNoLeakChanged(const sim::World& world, const ChangeTracker& tracker,
                             const Changes& changes, std::vector<Violation>& out) {
  // The tracker times each candidate to its bound and hands it back whenever its cart or order
  // changed since: those are the only reservations that can have become late.
  for (std::size_t index : changes.late_reservations) {
    const fakes::Reservation& r = world.warehouse().Reservations().at(index);
    if (!MayBeLate(r, changes.now)) continue;
    const std::string attempt = AttemptOfReference(r.reference);
    CSIM_CHECK(!attempt.empty(), "a candidate belongs to a checkout attempt");
    CheckLate(world, r, attempt, tracker.OrderFor(world, attempt),
              tracker.CartOfSession(world, attempt.substr(0, attempt.find(':'))), changes.now, out);
  }
}

void CheckStockNoLeak(const Truth& world, bool settled, std::vector<Violation>& out) {
  if (!settled) {
    CheckReleasedInTime(world, out);
    return;
  }
  const TimeUs now = world.now();
  std::map<std::string, const Order*> order_of_reservation;
  for (const auto& [id, order] : world.order_db().Orders()) {
    for (const OrderItem& item : order.items) order_of_reservation[item.reservation_id] = &order;
  }
  using Key = fakes::FakeWarehouse::StockKey;
  std::map<Key, std::int64_t> expected;
  for (const auto& [key, row] : world.warehouse().StockRows()) expected[key] = row.sold_elsewhere;
  for (const fakes::Reservation& r : world.warehouse().Reservations()) {
    if (fakes::FakeWarehouse::HoldsStock(r, now) && r.status == fakes::ReservationStatus::kActive) {
      out.push_back({"STOCK-NO-LEAK", "reservation=" + r.id, "released, expired or committed",
                     "still active after the drain", now});
    }
    if (r.status != fakes::ReservationStatus::kConfirmed) continue;
    auto order = order_of_reservation.find(r.id);
    if (order != order_of_reservation.end() && IsLive(order->second->status)) {
      expected[Key{r.sku, r.committed_warehouse_id.value_or(r.warehouse_id)}] += r.quantity;
    }
  }
  for (const auto& [key, row] : world.warehouse().StockRows()) {
    if (row.committed == expected[key]) continue;
    out.push_back({"STOCK-NO-LEAK", fmt::format("sku={} wh={}", key.first, key.second),
                   fmt::format("committed = live orders + other channels = {}", expected[key]),
                   fmt::format("committed {}", row.committed), now});
  }
}

}  // namespace csim::properties
