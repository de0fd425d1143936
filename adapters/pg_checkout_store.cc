#include "adapters/pg_checkout_store.h"

#include <set>

#include "adapters/blocking.h"
#include "adapters/json_codec.h"
#include "adapters/pg_connection.h"
#include "adapters/pg_outbox.h"
#include "adapters/pg_schema.h"
#include "adapters/row_codec.h"

namespace csim::adapters {
namespace {

// What the fake checks before touching a row, checked here before the transaction starts.
Status ValidateShape(const CheckoutWrite& write) {
  if (write.carts.size() > PgCheckoutStore::kWritesPerCommitMax ||
      write.compensations.size() > PgCheckoutStore::kWritesPerCommitMax ||
      write.delete_compensation_ids.size() > PgCheckoutStore::kWritesPerCommitMax) {
    return Status{Code::kInvalidArgument, "too many rows in one commit"};
  }
  std::set<std::string> carts;
  for (const CartWrite& cart_write : write.carts) {
    if (cart_write.cart.id.empty()) return Status{Code::kInvalidArgument, "cart without id"};
    if (!carts.insert(cart_write.cart.id).second) {
      return Status{Code::kInvalidArgument,
                    "cart " + cart_write.cart.id + " written twice in one commit"};
    }
    if (cart_write.expected_version < 0 ||
        cart_write.cart.version != cart_write.expected_version + 1) {
      return Status{Code::kInvalidArgument, "cart version must be expected_version + 1"};
    }
  }
  if (Status status = PgOutbox::Validate(write.outbox); !status.ok()) return status;
  std::set<std::int64_t> written;
  for (const FailedCompensation& compensation : write.compensations) {
    if (compensation.id < 0) return Status{Code::kInvalidArgument, "negative compensation id"};
    if (compensation.id > 0 && !written.insert(compensation.id).second) {
      return Status{Code::kInvalidArgument, "compensation written twice in one commit"};
    }
  }
  std::set<std::int64_t> deleted;
  for (std::int64_t id : write.delete_compensation_ids) {
    if (id <= 0) return Status{Code::kInvalidArgument, "compensation id must be positive"};
    if (!deleted.insert(id).second) {
      return Status{Code::kInvalidArgument, "compensation deleted twice in one commit"};
    }
    if (written.contains(id)) {
      return Status{Code::kInvalidArgument, "compensation written and deleted in one commit"};
    }
  }
  return Status::Ok();
}

// Inserts (expected_version 0) or updates one cart under its version check, in `tx`.
Status WriteCart(pqxx::work& tx, const CartWrite& cart_write) {
  const Cart& cart = cart_write.cart;
  if (cart_write.expected_version == 0) {
    // An existing id is the primary key's unique violation: PgConnection maps it to kConflict.
    tx.exec_params(
        "INSERT INTO checkout.carts (id, session_id, customer_id, guest, items, version, status, "
        "created_at, updated_at, expires_at, checkout_started_at, order_id, checkout_promo_codes) "
        "VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13::jsonb)",
        Text(cart.id), Text(cart.session_id), Text(cart.customer_id), cart.guest,
        EncodeCartItems(cart.items), cart.version, EnumValue(cart.status), cart.created_at,
        cart.updated_at, cart.expires_at, cart.checkout_started_at, Text(cart.order_id),
        EncodeStrings(cart.checkout_promo_codes));
    return Status::Ok();
  }
  const pqxx::result updated = tx.exec_params(
      "UPDATE checkout.carts SET session_id = $2, customer_id = $3, guest = $4, items = $5::jsonb, "
      "version = $6, status = $7, created_at = $8, updated_at = $9, expires_at = $10, "
      "checkout_started_at = $11, order_id = $12, checkout_promo_codes = $13::jsonb "
      "WHERE id = $1 AND version = $14",
      Text(cart.id), Text(cart.session_id), Text(cart.customer_id), cart.guest,
      EncodeCartItems(cart.items), cart.version, EnumValue(cart.status), cart.created_at,
      cart.updated_at, cart.expires_at, cart.checkout_started_at, Text(cart.order_id),
      EncodeStrings(cart.checkout_promo_codes), cart_write.expected_version);
  if (updated.affected_rows() == 1) return Status::Ok();
  const pqxx::result exists = tx.exec_params("SELECT 1 FROM checkout.carts WHERE id = $1", cart.id);
  if (exists.empty()) return Status{Code::kNotFound, "unknown cart " + cart.id};
  return Status{Code::kConflict, "cart " + cart.id + " version changed"};
}

// Inserts (id 0) or replaces one compensation row, in `tx`.
Status WriteCompensation(pqxx::work& tx, const FailedCompensation& row) {
  if (row.id == 0) {
    tx.exec_params(
        "INSERT INTO checkout.failed_compensations (kind, subject, fields, attempts, "
        "max_attempts, next_attempt_at, alert_sent, status) VALUES ($1, $2, $3::jsonb, $4, $5, "
        "$6, $7, $8)",
        EnumValue(row.kind), Text(row.subject), EncodeFields(row.fields), row.attempts,
        row.max_attempts, row.next_attempt_at, row.alert_sent, EnumValue(row.status));
    return Status::Ok();
  }
  const pqxx::result updated = tx.exec_params(
      "UPDATE checkout.failed_compensations SET kind = $2, subject = $3, fields = $4::jsonb, "
      "attempts = $5, max_attempts = $6, next_attempt_at = $7, alert_sent = $8, status = $9 "
      "WHERE id = $1",
      row.id, EnumValue(row.kind), Text(row.subject), EncodeFields(row.fields), row.attempts,
      row.max_attempts, row.next_attempt_at, row.alert_sent, EnumValue(row.status));
  if (updated.affected_rows() == 0) {
    return Status{Code::kNotFound, "unknown compensation " + std::to_string(row.id)};
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<PgCheckoutStore>> PgCheckoutStore::Open(const std::string& url,
                                                               const Clock& clock) {
  Result<std::unique_ptr<PgConnection>> connection = PgConnection::Create(url);
  if (!connection.ok()) return connection.status();
  Result<std::vector<int>> migrated = Migrate(*connection.value(), "checkout");
  if (!migrated.ok()) return migrated.status();
  return std::unique_ptr<PgCheckoutStore>{
      new PgCheckoutStore(std::move(connection).value(), clock)};
}

PgCheckoutStore::PgCheckoutStore(std::unique_ptr<PgConnection> connection, const Clock& clock)
    : connection_(std::move(connection)),
      outbox_(std::make_unique<PgOutbox>("checkout.outbox")),
      clock_(clock) {
  CSIM_CHECK(connection_ != nullptr);
}

PgCheckoutStore::~PgCheckoutStore() = default;

Task<Result<Cart>> PgCheckoutStore::GetCart(const std::string& cart_id) {
  return Blocking<Result<Cart>>([this, cart_id] { return GetCartNow(cart_id); });
}

Task<Result<std::vector<Cart>>> PgCheckoutStore::FindCarts(const CartQuery& query) {
  return Blocking<Result<std::vector<Cart>>>([this, query] { return FindCartsNow(query); });
}

Task<Status> PgCheckoutStore::Commit(const CheckoutWrite& write) {
  return Blocking<Status>([this, write] { return CommitNow(write); });
}

Task<Result<std::vector<FailedCompensation>>> PgCheckoutStore::DueCompensations(
    TimeUs now, std::int32_t limit) {
  return Blocking<Result<std::vector<FailedCompensation>>>([this, now, limit] {
    return SelectCompensations("status = 0 AND next_attempt_at <= $1", now, limit);
  });
}

Task<Result<std::vector<FailedCompensation>>> PgCheckoutStore::FinishedCompensations(
    TimeUs touched_before, std::int32_t limit) {
  return Blocking<Result<std::vector<FailedCompensation>>>([this, touched_before, limit] {
    return SelectCompensations("status <> 0 AND next_attempt_at < $1", touched_before, limit);
  });
}

Task<Result<std::vector<OutboxRow>>> PgCheckoutStore::DueOutbox(TimeUs now, std::int32_t limit) {
  return Blocking<Result<std::vector<OutboxRow>>>(
      [this, now, limit] { return outbox_->Due(*connection_, now, limit); });
}

Task<Status> PgCheckoutStore::UpdateOutbox(const OutboxRow& row) {
  return Blocking<Status>([this, row] { return outbox_->Update(*connection_, row); });
}

Task<Result<std::vector<OutboxRow>>> PgCheckoutStore::FailedOutbox(std::int32_t limit) {
  return Blocking<Result<std::vector<OutboxRow>>>(
      [this, limit] { return outbox_->Failed(*connection_, limit); });
}

Task<Result<std::vector<OutboxRow>>> PgCheckoutStore::DueRedrives(TimeUs now, std::int32_t limit) {
  return Blocking<Result<std::vector<OutboxRow>>>(
      [this, now, limit] { return outbox_->DueRedrives(*connection_, now, limit); });
}

Task<Result<std::vector<OutboxRow>>> PgCheckoutStore::PendingOutbox(TimeUs written_by,
                                                                    std::int32_t limit) {
  return Blocking<Result<std::vector<OutboxRow>>>([this, written_by, limit] {
    return outbox_->PendingWrittenBy(*connection_, written_by, limit);
  });
}

Result<Cart> PgCheckoutStore::GetCartNow(const std::string& cart_id) {
  // No stored id holds a NUL (Commit refuses it); libpq would cut the key and find another cart.
  if (cart_id.find('\0') != std::string::npos) {
    return Status{Code::kNotFound, "unknown cart " + cart_id};
  }
  return connection_->Run<Result<Cart>>("reading a cart", [&](pqxx::connection& c) -> Result<Cart> {
    pqxx::read_transaction tx{c};
    const pqxx::result result = tx.exec_params(
        std::string{"SELECT "} + kCartColumns + " FROM checkout.carts WHERE id = $1", cart_id);
    if (result.empty()) return Status{Code::kNotFound, "unknown cart " + cart_id};
    return CartFromRow(result[0]);
  });
}

Result<std::vector<Cart>> PgCheckoutStore::FindCartsNow(const CartQuery& query) {
  if (Status status = CheckLimit(query.limit, kQueryLimitMax); !status.ok()) return status;
  using Carts = Result<std::vector<Cart>>;
  return connection_->Run<Carts>("finding carts", [&](pqxx::connection& c) -> Carts {
    pqxx::read_transaction tx{c};
    // expired_by filters the rows the limit selected (CartQuery), not the table.
    const pqxx::result result = tx.exec_params(
        std::string{"SELECT "} + kCartColumns +
            " FROM (SELECT * FROM checkout.carts WHERE status = $1 AND updated_at < $2"
            " ORDER BY id LIMIT $3) AS selected WHERE $4::bigint IS NULL OR expires_at <= $4"
            " ORDER BY id",
        EnumValue(query.status), query.updated_before, query.limit, query.expired_by);
    std::vector<Cart> carts;
    for (const pqxx::row& row : result) {
      Result<Cart> cart = CartFromRow(row);
      if (!cart.ok()) return cart.status();
      carts.push_back(std::move(cart).value());
    }
    CSIM_CHECK(carts.size() <= static_cast<std::size_t>(query.limit));
    return carts;
  });
}

Result<std::vector<FailedCompensation>> PgCheckoutStore::SelectCompensations(
    const std::string& where, TimeUs time, std::int32_t limit) {
  if (Status status = CheckLimit(limit, kQueryLimitMax); !status.ok()) return status;
  using Rows = Result<std::vector<FailedCompensation>>;
  return connection_->Run<Rows>("reading compensations", [&](pqxx::connection& c) -> Rows {
    pqxx::read_transaction tx{c};
    const pqxx::result result = tx.exec_params(std::string{"SELECT "} + kCompensationColumns +
                                                   " FROM checkout.failed_compensations WHERE " +
                                                   where + " ORDER BY id LIMIT $2",
                                               time, limit);
    std::vector<FailedCompensation> rows;
    for (const pqxx::row& row : result) {
      Result<FailedCompensation> decoded = CompensationFromRow(row);
      if (!decoded.ok()) return decoded.status();
      rows.push_back(std::move(decoded).value());
    }
    CSIM_CHECK(rows.size() <= static_cast<std::size_t>(limit));
    return rows;
  });
}

Status PgCheckoutStore::CommitNow(const CheckoutWrite& write) {
  if (Status status = ValidateShape(write); !status.ok()) return status;
  const TimeUs now = clock_.Now();
  return connection_->Run<Status>("committing", [&](pqxx::connection& c) -> Status {
    // Returning before commit() rolls the transaction back (pqxx::work's destructor).
    pqxx::work tx{c};
    for (const CartWrite& cart_write : write.carts) {
      if (Status status = WriteCart(tx, cart_write); !status.ok()) return status;
    }
    outbox_->Append(tx, write.outbox, now);
    for (const FailedCompensation& compensation : write.compensations) {
      if (Status status = WriteCompensation(tx, compensation); !status.ok()) return status;
    }
    for (std::int64_t id : write.delete_compensation_ids) {
      const pqxx::result deleted =
          tx.exec_params("DELETE FROM checkout.failed_compensations WHERE id = $1", id);
      if (deleted.affected_rows() == 0) {
        return Status{Code::kNotFound, "unknown compensation " + std::to_string(id)};
      }
    }
    tx.commit();
    return Status::Ok();
  });
}

}  // namespace csim::adapters
