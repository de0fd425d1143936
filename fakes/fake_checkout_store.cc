#include "fakes/fake_checkout_store.h"

#include <algorithm>

#include "core/check.h"
#include "fakes/deferred.h"
#include "fakes/storable_text.h"

namespace csim::fakes {

// ---- Port ----

Task<Result<Cart>> FakeCheckoutStore::GetCart(const std::string& cart_id) {
  return Deferred<Result<Cart>>([this, cart_id]() -> Result<Cart> {
    const Cart* cart = FindCart(cart_id);
    if (cart == nullptr) return Status{Code::kNotFound, "unknown cart " + cart_id};
    return *cart;
  });
}

Task<Result<std::vector<Cart>>> FakeCheckoutStore::FindCarts(const CartQuery& query) {
  return Deferred<Result<std::vector<Cart>>>([this, query] { return FindCartsNow(query); });
}

Task<Status> FakeCheckoutStore::Commit(const CheckoutWrite& write) {
  return Deferred<Status>([this, write] { return CommitNow(write); });
}

Task<Status> FakeCheckoutStore::CommitAwaitedAtOnce(const CheckoutWrite& write) {
  // Runs when first resumed, as Deferred does, reading the caller's `write` in place.
  co_return CommitNow(write);
}

Task<Result<std::vector<FailedCompensation>>> FakeCheckoutStore::DueCompensations(
    TimeUs now, std::int32_t limit) {
  return Deferred<Result<std::vector<FailedCompensation>>>(
      [this, now, limit] { return DueCompensationsNow(now, limit); });
}

Task<Result<std::vector<FailedCompensation>>> FakeCheckoutStore::FinishedCompensations(
    TimeUs touched_before, std::int32_t limit) {
  return Deferred<Result<std::vector<FailedCompensation>>>(
      [this, touched_before, limit] { return FinishedCompensationsNow(touched_before, limit); });
}

Task<Result<std::vector<OutboxRow>>> FakeCheckoutStore::DueOutbox(TimeUs now, std::int32_t limit) {
  return Deferred<Result<std::vector<OutboxRow>>>(
      [this, now, limit] { return outbox_.Due(now, limit); });
}

Task<Status> FakeCheckoutStore::UpdateOutbox(const OutboxRow& row) {
  // The task keeps what OutboxRows::Update reads, not a copy of the row's event (a map of strings
  // copied and freed at every publish).
  return Deferred<Status>(
      [this, update = OutboxRows::UpdateOf(row)] { return outbox_.Update(update); });
}

Task<Result<std::vector<OutboxRow>>> FakeCheckoutStore::FailedOutbox(std::int32_t limit) {
  return Deferred<Result<std::vector<OutboxRow>>>([this, limit] { return outbox_.Failed(limit); });
}

Task<Result<std::vector<OutboxRow>>> FakeCheckoutStore::DueRedrives(TimeUs now,
                                                                    std::int32_t limit) {
  return Deferred<Result<std::vector<OutboxRow>>>(
      [this, now, limit] { return outbox_.DueRedrives(now, limit); });
}

Task<Result<std::vector<OutboxRow>>> FakeCheckoutStore::PendingOutbox(TimeUs written_by,
                                                                      std::int32_t limit) {
  return Deferred<Result<std::vector<OutboxRow>>>(
      [this, written_by, limit] { return outbox_.PendingWrittenBy(written_by, limit); });
}

// ---- Indexes ----

void FakeCheckoutStore::IndexExpiry(const Cart& cart, std::string_view id) {
  const bool inserted = expiry_by_status_[cart.status].emplace(cart.expires_at, id).second;
  CSIM_CHECK(inserted, "a cart is in the expiry index once");
}

void FakeCheckoutStore::UnindexExpiry(CartStatus status, TimeUs expires_at, std::string_view id) {
  const std::size_t erased = expiry_by_status_[status].erase({expires_at, id});
  CSIM_CHECK(erased == 1, "the expiry index held the cart under its old status and expiry");
}

// ---- Reads ----

Result<std::vector<Cart>> FakeCheckoutStore::FindCartsNow(const CartQuery& query) const {
  if (query.limit <= 0) return Status{Code::kInvalidArgument, "limit must be positive"};
  if (query.limit > kQueryLimitMax) return Status{Code::kInvalidArgument, "limit too large"};
  std::vector<Cart> found;
  auto in_status = carts_by_status_.find(query.status);
  if (in_status == carts_by_status_.end()) return found;
  if (query.expired_by && in_status->second.size() <= static_cast<std::size_t>(query.limit)) {
    // Every cart of the status fits in the limit, so the scan below would select every one updated
    // before updated_before and keep the expired ones, by id. The same rows, from the expiry index:
    // a pass of the cart cleanup no longer walks every active cart to find the few expired.
    const auto& by_expiry = expiry_by_status_.at(query.status);
    CSIM_CHECK(by_expiry.size() == in_status->second.size(), "the expiry index is current");
    std::vector<std::pair<std::string_view, const Cart*>> expired;  // by id, once sorted
    for (auto it = by_expiry.begin(); it != by_expiry.end() && it->first <= *query.expired_by;
         ++it) {
      const Cart* cart = FindCart(it->second);
      CSIM_CHECK(cart != nullptr && cart->status == query.status, "the expiry index is current");
      if (cart->updated_at < query.updated_before) expired.emplace_back(it->second, cart);
    }
    std::sort(expired.begin(), expired.end());  // ids are unique: the pointers never decide
    found.reserve(expired.size());
    for (const auto& [id, cart] : expired) found.push_back(*cart);
    CSIM_CHECK(found.size() <= static_cast<std::size_t>(query.limit), "a query is bounded");
    return found;
  }
  std::int32_t selected = 0;                     // rows the query selects, up to its limit
  for (const auto& entry : in_status->second) {  // by id, as a scan of carts_ would be
    if (selected >= query.limit) break;
    const Cart& cart = *entry.second;
    CSIM_CHECK(cart.status == query.status, "the status index is current");
    if (cart.updated_at >= query.updated_before) continue;
    ++selected;
    if (!query.expired_by || cart.expires_at <= *query.expired_by) found.push_back(cart);
  }
  CSIM_CHECK(found.size() <= static_cast<std::size_t>(selected), "a filter only drops rows");
  return found;
}

Result<std::vector<FailedCompensation>> FakeCheckoutStore::DueCompensationsNow(
    TimeUs now, std::int32_t limit) const {
  if (limit <= 0) return Status{Code::kInvalidArgument, "limit must be positive"};
  if (limit > kQueryLimitMax) return Status{Code::kInvalidArgument, "limit too large"};
  std::vector<FailedCompensation> due;
  for (std::int64_t id : pending_compensation_ids_) {
    if (due.size() >= static_cast<std::size_t>(limit)) break;
    const FailedCompensation& compensation = compensations_.at(id);
    CSIM_CHECK(compensation.status == CompensationStatus::kPending, "pending index out of date");
    if (compensation.next_attempt_at <= now) due.push_back(compensation);
  }
  return due;
}

Result<std::vector<FailedCompensation>> FakeCheckoutStore::FinishedCompensationsNow(
    TimeUs touched_before, std::int32_t limit) const {
  if (limit <= 0) return Status{Code::kInvalidArgument, "limit must be positive"};
  if (limit > kQueryLimitMax) return Status{Code::kInvalidArgument, "limit too large"};
  std::vector<FailedCompensation> finished;
  for (const auto& [id, compensation] : compensations_) {
    if (finished.size() >= static_cast<std::size_t>(limit)) break;
    if (compensation.status == CompensationStatus::kPending) continue;
    if (compensation.next_attempt_at < touched_before) finished.push_back(compensation);
  }
  return finished;
}

// ---- Commit: validate every part, then apply every part ----

Status FakeCheckoutStore::CommitNow(const CheckoutWrite& write) {
  if (Status status = Validate(write); !status.ok()) {
    failed_commit_count_++;
    return status;
  }
  Apply(write);
  commit_count_++;
  return Status::Ok();
}

Status FakeCheckoutStore::Validate(const CheckoutWrite& write) const {
  if (write.carts.size() > kWritesPerCommitMax ||
      write.compensations.size() > kWritesPerCommitMax) {
    return Status{Code::kInvalidArgument, "too many rows in one commit"};
  }
  if (Status status = ValidateCarts(write.carts); !status.ok()) return status;
  if (Status status = outbox_.Validate(write.outbox); !status.ok()) return status;
  if (Status status = ValidateCompensations(write.compensations); !status.ok()) return status;
  return ValidateDeletions(write);
}

Status FakeCheckoutStore::ValidateDeletions(const CheckoutWrite& write) const {
  if (write.delete_compensation_ids.size() > kWritesPerCommitMax) {
    return Status{Code::kInvalidArgument, "too many deletions in one commit"};
  }
  std::set<std::int64_t> written;
  for (const FailedCompensation& compensation : write.compensations) {
    if (compensation.id > 0) written.insert(compensation.id);
  }
  std::set<std::int64_t> seen;
  for (std::int64_t id : write.delete_compensation_ids) {
    if (id <= 0) return Status{Code::kInvalidArgument, "compensation id must be positive"};
    if (!seen.insert(id).second) {
      return Status{Code::kInvalidArgument, "compensation deleted twice in one commit"};
    }
    if (written.contains(id)) {
      return Status{Code::kInvalidArgument, "compensation written and deleted in one commit"};
    }
    if (!compensations_.contains(id)) {
      return Status{Code::kNotFound, "unknown compensation " + std::to_string(id)};
    }
  }
  return Status::Ok();
}

Status FakeCheckoutStore::ValidateCarts(const std::vector<CartWrite>& carts) const {
  std::set<std::string> seen;
  for (const CartWrite& write : carts) {
    const Cart& cart = write.cart;
    if (cart.id.empty()) return Status{Code::kInvalidArgument, "cart without id"};
    if (Status status = CheckStorable(cart); !status.ok()) return status;
    if (!seen.insert(cart.id).second) {
      return Status{Code::kInvalidArgument, "cart " + cart.id + " written twice in one commit"};
    }
    if (write.expected_version < 0 || cart.version != write.expected_version + 1) {
      return Status{Code::kInvalidArgument, "cart version must be expected_version + 1"};
    }
    const Cart* stored = FindCart(cart.id);
    if (write.expected_version == 0) {
      if (stored != nullptr) return Status{Code::kConflict, "cart " + cart.id + " exists"};
      continue;
    }
    if (stored == nullptr) return Status{Code::kNotFound, "unknown cart " + cart.id};
    if (stored->version != write.expected_version) {
      return Status{Code::kConflict, "cart " + cart.id + " version changed"};
    }
  }
  CSIM_CHECK(carts_.size() + carts.size() <= kCartsMax, "kCartsMax");
  return Status::Ok();
}

Status FakeCheckoutStore::ValidateCompensations(
    const std::vector<FailedCompensation>& compensations) const {
  std::set<std::int64_t> seen;
  for (const FailedCompensation& compensation : compensations) {
    if (compensation.id < 0) return Status{Code::kInvalidArgument, "negative compensation id"};
    if (Status status = CheckStorable(compensation); !status.ok()) return status;
    if (compensation.id == 0) continue;
    if (!compensations_.contains(compensation.id)) {
      return Status{Code::kNotFound, "unknown compensation " + std::to_string(compensation.id)};
    }
    if (!seen.insert(compensation.id).second) {
      return Status{Code::kInvalidArgument, "compensation written twice in one commit"};
    }
  }
  CSIM_CHECK(compensations_.size() + compensations.size() <= kCompensationsMax,
             "kCompensationsMax");
  return Status::Ok();
}

void FakeCheckoutStore::Apply(const CheckoutWrite& write) {
  for (const CartWrite& cart_write : write.carts) {
    // An update finds its row by the key index, without a search of carts_; the status index is
    // touched only when the status changes (an updated cart keeps its node, so the index's pointer
    // stays good).
    auto* written = cart_index_.Find(cart_write.cart.id);
    if (written != nullptr) {
      const CartStatus old_status = written->second.status;
      const TimeUs old_expires_at = written->second.expires_at;
      written->second = cart_write.cart;
      if (old_status != written->second.status) {
        const std::size_t erased = carts_by_status_[old_status].erase(PackedId{written->first});
        CSIM_CHECK(erased == 1, "the status index held the cart under its old status");
        carts_by_status_[written->second.status].emplace(PackedId{written->first},
                                                         &written->second);
      }
      if (old_status != written->second.status || old_expires_at != written->second.expires_at) {
        UnindexExpiry(old_status, old_expires_at, written->first);
        IndexExpiry(written->second, written->first);
      }
    } else {
      auto [inserted, is_new] = carts_.emplace(cart_write.cart.id, cart_write.cart);
      CSIM_CHECK(is_new, "a cart the key index lacks is not in carts_");
      written = &*inserted;
      cart_index_.Add(*written);
      carts_by_status_[written->second.status].emplace(PackedId{written->first}, &written->second);
      IndexExpiry(written->second, written->first);
    }
    cart_changes_.Note(&written->first);
    cart_written_at_[written->first] = clock_.Now();
  }
  outbox_.Append(write.outbox, clock_.Now());
  for (FailedCompensation compensation : write.compensations) {
    if (compensation.id == 0) compensation.id = ++last_compensation_id_;
    CSIM_CHECK(compensation.id <= last_compensation_id_);
    if (compensation.status == CompensationStatus::kPending) {
      pending_compensation_ids_.insert(compensation.id);
    } else {
      pending_compensation_ids_.erase(compensation.id);
    }
    compensations_[compensation.id] = std::move(compensation);
  }
  for (std::int64_t id : write.delete_compensation_ids) {
    const std::size_t erased = compensations_.erase(id);
    CSIM_CHECK(erased == 1, "Apply without Validate");
    pending_compensation_ids_.erase(id);
    ++deleted_compensation_count_;
  }
  CSIM_CHECK(pending_compensation_ids_.size() <= compensations_.size());
  CSIM_CHECK(cart_index_.size() == carts_.size(), "the key index holds every cart");
}

void FakeCheckoutStore::Restore(const std::vector<Cart>& carts,
                                const std::vector<OutboxRow>& outbox,
                                const std::vector<FailedCompensation>& compensations) {
  CSIM_CHECK(carts.size() <= kCartsMax, "kCartsMax");
  CSIM_CHECK(compensations.size() <= kCompensationsMax, "kCompensationsMax");
  // The index and the journal name the old rows' keys: both start again from the restored rows.
  carts_by_status_.clear();
  expiry_by_status_.clear();
  cart_changes_.Clear();
  cart_index_.Clear();
  carts_.clear();
  cart_written_at_.Clear();
  compensations_.clear();
  pending_compensation_ids_.clear();
  for (const Cart& cart : carts) {
    auto [it, inserted] = carts_.emplace(cart.id, cart);
    CSIM_CHECK(inserted, "restored carts have unique ids");
    carts_by_status_[cart.status].emplace(PackedId{it->first}, &it->second);
    IndexExpiry(it->second, it->first);
    cart_index_.Add(*it);
    cart_changes_.Note(&it->first);
    // A real database keeps no commit time of its own: the writer's stamp is all there is.
    cart_written_at_[it->first] = cart.updated_at;
  }
  for (const FailedCompensation& row : compensations) {
    const bool inserted = row.id > 0 && compensations_.emplace(row.id, row).second;
    CSIM_CHECK(inserted, "restored compensation rows have ids, each once");
    if (row.status == CompensationStatus::kPending) pending_compensation_ids_.insert(row.id);
    last_compensation_id_ = std::max(last_compensation_id_, row.id);
  }
  outbox_.Restore(outbox);
  CSIM_CHECK(carts_.size() == carts.size());
}

}  // namespace csim::fakes
