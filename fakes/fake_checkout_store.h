#pragma once
// FakeCheckoutStore: the checkout service's database in memory. Commit validates every part of the
// write first and then applies all of it, so a failed Commit writes nothing (the property the
// store tests pin down); a crash between two Commits keeps exactly the committed rows.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "core/ports/checkout_store.h"
#include "core/ports/clock.h"
#include "fakes/change_journal.h"
#include "fakes/flat_string_map.h"
#include "fakes/key_index.h"
#include "fakes/outbox_rows.h"
#include "fakes/packed_id.h"

namespace csim::fakes {

class FakeCheckoutStore final : public CheckoutStore {
 public:
  static constexpr std::size_t kCartsMax = 1'000'000;
  static constexpr std::size_t kCompensationsMax = 1'000'000;
  static constexpr std::size_t kWritesPerCommitMax = 10'000;
  static constexpr std::int32_t kQueryLimitMax = 100'000;

  explicit FakeCheckoutStore(const Clock& clock) : clock_(clock) {}

  Task<Result<Cart>> GetCart(const std::string& cart_id) override;
  // kInvalidArgument for a limit outside (0, kQueryLimitMax].
  Task<Result<std::vector<Cart>>> FindCarts(const CartQuery& query) override;
  // Per cart: expected_version 0 inserts (kConflict if the id exists); otherwise kNotFound if the
  // cart is missing, kConflict if its stored version is not expected_version. kInvalidArgument for
  // cart.version != expected_version + 1, an empty or repeated cart id, an outbox event without
  // id or topic, or a compensation id that is negative. kNotFound for an unknown compensation id.
  // delete_compensation_ids: kInvalidArgument for an id <= 0, repeated, or also written in
  // `compensations`; kNotFound for an unknown id. Deleted rows leave Compensations() (and the due
  // index) in the same step as the rest of the write.
  Task<Status> Commit(const CheckoutWrite& write) override;
  // Commit without the copy of `write` that Commit's Task keeps (a Task may outlive its caller's
  // full expression; this one must not). For the simulator's wrapper, which awaits it at once
  // while its caller's frame holds `write`: the copy was about 2 % of a run's instructions.
  // REQUIRES: the Task is awaited in the full expression that made it, and `write` outlives it.
  Task<Status> CommitAwaitedAtOnce(const CheckoutWrite& write);
  Task<Result<std::vector<FailedCompensation>>> DueCompensations(TimeUs now,
                                                                 std::int32_t limit) override;
  // kInvalidArgument for a limit outside (0, kQueryLimitMax]. Scans every row (a test store).
  Task<Result<std::vector<FailedCompensation>>> FinishedCompensations(TimeUs touched_before,
                                                                      std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs now, std::int32_t limit) override;
  Task<Status> UpdateOutbox(const OutboxRow& row) override;
  Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> DueRedrives(TimeUs now, std::int32_t limit) override;
  Task<Result<std::vector<OutboxRow>>> PendingOutbox(TimeUs written_by,
                                                     std::int32_t limit) override;

  // ---- Truth ----
  const std::map<std::string, Cart>& Carts() const { return carts_; }
  // The cart with this id (in Carts()), or nullptr: a hash lookup, not a search of the tree.
  const Cart* FindCart(std::string_view id) const {
    const auto* entry = cart_index_.Find(id);
    return entry == nullptr ? nullptr : &entry->second;
  }
  // When the store last wrote cart `id`, by its own clock: the moment a writer's change landed,
  // whatever time the writer stamped into updated_at (a writer paused between reading the clock
  // and committing stamps a time long past). REQUIRES: the cart exists.
  TimeUs CartWrittenAt(const std::string& id) const {
    const TimeUs* at = cart_written_at_.Find(id);
    CSIM_CHECK(at != nullptr, "CartWrittenAt of a stored cart");
    return *at;
  }
  // The id (the key in Carts()) of every cart a commit wrote.
  const ChangeJournal<const std::string*>& CartChanges() const { return cart_changes_; }
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
  const std::map<std::int64_t, FailedCompensation>& Compensations() const { return compensations_; }
  std::int64_t CommitCount() const { return commit_count_; }  // successful commits
  // Compensation rows deleted by commits so far (they are no longer in Compensations()).
  std::int64_t DeletedCompensationCount() const { return deleted_compensation_count_; }
  std::int64_t FailedCommitCount() const { return failed_commit_count_; }

  // Replaces the whole content by what another database holds (carts, outbox rows, compensation
  // rows): a snapshot of the real checkout database for the invariants to read (realrun/).
  // REQUIRES: unique ids.
  void Restore(const std::vector<Cart>& carts, const std::vector<OutboxRow>& outbox,
               const std::vector<FailedCompensation>& compensations);

 private:
  Result<std::vector<Cart>> FindCartsNow(const CartQuery& query) const;
  Status CommitNow(const CheckoutWrite& write);
  Status Validate(const CheckoutWrite& write) const;
  Status ValidateCarts(const std::vector<CartWrite>& carts) const;
  Status ValidateCompensations(const std::vector<FailedCompensation>& compensations) const;
  void Apply(const CheckoutWrite& write);
  Result<std::vector<FailedCompensation>> DueCompensationsNow(TimeUs now, std::int32_t limit) const;
  Result<std::vector<FailedCompensation>> FinishedCompensationsNow(TimeUs touched_before,
                                                                   std::int32_t limit) const;
  Status ValidateDeletions(const CheckoutWrite& write) const;

  const Clock& clock_;
  std::map<std::string, Cart> carts_;
  KeyIndex<std::map<std::string, Cart>> cart_index_;  // every row of carts_
  // By cart id, as CartWrittenAt says; only looked up, never iterated, so a hash map: a search of a
  // big std::map misses the cache at every level.
  FlatStringMap<TimeUs> cart_written_at_;
  // Carts by status, then by id, so a worker's query reads the carts in that status, not every
  // cart. The values point at carts_'s rows (stable map nodes), so a query neither builds a key nor
  // looks a cart up again.
  // Keyed by PackedId: the same id order, without reading the ids' characters at each level.
  std::map<CartStatus, std::map<PackedId, const Cart*>> carts_by_status_;
  // The same carts by status, then by (expires_at, id): a query with expired_by finds the expired
  // carts of its status without walking every cart in it (FindCartsNow says when it may).
  std::map<CartStatus, std::set<std::pair<TimeUs, std::string_view>>> expiry_by_status_;
  void IndexExpiry(const Cart& cart, std::string_view id);
  void UnindexExpiry(CartStatus status, TimeUs expires_at, std::string_view id);
  ChangeJournal<const std::string*> cart_changes_;
  OutboxRows outbox_;
  std::map<std::int64_t, FailedCompensation> compensations_;
  std::set<std::int64_t> pending_compensation_ids_;
  std::int64_t last_compensation_id_ = 0;
  std::int64_t deleted_compensation_count_ = 0;
  std::int64_t commit_count_ = 0;
  std::int64_t failed_commit_count_ = 0;
};

}  // namespace csim::fakes
