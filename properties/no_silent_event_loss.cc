// NO-SILENT-EVENT-LOSS: once settled, every event a service committed to its outbox reached the
// bus, or an alert names it. Read from ground truth: the outbox rows the stores hold (what each
// transaction durably wrote, whatever status core later gave them), the events the bus fake
// actually accepted, the alerts raised, and for compensation rows the warehouse.
//
// While the world runs (timely), an event the bus has not taken within kPublishBoundUs of its
// commit is named by an alert by then (a warning that it is late will do): an outage that keeps
// events from the bus for an hour is silent loss for that hour, however surely the events go out
// after it, and P1-CC-03's fix is the alert when a publisher gives up. Compensation rows are left
// to the settled half: their warehouse action, not the bus, is what they owe, and STOCK-NO-LEAK
// times it.
//
// A compensation.* row is a work order for the order worker, not news for other services: it is
// carried out either by the DLQ consumer after the bus delivers it or by DLQRetryWorker straight
// from the table. So it counts as delivered only when its warehouse action took effect; a row the
// bus accepted whose consumer acknowledged a failure (P1-CC-03's DLQ part) is lost unless alerted.
#include <fmt/format.h>

#include <map>
#include <set>

#include "core/order/order_service.h"
#include "core/topics.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

bool IsCompensation(const std::string& topic) {
  return topic == topics::kReservationConfirmDlq || topic == topics::kReservationReleaseDlq ||
         topic == topics::kRefundRestockDlq;
}

// Whether the warehouse shows the compensation's action done: the reservation confirmed; released
// (or lapsed, holding nothing); or its units restocked under the row's reference.
// A release row that names a reserve-again reference (SIM-36's) instead of a reservation: done once
// nothing under that reference holds stock, or, committed, once restocked under the reference
// every path uses for it.
bool CompensationDone(const Truth& world, const Event& event, TimeUs now) {
  const fakes::FakeWarehouse& warehouse = world.warehouse();
  const std::string again_reference = event.Get(topics::kAgainReferenceField);
  const fakes::Reservation* r = again_reference.empty()
                                    ? warehouse.FindReservation(event.Get("reservation_id"))
                                    : warehouse.FindReservationByReference(again_reference);
  const std::string restock_reference = again_reference.empty() || r == nullptr
                                            ? event.Get("reference")
                                            : RestockReference(event.Get("order_id"), r->id);
  const bool restocked = warehouse.Restocks().contains(restock_reference);
  if (event.topic == topics::kRefundRestockDlq) return restocked;
  if (r == nullptr) return !again_reference.empty();  // nothing was reserved under it
  if (event.topic == topics::kReservationConfirmDlq) {
    return r->status == fakes::ReservationStatus::kConfirmed;
  }
  // A release: done once the reservation holds nothing, or, committed since, once restocked.
  if (r->status == fakes::ReservationStatus::kConfirmed) return restocked;
  return !fakes::FakeWarehouse::HoldsStock(*r, now);
}

void CheckTable(const Truth& world, const std::string& service,
                const std::map<std::int64_t, OutboxRow>& rows, const std::set<std::string>& alerted,
                std::vector<Violation>& out) {
  const TimeUs now = world.now();
  for (const auto& [id, row] : rows) {
    const Event& event = row.event;
    if (alerted.contains(event.id)) continue;
    const bool compensation = IsCompensation(event.topic);
    if (compensation ? CompensationDone(world, event, now) : world.bus().Accepted(event.id)) {
      continue;
    }
    out.push_back({"NO-SILENT-EVENT-LOSS", fmt::format("{} outbox {}", service, event.id),
                   compensation ? "its warehouse action done, or an alert naming it"
                                : "accepted by the bus, or an alert naming it",
                   fmt::format("{} by the bus, no alert (row {} after {} attempts)",
                               world.bus().Accepted(event.id) ? "accepted" : "never accepted",
                               Name(row.status), row.attempts),
                   now});
  }
}

const std::map<std::int64_t, OutboxRow>& RowsOf(const Truth& world, OutboxOwner owner) {
  return owner == OutboxOwner::kCheckout ? world.checkout_db().Outbox() : world.order_db().Outbox();
}

// The timely rule for one row: appends its violation if it is late at `now`.
void CheckPublishedInTime(const Truth& world, OutboxOwner owner, const OutboxRow& row, TimeUs now,
                          std::vector<Violation>& out) {
  if (!TimedOutboxRow(row) || row.created_at + kPublishBoundUs >= now) return;
  if (OutboxRowAnswered(world, row) || now <= LatePublishDueUs(world, owner, row)) return;
  const bool checkout = owner == OutboxOwner::kCheckout;
  out.push_back({"NO-SILENT-EVENT-LOSS",
                 fmt::format("{} outbox {}", checkout ? "checkout" : "order", row.event.id),
                 fmt::format("accepted by the bus within {} min of its commit, or an alert "
                             "naming it by then",
                             kPublishBoundUs / kMinuteUs),
                 fmt::format("not accepted, no alert (row {} after {} attempts)", Name(row.status),
                             row.attempts),
                 now});
}

}  // namespace

bool TimedOutboxRow(const OutboxRow& row) {
  return !IsCompensation(row.event.topic);
}

bool OutboxRowAnswered(const Truth& world, const OutboxRow& row) {
  return world.bus().Accepted(row.event.id) || world.alerts().Names(row.event.id);
}

TimeUs LatePublishDueUs(const Truth& world, OutboxOwner owner, const OutboxRow& row) {
  // A real backend has no fault windows.
  if (world.faults() == nullptr) return row.created_at + kPublishBoundUs;
  // No publisher reads a table its database will not serve, nor runs while every replica of its
  // process is paused or down after a crash injected at a call of that database; the bus's own
  // outages count, since they are what the alert is for, and so does downtime after any other
  // crash (a crash loop's, one at the bus).
  if (owner == OutboxOwner::kCheckout) {
    return world.faults()->UndisturbedDeadline({"checkout_db."}, row.created_at, kPublishBoundUs,
                                               "checkout-worker");
  }
  return world.faults()->UndisturbedDeadline({"order_db."}, row.created_at, kPublishBoundUs,
                                             "order-worker");
}

void CheckNoSilentEventLossChanged(const sim::World& world, const ChangeTracker& tracker,
                                   const Changes& changes, std::vector<Violation>& out) {
  (void)tracker;
  const Truth truth(world);
  for (const auto& [owner, id] : changes.late_outbox_rows) {
    CheckPublishedInTime(truth, owner, RowsOf(truth, owner).at(id), changes.now, out);
  }
}

void CheckNoSilentEventLoss(const Truth& world, bool settled, std::vector<Violation>& out) {
  if (!settled) {
    for (OutboxOwner owner : {OutboxOwner::kCheckout, OutboxOwner::kOrder}) {
      for (const auto& [id, row] : RowsOf(world, owner)) {
        CheckPublishedInTime(world, owner, row, world.now(), out);
      }
    }
    return;
  }
  // Once settled, only an alert that gives the event up answers for it: SIM-37's outbox.lagging
  // says an event is late, and one that is then dropped silently (P1-CC-03 as reviewed) is lost
  // all the same.
  std::set<std::string> alerted;
  for (const Alert& alert : world.alerts().Raised()) {
    if (alert.kind != "outbox.lagging") alerted.insert(alert.subject);
  }
  CheckTable(world, "checkout", world.checkout_db().Outbox(), alerted, out);
  CheckTable(world, "order", world.order_db().Outbox(), alerted, out);
}

}  // namespace csim::properties
