#pragma once
// Incremental checking of the "always" invariants. After each event, ChangeTracker reads the fakes'
// change journals (fakes/change_journal.h) and says which rows of the ground truth each invariant
// must look at again; each invariant's `check_changed` looks at those rows only, in the order its
// full scan visits them, with the same per-row test. A row nobody changed cannot start breaking an
// invariant by itself, with two exceptions, timed by the tracker: a reservation that STOCK-NO-LEAK
// finds late only once its bound has passed, and an outbox row NO-SILENT-EVENT-LOSS finds late
// the same way. So the violations found first are the full scan's,
// at the same event (properties/incremental_test.cc compares both on faulty sweeps); the full
// scan stays as the reference (CheckMode::kFullRescan).
//
// What the tracker keeps grows with the rows of the world, never with the events: a step costs
// what the event changed (and a logarithm of the world's size).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/model.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_warehouse.h"
#include "fakes/flat_string_map.h"
#include "properties/invariant.h"
#include "sim/faults.h"
#include "sim/world.h"

namespace csim::properties {

// The two outbox tables, in the order NO-SILENT-EVENT-LOSS's full scan visits them.
enum class OutboxOwner { kCheckout, kOrder };

// The rows to look at again after one event, each set in its full scan's order.
struct Changes {
  TimeUs now = 0;
  std::set<fakes::FakeWarehouse::StockKey> stock_rows;  // units on hand, committed or reserved
  std::vector<std::size_t> reservations;                // made or changed, by index (ascending)
  // STOCK-NO-LEAK's candidates whose release bound passed since they were last looked at.
  std::vector<std::size_t> late_reservations;
  // NO-SILENT-EVENT-LOSS's outbox rows whose publish bound passed since they were last looked at,
  // by table, then row id.
  std::vector<std::pair<OutboxOwner, std::int64_t>> late_outbox_rows;
  // Orders changed, with money changed, holding a changed reservation, or whose attempt's
  // confirmed total appeared.
  std::set<std::string_view> orders;
  std::set<std::string_view> carts;  // changed, or their session's order changed
  std::set<std::string_view> promotions;
  std::set<std::string_view> customers;  // loyalty balances changed

  // No row to look at again: no invariant's check_changed can find anything.
  bool empty() const {
    return stock_rows.empty() && reservations.empty() && late_reservations.empty() &&
           late_outbox_rows.empty() && orders.empty() && carts.empty() && promotions.empty() && customers.empty();
  }
};

class ChangeTracker {
 public:
  // Reads every change since the last call (since the world was built, on the first) and returns
  // the rows to look at again at the kernel's now. The reference stays valid until the next call.
  const Changes& Step(const sim::World& world);

  // ---- lookups for the invariants, from the tracker's indices (kept current by Step) ----
  // The order created by checkout attempt `attempt` (the last by id, as a full scan's map would
  // keep), or nullptr.
  const Order* OrderFor(const sim::World& world, const std::string& attempt) const;
  // The cart of session `session` (the last by id, as a full scan's map would keep), or nullptr.
  const Cart* CartOfSession(const sim::World& world, const std::string& session) const;

 private:
  // True if no journal grew since the last step and no candidate's bound passed before `now`: the
  // step would read nothing and name no row (most events only read the world).
  bool NothingNew(const sim::World& world, TimeUs now) const;
  void ReadOrders(const sim::World& world);
  void ReadCarts(const sim::World& world);
  void ReadReservations(const sim::World& world);
  void ReadRest(const sim::World& world);
  // STOCK-NO-LEAK's clock: (re)schedules candidate `index` at its release bound, given its cart.
  void Reschedule(const sim::World& world, std::size_t index);
  void RescheduleSession(const sim::World& world, const std::string& session);
  void DropCandidate(std::size_t index);
  void TakeLateCandidates(const sim::World& world);
  // NO-SILENT-EVENT-LOSS's clock: times the outbox rows written since the last step, and hands
  // back those whose bound passed unanswered.
  void ReadOutboxes(const sim::World& world);
  void TakeLateOutboxRows(const sim::World& world);

  Changes changes_;
  // True once a step read a journal or a candidate: changes_ may name rows until the next step.
  bool changes_read_ = false;
  // How far each journal has been read.
  std::size_t orders_read_ = 0, carts_read_ = 0, stock_read_ = 0, reservations_read_ = 0,
              money_read_ = 0, promotions_read_ = 0, balances_read_ = 0;
  std::size_t confirmed_read_ = 0;  // World::ConfirmedAttemptChanges read so far
  // Indices over the ground truth. Order and cart ids are the fakes' own map keys (stable); an
  // index entry may be stale (a row that changed its session): lookups check the row itself.
  // The indices by key are only looked up, never iterated (what they hold is: a std::set each, in
  // its full scan's order), so they are hash maps: a search of a std::map of every order misses the
  // cache at each level of the tree.
  template <class Value>
  using Index = fakes::FlatStringMap<Value>;
  Index<std::set<std::string_view>> orders_by_reservation_;
  Index<std::set<std::string_view>> orders_by_attempt_;
  Index<std::set<std::string_view>> carts_by_session_;
  // Orders with no confirmed total for their attempt yet (only looked up: a hash set).
  fakes::FlatStringSet unconfirmed_orders_;
  // Those orders by the attempt they waited for when last read (entries may be stale).
  Index<std::set<std::string_view>> unconfirmed_by_attempt_;
  // STOCK-NO-LEAK's candidates: active reservations of a checkout attempt. Each is either waiting
  // for its bound (in `waiting_`) or parked until its session's cart or order changes.
  struct Candidate {
    std::string attempt;  // AttemptOfReference of its reference
    std::string session;
    std::optional<TimeUs> due_us;  // set while waiting
  };
  std::map<std::size_t, Candidate> candidates_;
  std::set<std::pair<TimeUs, std::size_t>> waiting_;
  Index<std::set<std::size_t>> candidates_by_session_;
  // NO-SILENT-EVENT-LOSS's candidates: outbox rows the timely rule times, not yet answered (taken
  // by the bus or named by an alert), by the earliest time each could be late. The row ids of
  // each table grow with every commit, so the rows read are those up to outbox_read_.
  std::int64_t outbox_read_[2] = {0, 0};
  std::set<std::tuple<TimeUs, OutboxOwner, std::int64_t>> outbox_waiting_;
};

// Calls fn(id, row) for each id of `ids` whose row find(id) gives (a pointer, nullptr if the table
// has none: a fake's key index), in the ids' order (a full scan's).
template <class Find, class Fn>
void ForEachHeld(const std::set<std::string_view>& ids, Find find, Fn fn) {
  for (std::string_view id : ids) {
    if (const auto* row = find(id); row != nullptr) fn(id, *row);
  }
}

// STOCK-NO-LEAK's timely rule (stock_no_leak.cc), shared with the tracker:
// "<session>:v<version>" of a checkout reservation's reference, or "" for another shape.
std::string AttemptOfReference(const std::string& reference);
// The first time at which the active reservation `r` could be late, given its attempt's order and
// its session's cart (each nullptr if none) as the stores hold them: past this, a check must look
// at it. Never while the order is live.
TimeUs LateReleaseDueUs(const Truth& world, const fakes::Reservation& r, const Cart* owner,
                        const Order* order);
// Why the stock of `order`, whose cancellation the order database took at `cancelled_us`, may still
// be held at `due_us` under working code (read from the simulator's trace), or "" if nothing
// explains it or there is no trace.
std::string CancelledReleaseExcuse(const sim::Trace* trace, const Order& order, TimeUs cancelled_us,
                                   TimeUs due_us);

// NO-SILENT-EVENT-LOSS's timely rule (no_silent_event_loss.cc), shared with the tracker.
// The fixed publisher gives up on an event after 10 attempts a second apart and raises
// outbox.failed, within about 15 s of a table it can reach: twenty times that is well past any
// working publisher, and far under the 30 days a failed row is kept.
inline constexpr DurationUs kPublishBoundUs = 5 * kMinuteUs;
// Whether the timely rule times `row` (not a compensation row, whose warehouse action is timed
// by STOCK-NO-LEAK).
bool TimedOutboxRow(const OutboxRow& row);
// Whether the bus accepted the row's event or an alert names it: nothing more to time.
bool OutboxRowAnswered(const Truth& world, const OutboxRow& row);
// The time after which `row` of `owner`'s outbox, still unanswered, is late: kPublishBoundUs
// from its commit, not counting time in which its database was in a fault window or every
// replica of its publisher's process was paused. Never before created_at + kPublishBoundUs.
TimeUs LatePublishDueUs(const Truth& world, OutboxOwner owner, const OutboxRow& row);

}  // namespace csim::properties
