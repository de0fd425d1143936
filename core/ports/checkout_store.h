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
};

struct CartQuery {
  CartStatus status = CartStatus::kActive;
  TimeUs updated_before = 0;  // carts whose updated_at < this
  std::int32_t limit = 0;
};

class CheckoutStore : public OutboxTable {
 public:
  // The cart, or kNotFound.
  virtual Task<Result<Cart>> GetCart(const std::string& cart_id) = 0;
  // Up to query.limit carts in query.status not updated since query.updated_before, by id.
  virtual Task<Result<std::vector<Cart>>> FindCarts(const CartQuery& query) = 0;
  // One transaction. kConflict (and nothing written) if a cart's stored version is not the
  // expected one.
  virtual Task<Status> Commit(const CheckoutWrite& write) = 0;
  // Up to `limit` pending compensations due at `now`, by id.
  virtual Task<Result<std::vector<FailedCompensation>>> DueCompensations(TimeUs now,
                                                                         std::int32_t limit) = 0;
};

}  // namespace csim
