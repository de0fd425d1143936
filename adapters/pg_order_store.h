#pragma once
// PgOrderStore: the OrderStore port on PostgreSQL (schema "orders", adapters/sql/orders/). Commit
// is one real transaction: the order row with its order_items rows, the outbox rows and the
// processed-event row are stored together or not at all. A second order for the same
// cart_session_id, or an event id already processed, is the database's own unique violation,
// reported as kConflict. Row times come from `clock` (the application's clock).

#include <memory>
#include <string>

#include "core/ports/clock.h"
#include "core/ports/order_store.h"

namespace csim::adapters {

class PgConnection;
class PgOutbox;

class PgOrderStore final : public OrderStore {
 public:
  static constexpr std::int32_t kQueryLimitMax = 100'000;
  static constexpr std::size_t kItemsPerOrderMax = 1'000;

  // Connects to `url` and applies the schema files not yet applied. kInvalidArgument for a bad
  // URL; kUnavailable naming the server if it cannot be reached.
  static Result<std::unique_ptr<PgOrderStore>> Open(const std::string& url, const Clock& clock);
  ~PgOrderStore() override;

  Task<Result<Order>> GetOrder(const std::string& order_id) override;
  Task<Result<Order>> FindBySession(const std::string& cart_session_id) override;
  // An empty query.statuses matches every status (as the fake).
  Task<Result<std::vector<Order>>> FindOrders(const OrderQuery& query) override;
  Task<Result<bool>> IsProcessed(const std::string& event_id) override;
  // The fake's rules (fakes/fake_order_store.h), enforced by the database where it can.
  Task<Status> Commit(const OrderWrite& write) override;
  Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs now, std::int32_t limit) override;
  Task<Status> UpdateOutbox(const OutboxRow& row) override;
  Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> DueRedrives(TimeUs now, std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> PendingOutbox(TimeUs written_by,
                                                     std::int32_t limit) override;

 private:
  PgOrderStore(std::unique_ptr<PgConnection> connection, const Clock& clock);
  Result<Order> GetOneNow(const std::string& column, const std::string& value);
  Result<std::vector<Order>> FindOrdersNow(const OrderQuery& query);
  Result<bool> IsProcessedNow(const std::string& event_id);
  Status CommitNow(const OrderWrite& write);

  std::unique_ptr<PgConnection> connection_;
  std::unique_ptr<PgOutbox> outbox_;
  const Clock& clock_;
};

}  // namespace csim::adapters
