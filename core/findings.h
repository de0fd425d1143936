#pragma once
// The finding catalogue (docs/findings.md) as data, and the Profile that says, per
// finding, whether the core behaves as reviewed (bug included) or as fixed. Code reads a switch
// where the behaviour lives, by the catalogue's own ID:
//   if (profile.Fixed(FindingId("P1-CC-01"))) ...
// FindingId is consteval, so a misspelt ID does not compile.

#include <array>
#include <bitset>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace csim {

struct FindingInfo {
  std::string_view id;       // the first ID of the catalogue row
  std::string_view aliases;  // the row's other IDs, space separated ("" if none)
  std::string_view summary;  // one line: what goes wrong as reviewed
  std::string_view detected_by;
};

inline constexpr std::array<FindingInfo, 59> kFindings{{
    {"P0-CC-01", "",
     "no consumer for payments.refund.completed: refunded orders never become refunded",
     "ORDER-SETTLES EVENT-SETTLES MONEY-CONSERVED"},
    {"P1-CC-01", "EC-08",
     "empty warehouse id passed to ReserveStockWithTTL: reserves a phantom pool, oversell",
     "NO-OVERSELL NO-PHANTOM-WAREHOUSE"},
    {"P1-CC-02", "M-03",
     "reservation TTL is the checkout constant (15 min); reservation_timeout_minutes is read by "
     "nothing",
     "config lint, TTL scenario"},
    {"P1-CC-03", "", "outbox event marked failed after 10 retries with no alert and no drain",
     "NO-SILENT-EVENT-LOSS STATUS-CHANGES-PUBLISHED"},
    {"P1-CC-04", "EC-05",
     "cart cleanup releases reservations of checkout carts whose order is live",
     "NO-OVERSELL STOCK-NO-LEAK CART-NOT-CLEANED-UNDER-LIVE-ORDER"},
    {"P1-CC-05", "M-05", "checkout keeps its own order transition table without partially_shipped",
     "VALID-TRANSITIONS"},
    {"P2-CC-04", "EC-04",
     "promo usage applied after the order, best effort: an expired promo leaks its budget",
     "PROMO-NO-BUDGET-LEAK"},
    {"P2-CC-05", "EC-06", "rollback of a partial reservation ignores release errors",
     "STOCK-NO-LEAK"},
    {"P2-CC-03", "EC-12", "loyalty points are never redeemed at checkout", "LOYALTY-CONSERVED"},
    {"R-1.4", "", "a cart whose completion and its DLQ retry failed stays in checkout forever",
     "ORDER-SETTLES"},
    {"R-1.5", "", "shipping fee not re-fetched at confirm: the order can carry a fee never shown",
     "PRICE-AS-CONFIRMED"},
    {"R-3.3", "", "deprecated HTTP subscription path without event-id dedup processes events twice",
     "EFFECT-ONCE MONEY-CONSERVED"},
    {"EC-11", "",
     "a pending order expires after auto_cancel_minutes (24 h): once its reservations lapse and "
     "their reservation_expired event is lost, it stays pending a day, holding the authorization",
     "ORDER-SETTLES"},
    {"EC-14", "", "two warehouse interfaces in the order side; rollback releases through only one",
     "STOCK-NO-LEAK"},
    {"M-04", "P2-CC-01", "topic orders.checkout.completed declared and never published",
     "topology audit"},
    {"M-01", "P2-CC-02 P2-CC-08 P1-CC-06",
     "config values disagree or are hard-coded (country, max amount)", "config lint"},
    // Found by the simulator, not the review (findings.md, "Beyond the review").
    {"SIM-01", "",
     "CancelOrder refunds and releases before its cancellation commits: a refund.completed "
     "arriving first is dropped and the order never becomes refunded",
     "ORDER-SETTLES"},
    {"SIM-02", "",
     "a promotion claim or points redemption that timed out after its effect is not compensated: "
     "the usage or points stay taken for an order that never existed",
     "PROMO-NO-BUDGET-LEAK LOYALTY-CONSERVED SAGA-SETTLES"},
    {"SIM-03", "",
     "an Authorize that timed out after it succeeded, then failed on retry, leaves a hold the "
     "compensation never voids: the saga voids only an authorization id it heard back",
     "SAGA-SETTLES"},
    {"SIM-04", "",
     "a cancelled order whose stock release was left to ReservationCleanupJob is refunded first; "
     "the job scans cancelled orders only, so the stock never comes back",
     "STOCK-NO-LEAK"},
    {"SIM-05", "",
     "a payment confirmed after the order's reservation lapsed confirms the order with no stock "
     "held for it; the confirm DLQ retries fail the same way",
     "ORDER-SETTLES NO-OVERSELL"},
    {"SIM-06", "",
     "a reservation whose ReserveWithTtl timed out after it took effect is not rolled back by the "
     "compensation: its stock is held until the TTL lapses",
     "STOCK-NO-LEAK"},
    {"SIM-07", "",
     "a saga whose compensation rows could not be committed leaves its cart in checkout; the "
     "cleanup moves the cart on without undoing the attempt, so its authorization stays held",
     "SAGA-SETTLES"},
    {"SIM-08", "",
     "an order creation that timed out and could not be looked up is compensated although the "
     "order may exist: it keeps released stock and a voided authorization, and a retry gets it "
     "back while the retry's reservations hold stock for nothing",
     "STOCK-NO-LEAK ORDER-SETTLES CART-NOT-CLEANED-UNDER-LIVE-ORDER"},
    {"SIM-09", "",
     "SIM-05's re-reservation that fails for a passing reason sends the lapsed reservation to the "
     "confirm DLQ, which can never confirm it: the order is confirmed with no stock held",
     "ORDER-SETTLES"},
    {"SIM-10", "",
     "a failed compensation is given up after its retry budget (5 voids 30 s apart), however "
     "long the service it needs is down: an outage that outlasts the budget leaves the customer's "
     "authorization held until the hold lapses, days later",
     "SAGA-SETTLES STOCK-NO-LEAK"},
    {"SIM-11", "",
     "a reserve that timed out after it took effect, whose reservation the compensation could not "
     "look up because the warehouse was unreachable, is never queued for release: its stock is "
     "held until the TTL lapses",
     "STOCK-NO-LEAK"},
    {"SIM-12", "",
     "a confirm that reserved a lapsed order's stock again (SIM-05's fix) and then lost its commit "
     "to a concurrent cancellation leaves the new reservation committed for a cancelled order",
     "STOCK-NO-LEAK"},
    {"SIM-13", "",
     "the cleanup that undoes an attempt left without an order (SIM-07's fix) leaves its "
     "reservations to their TTL: an operator's reservation TTL longer than auto_cancel_minutes "
     "keeps the stock held after the cart is reopened",
     "STOCK-NO-LEAK"},
    {"SIM-14", "",
     "a reservation confirm that fails for a passing reason goes to the confirm DLQ and the order "
     "is committed confirmed; a warehouse outage longer than the reservation's remaining TTL makes "
     "every DLQ retry meet a lapsed reservation: the order ships with no stock held",
     "ORDER-SETTLES"},
    {"SIM-15", "",
     "a lapsed item reserved and committed again (SIM-05's fix) before the confirmation failed or "
     "lost its commit is named by no order: a cancellation that comes before the retry releases "
     "only the lapsed reservation, and the new one's units stay committed for nothing",
     "STOCK-NO-LEAK"},
    {"SIM-16", "",
     "PaymentCompensationWorker records no void: every pass spends its batch of 100 on the same "
     "first cancelled orders, and with more cancelled unpaid orders than that the later holds are "
     "never voided",
     "SAGA-SETTLES"},
    {"SIM-17", "",
     "a checkout saga stalled past its lock's TTL and auto_cancel_minutes goes on after the cart "
     "cleanup undid its attempt: a reserve by the same reference returns the released "
     "reservation and a live order is created on it",
     "CART-NOT-CLEANED-UNDER-LIVE-ORDER"},
    {"SIM-18", "",
     "a release compensation past its alert backs off like a void, doubling towards an hour: "
     "after a long warehouse outage its next try comes many minutes after the warehouse is back, "
     "and the reservation it should release (or its lookup by reference made again) stays held",
     "STOCK-NO-LEAK"},
    {"SIM-19", "",
     "the cart cleanup that undoes an abandoned attempt (SIM-07, SIM-13) retries a failed release "
     "only on its next pass and only while the cart is still in checkout: a stalled saga that "
     "wakes up and reopens the cart leaves the reservation the cleanup's lookup made held to its "
     "TTL",
     "STOCK-NO-LEAK"},
    {"SIM-20", "",
     "PaymentCompensationWorker and ReservationCleanupJob read at most 10,000 cancelled orders "
     "by id, settled or not, and skip the settled ones: once more than 10,000 cancelled orders "
     "exist, those past the first 10,000 by id are never refunded, voided or released",
     "NO-LEAKED-AUTH SAGA-SETTLES"},
    {"SIM-21", "",
     "FailedCompensationWorker retries a pass's due rows one after another by id: while the "
     "payment provider answers past its deadline, each void waits it out, and a stock release "
     "queued behind them comes minutes late, its reservation held meanwhile",
     "STOCK-NO-LEAK"},
    {"SIM-22", "",
     "past its alert a release compensation still backs off, to 2 minutes (SIM-18's first fix): "
     "after a long warehouse disturbance only two or three tries fall within the 5 minutes a "
     "release is given, and one or two ordinary failures carry the release past them",
     "STOCK-NO-LEAK"},
    {"SIM-23", "",
     "SIM-05's re-reservation timed out after its effect and was retried more than a TTL later: "
     "its reference returns the lapsed reservation, whose confirm fails for good, and the order "
     "is confirmed through the confirm DLQ with no stock held",
     "ORDER-SETTLES"},
    {"SIM-24", "",
     "the outbox publisher marks a compensation row failed after 10 refused publishes while the "
     "bus is down, and the DLQ retry, which acts on the warehouse without the bus, reads pending "
     "rows only: the release waits for the failed-row drain and the reservation stays held",
     "STOCK-NO-LEAK"},
    {"SIM-25", "",
     "as SIM-24's fix was first written, the publisher leaves a refused compensation row pending "
     "but due again only after its 1-second backoff, and takes it back every second: the DLQ "
     "retry, polling every minute, almost never finds it due, and while the bus stays down the "
     "release waits for the bus or the reservation cleanup, its reservation held",
     "STOCK-NO-LEAK"},
    {"SIM-26", "",
     "as SIM-21's fix was first written, a compensation pass reads the first 100 due rows by id "
     "and puts the releases among them first: behind more than 100 due voids waiting out a slow "
     "payment provider, a release is not read at all, and its reservation stays held for many "
     "passes; and a pass that runs its whole 2 minutes retries a release only every 150 s",
     "STOCK-NO-LEAK"},
    {"SIM-27", "",
     "PaymentCompensationWorker leaves alone every cancelled order created more than 7 days ago, "
     "refunds included: a refund owed on an order cancelled after a week, whose own refund call "
     "failed, is never retried and no alert says so",
     "MONEY-CONSERVED NO-LEAKED-AUTH"},
    {"SIM-28", "",
     "SIM-19's fix writes the cart cleanup's release row only after the lookup by reference that "
     "may make the reservation failed: when that write fails too (the checkout database down), "
     "the retry is again the next pass's, only while the cart stays in checkout, and a stalled "
     "saga that wakes up and reopens the cart leaves the reservation the lookup made held to its "
     "TTL",
     "STOCK-NO-LEAK"},
    {"SIM-29", "",
     "SIM-28's fix takes a refused lookup by reference (the stock sold out) for proof that no "
     "reservation exists under it and finishes the release row, while another worker replica's "
     "lookup of the same row, sent in a slow spell of the warehouse, lands after the refusal and "
     "makes the reservation no row names any more: it is held to its TTL",
     "STOCK-NO-LEAK"},
    {"SIM-30", "",
     "as SIM-01 was fixed, a cancellation writes the DLQ row of a release that failed only in its "
     "second commit, after the cancellation and the event's processed mark: when that commit "
     "fails too, the row is lost and the stock waits for ReservationCleanupJob's next pass, up to "
     "15 minutes, past the 5 minutes a cancelled order's stock is given",
     "STOCK-NO-LEAK"},
    {"SIM-31", "",
     "the order service's DLQ retry gives a cancellation's release row up after 10 redrives a "
     "minute apart: a warehouse outage longer than 10 minutes leaves the stock to the failed-row "
     "drain or ReservationCleanupJob, up to 15 minutes after the warehouse is back",
     "STOCK-NO-LEAK"},
    {"SIM-32", "",
     "a compensation row the bus takes is marked published: when its consumer fails (the "
     "warehouse down) and the broker then goes down holding the redelivery, the DLQ retry, which "
     "reads only rows the bus has not taken, never sees it, and the stock waits for the broker or "
     "ReservationCleanupJob long after the warehouse is back",
     "STOCK-NO-LEAK"},
    {"SIM-33", "",
     "the checkout worker's FailedCompensationWorker and CartCleanupWorker make their first pass "
     "a whole period after the process starts: a worker that crashes again within its period "
     "never makes one, and a failed release waits out every restart, its stock held",
     "STOCK-NO-LEAK"},
    {"SIM-34", "",
     "FailedCompensationWorker tries a release row once a pass: a few passing refusals of the "
     "warehouse in a row and two cron passes that come late carry the release past the 5 minutes "
     "a released attempt's stock is given",
     "STOCK-NO-LEAK"},
    {"SIM-35", "",
     "the order worker's DLQRetryWorker and ReservationCleanupJob make their first pass a whole "
     "period after the process starts: an order worker that crashes again within a minute never "
     "makes one, and a cancellation's release row, waiting for the DLQ retry while the bus is "
     "down, holds its stock past every restart",
     "STOCK-NO-LEAK"},
    {"SIM-36", "",
     "SIM-15's fix looks an order's reservation made again up by its reference only in the "
     "cancellation's own release, after the lapsed reservation's release worked: when the "
     "warehouse refuses the cancellation, no row names the reservation made again, and its units "
     "stay committed for the cancelled order until ReservationCleanupJob, up to 15 minutes",
     "STOCK-NO-LEAK"},
    {"SIM-37", "",
     "the outbox publishers raise outbox.failed only after a row's 10 retries: a broker slow past "
     "the publish deadline (10 s a row, 50 rows a pass) or passes that start late spread them over "
     "most of an hour, and events wait unpublished all that time with no alert",
     "NO-SILENT-EVENT-LOSS"},
    {"SIM-38", "",
     "SIM-37's fix as first written runs OutboxLagMonitor in each worker: a worker that "
     "crash-loops through a broker outage dies before its monitor's pass, which starts late at "
     "some boots, and the events it keeps from the broker wait past 5 minutes with no alert",
     "NO-SILENT-EVENT-LOSS"},
    {"SIM-39", "",
     "FailedCompensationWorker retries release rows in id order, the refused ones (SIM-29's "
     "lookups every 30 s for half an hour, which rarely find anything) ahead of newer rows whose "
     "reservation exists: a pass cut short (its budget, a crash) spends itself on refused rows "
     "again and again, and a compensated attempt's stock stays held past 5 minutes",
     "STOCK-NO-LEAK"},
    {"SIM-40", "",
     "FailedCompensationWorker shares the checkout worker's process with CartCleanupWorker: a "
     "crash point in the cleanup's order lookups (one per stale checkout cart, hundreds after a "
     "busy hour) kills every life of the worker before a compensation pass has released anything, "
     "and a compensated attempt's stock stays held past 5 minutes",
     "STOCK-NO-LEAK"},
    {"SIM-42", "",
     "DLQRetryWorker and ReservationCleanupJob share the order worker's process with the event "
     "consumers: a crash point at payment.capture, hit again at every restart by the capture "
     "requests the bus redelivers, kills each life before the repair passes reach a cancelled "
     "order's release, and its stock stays held past 5 minutes",
     "STOCK-NO-LEAK"},
    {"SIM-43", "",
     "a fulfilment or delivery event that arrives before the order can take its move (its "
     "processing event still refused or held back by the bus when shipped comes) is acknowledged "
     "and dropped as if late: the order stays processing though its goods were shipped",
     "ORDER-SETTLES"},
    {"SIM-44", "",
     "a confirmed or processing order is cancelled without asking the fulfilment service: goods "
     "that left while the bus could not yet carry shipped (an outage) go to a customer whose "
     "order is cancelled, its stock given back and its money refunded",
     "ORDER-SETTLES MONEY-CONSERVED"},
}};

inline constexpr std::size_t kFindingCount = kFindings.size();

// A finding's index in kFindings.
struct Finding {
  std::size_t index;
};

namespace findings_detail {
constexpr bool AliasListHas(std::string_view list, std::string_view id) {
  while (!list.empty()) {
    std::size_t space = list.find(' ');
    std::string_view word = list.substr(0, space);
    if (word == id) return true;
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  return false;
}
}  // namespace findings_detail

// Any ID of a catalogue row (primary or alias), or nullopt.
constexpr std::optional<Finding> LookupFinding(std::string_view id) {
  for (std::size_t i = 0; i < kFindings.size(); ++i) {
    if (kFindings[i].id == id || findings_detail::AliasListHas(kFindings[i].aliases, id))
      return Finding{i};
  }
  return std::nullopt;
}

consteval Finding FindingId(std::string_view id) {
  auto finding = LookupFinding(id);
  if (!finding) throw "unknown finding ID";  // a compile error, never a run-time throw
  return *finding;
}

class Profile {
 public:
  // Every finding fixed: the default.
  static Profile AllFixed() {
    Profile p;
    p.fixed_.set();
    return p;
  }
  // Every finding as the review found it.
  static Profile AsReviewed() { return Profile{}; }

  bool Fixed(Finding f) const { return fixed_.test(f.index); }
  bool AsReviewedOn(Finding f) const { return !Fixed(f); }
  void SetAsReviewed(Finding f) { fixed_.reset(f.index); }
  void SetFixed(Finding f) { fixed_.set(f.index); }

  // "fixed", "as-reviewed", or "fixed+as-reviewed:ID,ID" for a mix.
  std::string Name() const;
  bool operator==(const Profile&) const = default;

 private:
  std::bitset<kFindingCount> fixed_;
};

// Every valid ID, primary and aliases, comma separated (for error messages).
std::string ValidFindingIds();

}  // namespace csim
