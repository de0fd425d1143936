#include "adapters/pg_order_store.h"

#include "adapters/blocking.h"
#include "adapters/json_codec.h"
#include "adapters/pg_connection.h"
#include "adapters/pg_outbox.h"
#include "adapters/pg_schema.h"
#include "adapters/row_codec.h"

namespace csim::adapters {
namespace {

Status ValidateShape(const OrderWrite& write) {
  if (write.insert && write.update && write.insert->id == write.update->id) {
    return Status{Code::kInvalidArgument, "insert and update of the same order in one commit"};
  }
  if (write.insert) {
    if (write.insert->id.empty()) return Status{Code::kInvalidArgument, "order without id"};
    if (write.insert->cart_session_id.empty()) {
      return Status{Code::kInvalidArgument, "order without cart_session_id"};
    }
  }
  for (const std::optional<Order>* order : {&write.insert, &write.update}) {
    if (order->has_value() && (*order)->items.size() > PgOrderStore::kItemsPerOrderMax) {
      return Status{Code::kInvalidArgument, "too many items in one order"};
    }
  }
  return PgOutbox::Validate(write.outbox);
}

// SQL text of an optional time: NULL or its integer.
std::string SqlTime(const std::optional<TimeUs>& time) {
  return time ? std::to_string(*time) : "NULL";
}

// Writes every column of `order` (insert or update by id) and replaces its items, in `tx`.
void WriteOrderRow(pqxx::work& tx, const Order& order, bool insert) {
  const std::string columns =
      "cart_session_id, checkout_attempt, customer_id, subtotal, shipping_fee, discount, "
      "points_redeemed, points_value, total, promo_codes, payment_method, authorization_id, "
      "status, expiry_at, created_at, version, captured, refunded, reservations_confirmed, "
      "stock_released, cancelled_at, reserving_again, hold_voided";
  const std::string values = "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, " +
                             SqlTime(order.expiry_at) + ", $15, $16, $17, $18, $19, $20, " +
                             SqlTime(order.cancelled_at) + ", $21, $22";
  const std::string sql =
      insert ? "INSERT INTO orders.orders (id, " + columns + ") VALUES ($1, " + values + ")"
             : "UPDATE orders.orders SET (" + columns + ") = ROW(" + values + ") WHERE id = $1";
  const pqxx::result written = tx.exec_params(
      sql, Text(order.id), Text(order.cart_session_id), Text(order.checkout_attempt),
      Text(order.customer_id), order.subtotal, order.shipping_fee, order.discount,
      order.points_redeemed, order.points_value, order.total, EncodeStrings(order.promo_codes),
      EnumValue(order.payment_method), Text(order.authorization_id), EnumValue(order.status),
      order.created_at, order.version, order.captured, order.refunded, order.reservations_confirmed,
      order.stock_released, order.reserving_again, order.hold_voided);
  CSIM_CHECK(written.affected_rows() == 1, "one order row per write");
  if (!insert) tx.exec_params("DELETE FROM orders.order_items WHERE order_id = $1", order.id);
  for (std::size_t i = 0; i < order.items.size(); ++i) {
    const OrderItem& item = order.items[i];
    tx.exec_params(
        "INSERT INTO orders.order_items (order_id, position, sku, warehouse_id, quantity, "
        "unit_price, reservation_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        order.id, static_cast<int>(i), Text(item.sku), Text(item.warehouse_id), item.quantity,
        item.unit_price, Text(item.reservation_id));
  }
}

// The version check of an update, with the row locked until the transaction ends.
Status CheckUpdate(pqxx::work& tx, const Order& order, TimeUs now) {
  const pqxx::result stored = tx.exec_params(
      "SELECT version, cart_session_id, status FROM orders.orders WHERE id = $1 FOR UPDATE",
      order.id);
  if (stored.empty()) return Status{Code::kNotFound, "unknown order " + order.id};
  if (stored[0]["version"].as<std::int64_t>() != order.version - 1) {
    return Status{Code::kConflict, "order " + order.id + " version changed"};
  }
  if (stored[0]["cart_session_id"].as<std::string>() != order.cart_session_id) {
    return Status{Code::kInvalidArgument, "cart_session_id of an order never changes"};
  }
  const int from = stored[0]["status"].as<int>();
  if (from != EnumValue(order.status)) {
    // The database's own log of status changes (what VALID-TRANSITIONS reads from the fake).
    tx.exec_params(
        "INSERT INTO orders.order_status_changes (order_id, from_status, to_status, at_us) "
        "VALUES ($1, $2, $3, $4)",
        order.id, from, EnumValue(order.status), now);
  }
  return Status::Ok();
}

// The orders of `result` with their items from `items` (both by id).
}  // namespace

Result<std::unique_ptr<PgOrderStore>> PgOrderStore::Open(const std::string& url,
                                                         const Clock& clock) {
  Result<std::unique_ptr<PgConnection>> connection = PgConnection::Create(url);
  if (!connection.ok()) return connection.status();
  Result<std::vector<int>> migrated = Migrate(*connection.value(), "orders");
  if (!migrated.ok()) return migrated.status();
  return std::unique_ptr<PgOrderStore>{new PgOrderStore(std::move(connection).value(), clock)};
}

PgOrderStore::PgOrderStore(std::unique_ptr<PgConnection> connection, const Clock& clock)
    : connection_(std::move(connection)),
      outbox_(std::make_unique<PgOutbox>("orders.outbox")),
      clock_(clock) {
  CSIM_CHECK(connection_ != nullptr);
}

PgOrderStore::~PgOrderStore() = default;

Task<Result<Order>> PgOrderStore::GetOrder(const std::string& order_id) {
  return Blocking<Result<Order>>([this, order_id] { return GetOneNow("id", order_id); });
}

Task<Result<Order>> PgOrderStore::FindBySession(const std::string& cart_session_id) {
  return Blocking<Result<Order>>(
      [this, cart_session_id] { return GetOneNow("cart_session_id", cart_session_id); });
}

Task<Result<std::vector<Order>>> PgOrderStore::FindOrders(const OrderQuery& query) {
  return Blocking<Result<std::vector<Order>>>([this, query] { return FindOrdersNow(query); });
}

Task<Result<bool>> PgOrderStore::IsProcessed(const std::string& event_id) {
  return Blocking<Result<bool>>([this, event_id] { return IsProcessedNow(event_id); });
}

Task<Status> PgOrderStore::Commit(const OrderWrite& write) {
  return Blocking<Status>([this, write] { return CommitNow(write); });
}

Task<Result<std::vector<OutboxRow>>> PgOrderStore::DueOutbox(TimeUs now, std::int32_t limit) {
  return Blocking<Result<std::vector<OutboxRow>>>(
      [this, now, limit] { return outbox_->Due(*connection_, now, limit); });
}

Task<Status> PgOrderStore::UpdateOutbox(const OutboxRow& row) {
  return Blocking<Status>([this, row] { return outbox_->Update(*connection_, row); });
}

Task<Result<std::vector<OutboxRow>>> PgOrderStore::FailedOutbox(std::int32_t limit) {
  return Blocking<Result<std::vector<OutboxRow>>>(
      [this, limit] { return outbox_->Failed(*connection_, limit); });
}

Task<Result<std::vector<OutboxRow>>> PgOrderStore::DueRedrives(TimeUs now, std::int32_t limit) {
  return Blocking<Result<std::vector<OutboxRow>>>(
      [this, now, limit] { return outbox_->DueRedrives(*connection_, now, limit); });
}

Task<Result<std::vector<OutboxRow>>> PgOrderStore::PendingOutbox(TimeUs written_by,
                                                                 std::int32_t limit) {
  return Blocking<Result<std::vector<OutboxRow>>>([this, written_by, limit] {
    return outbox_->PendingWrittenBy(*connection_, written_by, limit);
  });
}

Result<Order> PgOrderStore::GetOneNow(const std::string& column, const std::string& value) {
  CSIM_CHECK(column == "id" || column == "cart_session_id", "a unique column");
  // No stored value holds a NUL (Commit refuses it); libpq would cut the key and find another.
  if (value.find('\0') != std::string::npos) return Status{Code::kNotFound, "no such order"};
  return connection_->Run<Result<Order>>(
      "reading an order", [&](pqxx::connection& c) -> Result<Order> {
        SnapshotRead tx{c};
        const pqxx::result result =
            tx.exec_params(std::string{"SELECT "} + kOrderColumns + " FROM orders.orders WHERE " +
                               column + " = $1",
                           value);
        if (result.empty()) {
          return Status{Code::kNotFound, column == "id" ? "unknown order " + value
                                                        : "no order for session " + value};
        }
        CSIM_CHECK(result.size() == 1, "a unique column");
        const pqxx::result items =
            tx.exec_params(std::string{"SELECT "} + kOrderItemColumns +
                               " FROM orders.order_items WHERE order_id = $1 ORDER BY position",
                           result[0]["id"].as<std::string>());
        Result<std::vector<Order>> orders = OrdersFromRows(result, items);
        if (!orders.ok()) return orders.status();
        return std::move(orders->front());
      });
}

Result<std::vector<Order>> PgOrderStore::FindOrdersNow(const OrderQuery& query) {
  if (Status status = CheckLimit(query.limit, kQueryLimitMax); !status.ok()) return status;
  // Integers only are spliced into the text; every string goes as a parameter.
  std::string where = "TRUE";
  if (!query.statuses.empty()) {
    std::string list;
    for (OrderStatus status : query.statuses) {
      list += (list.empty() ? "" : ", ") + std::to_string(EnumValue(status));
    }
    where += " AND status IN (" + list + ")";
  }
  // As in the fake (and SQL): an order without expiry_at never matches expiry_at < x (EC-11).
  if (query.expiry_before) where += " AND expiry_at < " + std::to_string(*query.expiry_before);
  if (query.created_before) where += " AND created_at < " + std::to_string(*query.created_before);
  if (query.payment_unsettled) {
    where +=
        " AND (captured > refunded OR (captured = 0 AND authorization_id <> '' AND NOT "
        "hold_voided))";
  }
  if (query.stock_unreleased) where += " AND NOT stock_released AND cancelled_at IS NOT NULL";
  const std::string selected = "SELECT id FROM orders.orders WHERE " + where +
                               " ORDER BY id LIMIT " + std::to_string(query.limit);
  using Orders = Result<std::vector<Order>>;
  return connection_->Run<Orders>("finding orders", [&](pqxx::connection& c) -> Orders {
    SnapshotRead tx{c};
    const pqxx::result result =
        tx.exec(std::string{"SELECT "} + kOrderColumns + " FROM orders.orders WHERE id IN (" +
                selected + ") ORDER BY id");
    const pqxx::result items = tx.exec(std::string{"SELECT "} + kOrderItemColumns +
                                       " FROM orders.order_items WHERE order_id IN (" + selected +
                                       ") ORDER BY order_id, position");
    Result<std::vector<Order>> orders = OrdersFromRows(result, items);
    if (orders.ok()) CSIM_CHECK(orders->size() <= static_cast<std::size_t>(query.limit));
    return orders;
  });
}

Result<bool> PgOrderStore::IsProcessedNow(const std::string& event_id) {
  if (event_id.find('\0') != std::string::npos) return false;  // never recorded (see GetOneNow)
  return connection_->Run<Result<bool>>(
      "reading processed events", [&](pqxx::connection& c) -> Result<bool> {
        pqxx::read_transaction tx{c};
        return !tx.exec_params("SELECT 1 FROM orders.processed_events WHERE event_id = $1",
                               event_id)
                    .empty();
      });
}

Status PgOrderStore::CommitNow(const OrderWrite& write) {
  if (Status status = ValidateShape(write); !status.ok()) return status;
  const TimeUs now = clock_.Now();
  return connection_->Run<Status>("committing", [&](pqxx::connection& c) -> Status {
    // Returning before commit() rolls the transaction back (pqxx::work's destructor).
    pqxx::work tx{c};
    // A second order of the same id or cart_session_id: the unique violation, kConflict.
    if (write.insert) WriteOrderRow(tx, *write.insert, /*insert=*/true);
    if (write.update) {
      if (Status status = CheckUpdate(tx, *write.update, now); !status.ok()) return status;
      WriteOrderRow(tx, *write.update, /*insert=*/false);
    }
    if (!write.processed_event_id.empty()) {
      // An event already processed: the primary key's unique violation, kConflict.
      tx.exec_params("INSERT INTO orders.processed_events (event_id) VALUES ($1)",
                     Text(write.processed_event_id));
    }
    outbox_->Append(tx, write.outbox, now);
    tx.commit();
    return Status::Ok();
  });
}

}  // namespace csim::adapters
