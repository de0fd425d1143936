#include "fakes/fake_order_store.h"

#include <algorithm>

#include "core/check.h"
#include "fakes/deferred.h"
#include "fakes/storable_text.h"

namespace csim::fakes {

// ---- Port ----

Task<Result<Order>> FakeOrderStore::GetOrder(const std::string& order_id) {
  return Deferred<Result<Order>>([this, order_id]() -> Result<Order> {
    const Order* order = FindOrder(order_id);
    if (order == nullptr) return Status{Code::kNotFound, "unknown order " + order_id};
    CSIM_CHECK(order->id == order_id, "an order is stored under its id");
    const std::string* of_session = OrderIdOfSession(order->cart_session_id);
    CSIM_CHECK(of_session != nullptr && *of_session == order_id, "session index agrees");
    return *order;
  });
}

Task<Result<Order>> FakeOrderStore::FindBySession(const std::string& cart_session_id) {
  return Deferred<Result<Order>>(
      [this, cart_session_id] { return FindBySessionNow(cart_session_id); });
}

Task<Result<std::vector<Order>>> FakeOrderStore::FindOrders(const OrderQuery& query) {
  return Deferred<Result<std::vector<Order>>>([this, query] { return FindOrdersNow(query); });
}

Task<Result<bool>> FakeOrderStore::IsProcessed(const std::string& event_id) {
  return Deferred<Result<bool>>(
      [this, event_id] { return Result<bool>{processed_.contains(event_id)}; });
}

Task<Status> FakeOrderStore::Commit(const OrderWrite& write) {
  return Deferred<Status>([this, write] { return CommitNow(write); });
}

Task<Status> FakeOrderStore::CommitAwaitedAtOnce(const OrderWrite& write) {
  // Runs when first resumed, as Deferred does, reading the caller's `write` in place.
  co_return CommitNow(write);
}

Task<Result<std::vector<OutboxRow>>> FakeOrderStore::DueOutbox(TimeUs now, std::int32_t limit) {
  return Deferred<Result<std::vector<OutboxRow>>>(
      [this, now, limit] { return outbox_.Due(now, limit); });
}

Task<Status> FakeOrderStore::UpdateOutbox(const OutboxRow& row) {
  // The task keeps what OutboxRows::Update reads, not a copy of the row's event (a map of strings
  // copied and freed at every publish).
  return Deferred<Status>(
      [this, update = OutboxRows::UpdateOf(row)] { return outbox_.Update(update); });
}

Task<Result<std::vector<OutboxRow>>> FakeOrderStore::FailedOutbox(std::int32_t limit) {
  return Deferred<Result<std::vector<OutboxRow>>>([this, limit] { return outbox_.Failed(limit); });
}

Task<Result<std::vector<OutboxRow>>> FakeOrderStore::DueRedrives(TimeUs now, std::int32_t limit) {
  return Deferred<Result<std::vector<OutboxRow>>>(
      [this, now, limit] { return outbox_.DueRedrives(now, limit); });
}

Task<Result<std::vector<OutboxRow>>> FakeOrderStore::PendingOutbox(TimeUs written_by,
                                                                   std::int32_t limit) {
  return Deferred<Result<std::vector<OutboxRow>>>(
      [this, written_by, limit] { return outbox_.PendingWrittenBy(written_by, limit); });
}

// ---- Reads ----

Result<Order> FakeOrderStore::FindBySessionNow(const std::string& cart_session_id) const {
  const std::string* order_id = OrderIdOfSession(cart_session_id);
  if (order_id == nullptr) {
    return Status{Code::kNotFound, "no order for session " + cart_session_id};
  }
  const Order* order = FindOrder(*order_id);
  CSIM_CHECK(order != nullptr, "the session index names a stored order");
  CSIM_CHECK(order->cart_session_id == cart_session_id, "session index agrees with the row");
  return *order;
}

Result<std::vector<Order>> FakeOrderStore::FindOrdersNow(const OrderQuery& query) const {
  if (query.limit <= 0) return Status{Code::kInvalidArgument, "limit must be positive"};
  if (query.limit > kQueryLimitMax) return Status{Code::kInvalidArgument, "limit too large"};
  std::vector<Order> found;
  if (query.statuses.empty()) {
    for (const auto& [id, order] : orders_) {
      if (found.size() >= static_cast<std::size_t>(query.limit)) break;
      if (Matches(query, order)) found.push_back(order);
    }
  } else {
    // The orders in the asked statuses, by id as a scan of orders_ would visit them: a merge of
    // the statuses' indices (an order is in one), read only as far as the limit needs.
    std::vector<OrderStatus> statuses = query.statuses;
    std::sort(statuses.begin(), statuses.end());
    statuses.erase(std::unique(statuses.begin(), statuses.end()), statuses.end());
    std::vector<std::pair<StatusIndex::const_iterator, StatusIndex::const_iterator>> cursors;
    for (OrderStatus status : statuses) {
      auto in_status = orders_by_status_.find(status);
      if (in_status == orders_by_status_.end() || in_status->second.empty()) continue;
      cursors.emplace_back(in_status->second.begin(), in_status->second.end());
    }
    std::size_t visited = 0;
    while (found.size() < static_cast<std::size_t>(query.limit) && !cursors.empty()) {
      auto next = std::min_element(
          cursors.begin(), cursors.end(),
          [](const auto& a, const auto& b) { return a.first->first < b.first->first; });
      const Order& order = *next->first->second;
      CSIM_CHECK(++visited <= orders_.size(), "the merge visits each order once");
      CSIM_CHECK(order.id == next->first->first.id, "the status index is current");
      if (Matches(query, order)) found.push_back(order);
      if (++next->first == next->second) cursors.erase(next);
    }
  }
  CSIM_CHECK(found.size() <= static_cast<std::size_t>(query.limit), "a query is bounded");
  CSIM_CHECK(found.size() <= orders_.size());
  return found;
}

bool FakeOrderStore::Matches(const OrderQuery& query, const Order& order) {
  if (!query.statuses.empty() && std::find(query.statuses.begin(), query.statuses.end(),
                                           order.status) == query.statuses.end()) {
    return false;
  }
  // As in SQL, `expiry_at < x` is false for an order without expiry_at (finding EC-11).
  if (query.expiry_before &&
      (!order.expiry_at.has_value() || *order.expiry_at >= *query.expiry_before)) {
    return false;
  }
  if (query.created_before && order.created_at >= *query.created_before) return false;
  if (query.payment_unsettled &&
      !(order.captured > order.refunded ||
        (order.captured == 0 && !order.authorization_id.empty() && !order.hold_voided))) {
    return false;
  }
  if (query.stock_unreleased && (order.stock_released || !order.cancelled_at.has_value())) {
    return false;
  }
  return true;
}

// ---- Commit: validate every part, then apply every part ----

Status FakeOrderStore::CommitNow(const OrderWrite& write) {
  const std::int64_t commits_before = commit_count_ + failed_commit_count_;
  if (Status status = Validate(write); !status.ok()) {
    failed_commit_count_++;
    CSIM_CHECK(status.code() != Code::kOk);
    return status;
  }
  const std::size_t changes_before = status_changes_.size();
  Apply(write);
  commit_count_++;
  CSIM_CHECK(status_changes_.size() - changes_before <= 1, "one order changes per commit");
  CSIM_CHECK(commit_count_ + failed_commit_count_ == commits_before + 1);
  return Status::Ok();
}

Status FakeOrderStore::Validate(const OrderWrite& write) const {
  if (write.insert && write.update && write.insert->id == write.update->id) {
    return Status{Code::kInvalidArgument, "insert and update of the same order in one commit"};
  }
  for (const std::optional<Order>* order : {&write.insert, &write.update}) {
    if (!order->has_value()) continue;
    if (Status status = CheckStorable(**order); !status.ok()) return status;
  }
  if (Status status = CheckStorableText(write.processed_event_id, "processed event id");
      !status.ok()) {
    return status;
  }
  if (write.insert) {
    if (Status status = ValidateInsert(*write.insert); !status.ok()) return status;
  }
  if (write.update) {
    if (Status status = ValidateUpdate(*write.update); !status.ok()) return status;
  }
  if (!write.processed_event_id.empty() && processed_.contains(write.processed_event_id)) {
    return Status{Code::kConflict, "event " + write.processed_event_id + " already processed"};
  }
  CSIM_CHECK(processed_.size() < kProcessedEventsMax, "kProcessedEventsMax");
  return outbox_.Validate(write.outbox);
}

Status FakeOrderStore::ValidateInsert(const Order& order) const {
  if (order.id.empty()) return Status{Code::kInvalidArgument, "order without id"};
  if (order.cart_session_id.empty()) {
    return Status{Code::kInvalidArgument, "order without cart_session_id"};
  }
  if (FindOrder(order.id) != nullptr) {
    return Status{Code::kConflict, "order " + order.id + " exists"};
  }
  CSIM_CHECK(by_session_.size() == orders_.size(), "one session per order");
  if (OrderIdOfSession(order.cart_session_id) != nullptr) {
    return Status{Code::kConflict, "an order exists for session " + order.cart_session_id};
  }
  CSIM_CHECK(orders_.size() < kOrdersMax, "kOrdersMax");
  return Status::Ok();
}

Status FakeOrderStore::ValidateUpdate(const Order& order) const {
  const Order* found = FindOrder(order.id);
  if (found == nullptr) return Status{Code::kNotFound, "unknown order " + order.id};
  const Order& stored = *found;
  if (stored.version != order.version - 1) {
    return Status{Code::kConflict, "order " + order.id + " version changed"};
  }
  if (stored.cart_session_id != order.cart_session_id) {
    return Status{Code::kInvalidArgument, "cart_session_id of an order never changes"};
  }
  CSIM_CHECK(stored.id == order.id);
  CSIM_CHECK(order.created_at == stored.created_at, "an order's creation time never changes");
  return Status::Ok();
}

void FakeOrderStore::Apply(const OrderWrite& write) {
  if (write.insert) {
    const Order& order = *write.insert;
    const auto [session, session_inserted] = by_session_.emplace(order.cart_session_id, order.id);
    const auto [inserted, order_inserted] = orders_.emplace(order.id, order);
    CSIM_CHECK(session_inserted, "Apply without Validate");
    session_index_.Add(*session);
    CSIM_CHECK(order_inserted, "Apply without Validate");
    order_index_.Add(*inserted);
    order_changes_.Note(&inserted->first);
    orders_by_status_[inserted->second.status].emplace(PackedId{inserted->first},
                                                       &inserted->second);
  }
  if (write.update) {
    auto* updated = order_index_.Find(write.update->id);
    CSIM_CHECK(updated != nullptr, "Apply without Validate");
    Order& stored = updated->second;
    order_changes_.Note(&updated->first);
    CSIM_CHECK(stored.version + 1 == write.update->version, "Apply without Validate");
    if (stored.status != write.update->status) {
      CSIM_CHECK(status_changes_.size() < kStatusChangesMax, "kStatusChangesMax");
      CSIM_CHECK(status_changes_.empty() || status_changes_.back().at_us <= clock_.Now(),
                 "the log is in time order");
      status_changes_.push_back({stored.id, stored.status, write.update->status, clock_.Now()});
      if (write.update->status == OrderStatus::kCancelled) {
        cancelled_written_at_.emplace(stored.id, clock_.Now());
      }
    }
    // The status index moves the order only when its status changes (most updates keep it).
    const OrderStatus old_status = stored.status;
    stored = *write.update;
    if (old_status != stored.status) {
      const std::size_t erased = orders_by_status_[old_status].erase(PackedId{updated->first});
      CSIM_CHECK(erased == 1, "the status index held the order under its old status");
      orders_by_status_[stored.status].emplace(PackedId{updated->first}, &stored);
    }
  }
  outbox_.Append(write.outbox, clock_.Now());
  if (!write.processed_event_id.empty()) processed_.insert(write.processed_event_id);
  CSIM_CHECK(by_session_.size() == orders_.size(), "one session per order");
  CSIM_CHECK(order_index_.size() == orders_.size() && session_index_.size() == by_session_.size(),
             "the key indexes hold every row");
}

std::optional<TimeUs> FakeOrderStore::CancelledWrittenAt(const std::string& order_id) const {
  auto found = cancelled_written_at_.find(order_id);
  if (found == cancelled_written_at_.end()) return std::nullopt;
  return found->second;
}

void FakeOrderStore::Restore(const std::vector<Order>& orders,
                             std::vector<StatusChange> status_changes,
                             const std::vector<OutboxRow>& outbox,
                             std::set<std::string> processed) {
  CSIM_CHECK(orders.size() <= kOrdersMax, "kOrdersMax");
  CSIM_CHECK(status_changes.size() <= kStatusChangesMax, "kStatusChangesMax");
  // The index and the journal name the old rows' keys: both start again from the restored rows.
  orders_by_status_.clear();
  order_changes_.Clear();
  order_index_.Clear();
  orders_.clear();
  session_index_.Clear();
  by_session_.clear();
  for (const Order& order : orders) {
    const auto [session, session_inserted] = by_session_.emplace(order.cart_session_id, order.id);
    auto [it, order_inserted] = orders_.emplace(order.id, order);
    CSIM_CHECK(session_inserted && order_inserted, "restored orders have unique ids and sessions");
    session_index_.Add(*session);
    orders_by_status_[order.status].emplace(PackedId{it->first}, &it->second);
    order_index_.Add(*it);
    order_changes_.Note(&it->first);
  }
  status_changes_ = std::move(status_changes);
  cancelled_written_at_.clear();
  for (const StatusChange& change : status_changes_) {
    if (change.to == OrderStatus::kCancelled)
      cancelled_written_at_.emplace(change.order_id, change.at_us);
  }
  outbox_.Restore(outbox);
  processed_ = FlatStringSet();
  for (const std::string& id : processed) processed_.insert(id);
  CSIM_CHECK(orders_.size() == orders.size());
}

}  // namespace csim::fakes
