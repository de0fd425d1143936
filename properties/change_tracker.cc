#include "properties/change_tracker.h"

#include <algorithm>

#include "core/check.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_promotions.h"

namespace csim::properties {
namespace {

const std::map<std::int64_t, OutboxRow>& OutboxOf(const sim::World& world, OutboxOwner owner) {
  return owner == OutboxOwner::kCheckout ? world.checkout_db().Outbox() : world.order_db().Outbox();
}

// The largest row id of `owner`'s outbox, 0 while it is empty.
std::int64_t LastOutboxId(const sim::World& world, OutboxOwner owner) {
  const auto& rows = OutboxOf(world, owner);
  return rows.empty() ? 0 : rows.rbegin()->first;
}

// The session of a checkout attempt "<session>:v<version>" (the whole text if it has no ':').
std::string SessionOfAttempt(const std::string& attempt) {
  return attempt.substr(0, attempt.find(':'));
}

}  // namespace

const Changes& ChangeTracker::Step(const sim::World& world) {
  // Emptied member by member: the vectors keep their capacity from one event to the next. Only
  // after a step that read something: most steps read nothing, and their changes are empty still.
  if (changes_read_) {
    changes_.stock_rows.clear();
    changes_.reservations.clear();
    changes_.late_reservations.clear();
    changes_.late_outbox_rows.clear();
    changes_.orders.clear();
    changes_.carts.clear();
    changes_.promotions.clear();
    changes_.customers.clear();
    changes_read_ = false;
  }
  changes_.now = world.kernel().now();
  if (NothingNew(world, changes_.now)) return changes_;
  changes_read_ = true;
  // Orders and carts first: the reservations' candidates are rescheduled against them.
  ReadOrders(world);
  ReadCarts(world);
  ReadReservations(world);
  ReadRest(world);
  TakeLateCandidates(world);
  ReadOutboxes(world);
  TakeLateOutboxRows(world);
  return changes_;
}

bool ChangeTracker::NothingNew(const sim::World& world, TimeUs now) const {
  // Each Read* below and TakeLateCandidates does nothing exactly when these hold.
  return orders_read_ == world.order_db().OrderChanges().size() &&
         confirmed_read_ == world.ConfirmedAttemptChanges().size() &&
         carts_read_ == world.checkout_db().CartChanges().size() &&
         reservations_read_ == world.warehouse().ReservationChanges().size() &&
         stock_read_ == world.warehouse().StockChanges().size() &&
         money_read_ == world.payment().OrderMoneyChanges().size() &&
         promotions_read_ == world.promotions().UsageChanges().size() &&
         balances_read_ == world.loyalty().BalanceChanges().size() &&
         (waiting_.empty() || waiting_.begin()->first >= now) &&
         LastOutboxId(world, OutboxOwner::kCheckout) == outbox_read_[0] &&
         LastOutboxId(world, OutboxOwner::kOrder) == outbox_read_[1] &&
         (outbox_waiting_.empty() || std::get<0>(*outbox_waiting_.begin()) >= now);
}

void ChangeTracker::ReadOrders(const sim::World& world) {
  const auto& order_db = world.order_db();
  const auto& journal = order_db.OrderChanges();
  const auto& confirmed = world.ConfirmedAttemptChanges();
  CSIM_CHECK(confirmed.size() == world.confirmed_totals().size(), "one note per attempt");
  // Most steps that read something changed no order: the loops below would do nothing.
  if (orders_read_ == journal.size() && confirmed_read_ == confirmed.size()) return;
  std::set<std::string> sessions;  // whose carts and candidates depend on these orders
  for (; orders_read_ < journal.size(); ++orders_read_) {
    const std::string& id = *journal.at(orders_read_);
    const Order* found = order_db.FindOrder(id);
    CSIM_CHECK(found != nullptr, "the journal names stored orders");
    const Order& order = *found;
    changes_.orders.insert(id);
    for (const OrderItem& item : order.items)
      orders_by_reservation_[item.reservation_id].insert(id);
    orders_by_attempt_[order.checkout_attempt].insert(id);
    sessions.insert(order.cart_session_id);
    sessions.insert(SessionOfAttempt(order.checkout_attempt));
    if (world.confirmed_totals().contains(order.checkout_attempt)) {
      unconfirmed_orders_.erase(id);
    } else {
      unconfirmed_orders_.insert(id);
      unconfirmed_by_attempt_[order.checkout_attempt].insert(id);
    }
  }
  // PRICE-AS-CONFIRMED: an attempt's first confirmed total may arrive after its order (a customer
  // whose tab confirms after another tab's order was made). Only the orders filed under the
  // attempts confirmed since the last step can have become confirmed: they are looked at, not
  // every order still waiting (a scan that grew with the world at every new confirmation).
  for (; confirmed_read_ < confirmed.size(); ++confirmed_read_) {
    const std::string& attempt = *confirmed.at(confirmed_read_);
    const std::set<std::string_view>* waiting = unconfirmed_by_attempt_.Find(attempt);
    if (waiting == nullptr) continue;
    for (std::string_view id : *waiting) {
      if (!unconfirmed_orders_.contains(id)) continue;
      // An index entry may be stale (the order moved to another attempt since): the row decides.
      const Order* order = order_db.FindOrder(id);
      CSIM_CHECK(order != nullptr, "the index names stored orders");
      if (!world.confirmed_totals().contains(order->checkout_attempt)) continue;
      changes_.orders.insert(id);
      unconfirmed_orders_.erase(id);
    }
    unconfirmed_by_attempt_.Erase(attempt);
  }
  for (const std::string& session : sessions) {
    if (const auto* carts = carts_by_session_.Find(session); carts != nullptr) {
      changes_.carts.insert(carts->begin(), carts->end());
    }
    RescheduleSession(world, session);
  }
}

void ChangeTracker::ReadCarts(const sim::World& world) {
  const auto& journal = world.checkout_db().CartChanges();
  if (carts_read_ == journal.size()) return;  // nothing to read, as in ReadOrders
  std::set<std::string> sessions;
  for (; carts_read_ < journal.size(); ++carts_read_) {
    const std::string& id = *journal.at(carts_read_);
    const Cart* found = world.checkout_db().FindCart(id);
    CSIM_CHECK(found != nullptr, "the journal names stored carts");
    const Cart& cart = *found;
    changes_.carts.insert(id);
    carts_by_session_[cart.session_id].insert(id);
    sessions.insert(cart.session_id);
  }
  for (const std::string& session : sessions) RescheduleSession(world, session);
}

void ChangeTracker::ReadReservations(const sim::World& world) {
  const auto& warehouse = world.warehouse();
  const auto& journal = warehouse.ReservationChanges();
  if (reservations_read_ == journal.size()) return;  // nothing to read, as in ReadOrders
  std::set<std::size_t> changed;
  for (; reservations_read_ < journal.size(); ++reservations_read_) {
    changed.insert(journal.at(reservations_read_));
  }
  for (std::size_t index : changed) {
    const fakes::Reservation& r = warehouse.Reservations().at(index);
    changes_.reservations.push_back(index);
    changes_.stock_rows.insert({r.sku, r.warehouse_id});
    if (const auto* holders = orders_by_reservation_.Find(r.id); holders != nullptr) {
      changes_.orders.insert(holders->begin(), holders->end());
    }
    if (r.status != fakes::ReservationStatus::kActive) {
      DropCandidate(index);  // a reservation never becomes active again
      continue;
    }
    if (candidates_.contains(index)) continue;
    const std::string attempt = AttemptOfReference(r.reference);
    if (attempt.empty()) continue;
    const std::string session = SessionOfAttempt(attempt);
    candidates_[index] = Candidate{attempt, session, std::nullopt};
    candidates_by_session_[session].insert(index);
    Reschedule(world, index);
  }
}

void ChangeTracker::ReadRest(const sim::World& world) {
  const auto& stock = world.warehouse().StockChanges();
  for (; stock_read_ < stock.size(); ++stock_read_)
    changes_.stock_rows.insert(*stock.at(stock_read_));
  const auto& money = world.payment().OrderMoneyChanges();
  for (; money_read_ < money.size(); ++money_read_) changes_.orders.insert(*money.at(money_read_));
  const auto& usages = world.promotions().UsageChanges();
  for (; promotions_read_ < usages.size(); ++promotions_read_) {
    changes_.promotions.insert(*usages.at(promotions_read_));
  }
  const auto& balances = world.loyalty().BalanceChanges();
  for (; balances_read_ < balances.size(); ++balances_read_) {
    changes_.customers.insert(*balances.at(balances_read_));
  }
}

void ChangeTracker::Reschedule(const sim::World& world, std::size_t index) {
  auto candidate = candidates_.find(index);
  CSIM_CHECK(candidate != candidates_.end(), "only a candidate is scheduled");
  if (candidate->second.due_us) waiting_.erase({*candidate->second.due_us, index});
  const fakes::Reservation& r = world.warehouse().Reservations().at(index);
  const TimeUs due_us = LateReleaseDueUs(world, r, CartOfSession(world, candidate->second.session),
                                         OrderFor(world, candidate->second.attempt));
  CSIM_CHECK(due_us >= r.created_at, "a reservation is never late before it is made");
  candidate->second.due_us = due_us;
  waiting_.insert({due_us, index});
}

void ChangeTracker::RescheduleSession(const sim::World& world, const std::string& session) {
  const std::set<std::size_t>* indices = candidates_by_session_.Find(session);
  if (indices == nullptr) return;
  for (std::size_t index : *indices) Reschedule(world, index);
}

void ChangeTracker::DropCandidate(std::size_t index) {
  auto candidate = candidates_.find(index);
  if (candidate == candidates_.end()) return;
  if (candidate->second.due_us) waiting_.erase({*candidate->second.due_us, index});
  std::set<std::size_t>* session = candidates_by_session_.Find(candidate->second.session);
  CSIM_CHECK(session != nullptr, "a candidate is indexed by its session");
  session->erase(index);
  if (session->empty()) candidates_by_session_.Erase(candidate->second.session);
  candidates_.erase(candidate);
}

void ChangeTracker::TakeLateCandidates(const sim::World& world) {
  const TimeUs now = changes_.now;
  std::vector<std::size_t> lapsed;
  // Bounded: each pass moves one entry out of waiting_ or past `now`.
  while (!waiting_.empty() && waiting_.begin()->first < now) {
    const std::size_t index = waiting_.begin()->second;
    Reschedule(world, index);  // a process pause that began since its timing moves its due time
    if (candidates_.at(index).due_us >= now) continue;
    waiting_.erase({*candidates_.at(index).due_us, index});
    candidates_.at(index).due_us.reset();  // parked until its session changes
    const fakes::Reservation& r = world.warehouse().Reservations().at(index);
    // A lapsed reservation holds nothing, now or ever again.
    if (!fakes::FakeWarehouse::HoldsStock(r, now)) lapsed.push_back(index);
    changes_.late_reservations.push_back(index);
  }
  for (std::size_t index : lapsed) DropCandidate(index);
  std::sort(changes_.late_reservations.begin(), changes_.late_reservations.end());
}

void ChangeTracker::ReadOutboxes(const sim::World& world) {
  for (OutboxOwner owner : {OutboxOwner::kCheckout, OutboxOwner::kOrder}) {
    std::int64_t& read = outbox_read_[static_cast<int>(owner)];
    const auto& rows = OutboxOf(world, owner);
    for (auto it = rows.upper_bound(read); it != rows.end(); ++it) {
      CSIM_CHECK(it->first > read, "outbox row ids grow");
      read = it->first;
      if (!TimedOutboxRow(it->second)) continue;
      // The earliest it could be late; its undisturbed bound is worked out only if it is still
      // unanswered then (most rows are published within a second).
      outbox_waiting_.insert({it->second.created_at + kPublishBoundUs, owner, it->first});
    }
  }
}

void ChangeTracker::TakeLateOutboxRows(const sim::World& world) {
  const TimeUs now = changes_.now;
  // Bounded: each pass takes one entry out of outbox_waiting_ or moves it past `now`.
  while (!outbox_waiting_.empty() && std::get<0>(*outbox_waiting_.begin()) < now) {
    const auto [timed_us, owner, id] = *outbox_waiting_.begin();
    CSIM_CHECK(timed_us < now, "only a row whose time passed is taken");
    outbox_waiting_.erase(outbox_waiting_.begin());
    const OutboxRow& row = OutboxOf(world, owner).at(id);
    if (OutboxRowAnswered(world, row)) continue;  // answered for good
    // Fault windows and pauses met since its timing move its due time on.
    const TimeUs late_us = LatePublishDueUs(world, owner, row);
    CSIM_CHECK(late_us >= row.created_at + kPublishBoundUs, "a row is never late before its bound");
    if (late_us >= now) {
      outbox_waiting_.insert({late_us, owner, id});
      continue;
    }
    changes_.late_outbox_rows.emplace_back(owner, id);  // reported once, then dropped
  }
  std::sort(changes_.late_outbox_rows.begin(), changes_.late_outbox_rows.end());
}

const Order* ChangeTracker::OrderFor(const sim::World& world, const std::string& attempt) const {
  const std::set<std::string_view>* ids = orders_by_attempt_.Find(attempt);
  if (ids == nullptr) return nullptr;
  for (auto it = ids->rbegin(); it != ids->rend(); ++it) {
    const Order* order = world.order_db().FindOrder(*it);
    CSIM_CHECK(order != nullptr, "the index names stored orders");
    if (order->checkout_attempt == attempt) return order;
  }
  return nullptr;
}

const Cart* ChangeTracker::CartOfSession(const sim::World& world,
                                         const std::string& session) const {
  const std::set<std::string_view>* ids = carts_by_session_.Find(session);
  if (ids == nullptr) return nullptr;
  for (auto it = ids->rbegin(); it != ids->rend(); ++it) {
    const Cart* cart = world.checkout_db().FindCart(*it);
    CSIM_CHECK(cart != nullptr, "the index names stored carts");
    if (cart->session_id == session) return cart;
  }
  return nullptr;
}

}  // namespace csim::properties
