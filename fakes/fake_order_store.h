#pragma once
// FakeOrderStore: the order service's database in memory: orders (unique id and unique
// cart_session_id), its outbox and the processed-event table. Commit validates every part first
// and then applies all of it, so a failed Commit writes nothing.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/order_store.h"
#include "fakes/change_journal.h"
#include "fakes/flat_string_map.h"
#include "fakes/key_index.h"
#include "fakes/outbox_rows.h"
#include "fakes/packed_id.h"

namespace csim::fakes {

class FakeOrderStore final : public OrderStore {
 public:
  static constexpr std::size_t kOrdersMax = 1'000'000;
  static constexpr std::size_t kProcessedEventsMax = 4'000'000;
  static constexpr std::int32_t kQueryLimitMax = 100'000;

  explicit FakeOrderStore(const Clock& clock) : clock_(clock) {}

  Task<Result<Order>> GetOrder(const std::string& order_id) override;
  Task<Result<Order>> FindBySession(const std::string& cart_session_id) override;
  // An empty query.statuses matches every status. kInvalidArgument for a limit outside
  // (0, kQueryLimitMax].
  Task<Result<std::vector<Order>>> FindOrders(const OrderQuery& query) override;
  Task<Result<bool>> IsProcessed(const std::string& event_id) override;
  // insert: kInvalidArgument without id or cart_session_id; kConflict if the id or the
  // cart_session_id exists. update: kNotFound if missing; kConflict unless stored version ==
  // version - 1; kInvalidArgument if it changes cart_session_id or updates the row it inserts.
  // processed_event_id: kConflict if already recorded. Outbox: kInvalidArgument without id/topic.
  Task<Status> Commit(const OrderWrite& write) override;
  // Commit without the copy of `write` (see FakeCheckoutStore::CommitAwaitedAtOnce).
  // REQUIRES: the Task is awaited in the full expression that made it, and `write` outlives it.
  Task<Status> CommitAwaitedAtOnce(const OrderWrite& write);
  Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs now, std::int32_t limit) override;
  Task<Status> UpdateOutbox(const OutboxRow& row) override;
  Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> DueRedrives(TimeUs now, std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> PendingOutbox(TimeUs written_by,
                                                     std::int32_t limit) override;

  // One committed change of an order's status, as the database's own log has it (not an event
  // core wrote): what VALID-TRANSITIONS reads.
  struct StatusChange {
    std::string order_id;
    OrderStatus from = OrderStatus::kPending;
    OrderStatus to = OrderStatus::kPending;
    TimeUs at_us = 0;
    bool operator==(const StatusChange&) const = default;
  };
  static constexpr std::size_t kStatusChangesMax = 10'000'000;

  // ---- Truth ----
  const std::map<std::string, Order>& Orders() const { return orders_; }
  // The order with this id (in Orders()), or nullptr: a hash lookup, not a search of the tree.
  const Order* FindOrder(std::string_view id) const {
    const auto* entry = order_index_.Find(id);
    return entry == nullptr ? nullptr : &entry->second;
  }
  // The id (the key in Orders()) of every order inserted or updated, once per commit touching it.
  const ChangeJournal<const std::string*>& OrderChanges() const { return order_changes_; }
  // Every committed status change, in commit order (an insert is not a change).
  const std::vector<StatusChange>& StatusChanges() const { return status_changes_; }
  // When the database committed the order's first move to `cancelled` (its own clock, not the
  // `cancelled_at` core stamps before it commits); nullopt if it never moved there.
  std::optional<TimeUs> CancelledWrittenAt(const std::string& order_id) const;
  const std::map<std::string, std::string>& OrderIdBySession() const { return by_session_; }
  // The id of the order of this cart session, or nullptr: a hash lookup in OrderIdBySession().
  const std::string* OrderIdOfSession(std::string_view cart_session_id) const {
    const auto* entry = session_index_.Find(cart_session_id);
    return entry == nullptr ? nullptr : &entry->second;
  }
  const std::map<std::int64_t, OutboxRow>& Outbox() const { return outbox_.Rows(); }
  // Whether DueOutbox(now, ...) would return a row (the simulator skips idle polls by it).
  bool HasDueOutbox(TimeUs now) const { return outbox_.AnyDue(now); }
  // Before this time, while no outbox row changes, HasDueOutbox stays false (OutboxRows::NextDue).
  TimeUs OutboxIdleUntil() const { return outbox_.NextDue(); }
  // When the oldest pending outbox row was written (OutboxRows::OldestPendingAt).
  TimeUs OldestPendingOutboxAt() const { return outbox_.OldestPendingAt(); }
  // Whether DueRedrives(now, ...) would return a row, and until when it will not (as above).
  bool HasDueRedrive(TimeUs now) const { return outbox_.NextRedriveDue() <= now; }
  TimeUs RedriveIdleUntil() const { return outbox_.NextRedriveDue(); }
  // Every processed event id, sorted (a copy: the store keeps them in a hash set).
  std::set<std::string> ProcessedEventIds() const {
    std::set<std::string> ids;
    processed_.ForEach([&](std::string_view id) { ids.emplace(id); });
    return ids;
  }
  std::int64_t CommitCount() const { return commit_count_; }  // successful commits
  std::int64_t FailedCommitCount() const { return failed_commit_count_; }

  // Replaces the whole content by what another database holds (orders with their items, its log
  // of status changes in commit order, outbox rows, processed event ids): a snapshot of the real
  // order database for the invariants to read (realrun/). REQUIRES: unique ids and sessions.
  void Restore(const std::vector<Order>& orders, std::vector<StatusChange> status_changes,
               const std::vector<OutboxRow>& outbox, std::set<std::string> processed);

 private:
  Result<Order> FindBySessionNow(const std::string& cart_session_id) const;
  Result<std::vector<Order>> FindOrdersNow(const OrderQuery& query) const;
  static bool Matches(const OrderQuery& query, const Order& order);
  Status CommitNow(const OrderWrite& write);
  Status Validate(const OrderWrite& write) const;
  Status ValidateInsert(const Order& order) const;
  Status ValidateUpdate(const Order& order) const;
  void Apply(const OrderWrite& write);

  const Clock& clock_;
  std::map<std::string, Order> orders_;
  KeyIndex<std::map<std::string, Order>> order_index_;  // every row of orders_
  // Orders by status, then by id, so a worker's query reads the orders in its statuses, not every
  // order. The values point at orders_'s rows (stable map nodes): a query neither builds a key nor
  // looks an order up again. Keyed by PackedId: the same id order, without reading the ids'
  // characters at each level of a search.
  using StatusIndex = std::map<PackedId, const Order*>;
  std::map<OrderStatus, StatusIndex> orders_by_status_;
  ChangeJournal<const std::string*> order_changes_;
  std::vector<StatusChange> status_changes_;
  // Order id -> first move to cancelled. Looked up only, never iterated: a hash map.
  std::unordered_map<std::string, TimeUs> cancelled_written_at_;
  std::map<std::string, std::string> by_session_;  // cart_session_id -> order id (unique)
  KeyIndex<std::map<std::string, std::string>> session_index_;  // every row of by_session_
  OutboxRows outbox_;
  // Looked up at every consumer's commit, never iterated but to sort a copy: a hash set.
  FlatStringSet processed_;
  std::int64_t commit_count_ = 0;
  std::int64_t failed_commit_count_ = 0;
};

}  // namespace csim::fakes
