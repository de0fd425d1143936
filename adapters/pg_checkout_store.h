#pragma once
// PgCheckoutStore: the CheckoutStore port on PostgreSQL (schema "checkout",
// adapters/sql/checkout/). Commit is one real transaction: a cart's optimistic version check is
// `UPDATE ... WHERE version = expected`, an insert of an existing cart id is the primary key's
// unique violation (kConflict), and on any error the transaction is rolled back, so the carts,
// outbox rows and compensation rows of a write are stored together or not at all. Row times (outbox
// created_at) come from `clock`: the application's clock, the same one core compares them with.

#include <memory>
#include <string>

#include "core/ports/checkout_store.h"
#include "core/ports/clock.h"

namespace csim::adapters {

class PgConnection;
class PgOutbox;

class PgCheckoutStore final : public CheckoutStore {
 public:
  static constexpr std::size_t kWritesPerCommitMax = 10'000;
  static constexpr std::int32_t kQueryLimitMax = 100'000;

  // Connects to `url` and applies the schema files not yet applied. kInvalidArgument for a bad
  // URL; kUnavailable naming the server if it cannot be reached.
  static Result<std::unique_ptr<PgCheckoutStore>> Open(const std::string& url, const Clock& clock);
  ~PgCheckoutStore() override;

  Task<Result<Cart>> GetCart(const std::string& cart_id) override;
  Task<Result<std::vector<Cart>>> FindCarts(const CartQuery& query) override;
  // The fake's rules (fakes/fake_checkout_store.h), enforced by the database where it can.
  Task<Status> Commit(const CheckoutWrite& write) override;
  Task<Result<std::vector<FailedCompensation>>> DueCompensations(TimeUs now,
                                                                 std::int32_t limit) override;
  Task<Result<std::vector<FailedCompensation>>> FinishedCompensations(TimeUs touched_before,
                                                                      std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs now, std::int32_t limit) override;
  Task<Status> UpdateOutbox(const OutboxRow& row) override;
  Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> DueRedrives(TimeUs now, std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> PendingOutbox(TimeUs written_by,
                                                     std::int32_t limit) override;

 private:
  PgCheckoutStore(std::unique_ptr<PgConnection> connection, const Clock& clock);
  Result<Cart> GetCartNow(const std::string& cart_id);
  Result<std::vector<Cart>> FindCartsNow(const CartQuery& query);
  Status CommitNow(const CheckoutWrite& write);
  Result<std::vector<FailedCompensation>> SelectCompensations(const std::string& where, TimeUs time,
                                                              std::int32_t limit);

  std::unique_ptr<PgConnection> connection_;
  std::unique_ptr<PgOutbox> outbox_;
  const Clock& clock_;
};

}  // namespace csim::adapters
