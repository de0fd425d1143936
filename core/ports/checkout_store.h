#pragma once
// The checkout service's database: carts, its outbox and the failed-compensation table. Every
// write goes through Commit, one transaction that applies all of it or nothing.

#include <cstdint>
#include <optional>
#include <vector>

#include "core/model.h"
#include "core/ports/outbox.h"

namespace csim {

struct CartWrite {
  Cart cart;                      // stored as given; cart.version must be expected_version + 1
  std::int64_t expected_version;  // 0 inserts a new cart (kConflict if the id exists)
};

struct CheckoutWrite {
  std::vector<CartWrite> carts;
  std::vector<Event> outbox;                      // appended as pending rows
  std::vector<FailedCompensation> compensations;  // id 0 inserts, otherwise replaces that row
  // Compensation rows deleted in the same transaction (FailedCompensationsCleanupJob). kNotFound
  // for an unknown id; an id may not also appear in `compensations`. The `= {}` keeps
  // -Wmissing-field-initializers quiet in brace-initialized writes that name only the fields
  // before it.
  std::vector<std::int64_t> delete_compensation_ids = {};
};

struct CartQuery {
  CartStatus status = CartStatus::kActive;
  TimeUs updated_before = 0;  // carts whose updated_at < this
  std::int32_t limit = 0;
  // Set: of the (at most `limit`) carts selected above, only those whose expires_at <= this are
  // returned. The table has no index on expires_at, so the store still reads up to `limit` rows;
  // it only no longer hands over the rows the caller would drop.
  std::optional<TimeUs> expired_by = {};
};

class CheckoutStore : public OutboxTable {
 public:
  // The cart, or kNotFound.
  virtual Task<Result<Cart>> GetCart(const std::string& cart_id) = 0;
  // Up to query.limit carts in query.status not updated since query.updated_before, by id (of
  // those, the expired ones if query.expired_by is set).
  virtual Task<Result<std::vector<Cart>>> FindCarts(const CartQuery& query) = 0;
  // One transaction. kConflict (and nothing written) if a cart's stored version is not the
  // expected one.
  virtual Task<Status> Commit(const CheckoutWrite& write) = 0;
  // Up to `limit` pending compensations due at `now`, by id.
  virtual Task<Result<std::vector<FailedCompensation>>> DueCompensations(TimeUs now,
                                                                         std::int32_t limit) = 0;
  // Up to `limit` finished compensations (status done or exhausted) whose next_attempt_at <
  // `touched_before`, by id. The row has no created/updated time: next_attempt_at is the last
  // time the worker scheduled it, so it stands for "last touched" (see
  // CheckoutWorker::RunFailedCompensationsCleanupOnce).
  virtual Task<Result<std::vector<FailedCompensation>>> FinishedCompensations(
      TimeUs touched_before, std::int32_t limit) = 0;
};

}  // namespace csim
