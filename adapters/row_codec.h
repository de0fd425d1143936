#pragma once
// Rows of the PostgreSQL tables (adapters/sql/) to core's values and back (adapters/ only). Enums
// are stored as their integer values; a stored value out of range is kInvalidArgument (a schema
// or data error), never a silent default.

#include <pqxx/pqxx>

#include "core/model.h"
#include "core/status.h"

namespace csim::adapters {

// The columns each decoder reads, in SELECT order.
inline constexpr const char* kCartColumns =
    "id, session_id, customer_id, guest, items, version, status, created_at, updated_at, "
    "expires_at, checkout_started_at, order_id, checkout_promo_codes";
inline constexpr const char* kOutboxColumns =
    "id, event_id, topic, subject, fields, status, attempts, next_attempt_at, created_at";
inline constexpr const char* kCompensationColumns =
    "id, kind, subject, fields, attempts, max_attempts, next_attempt_at, alert_sent, status";
inline constexpr const char* kOrderColumns =
    "id, cart_session_id, checkout_attempt, customer_id, subtotal, shipping_fee, discount, "
    "points_redeemed, points_value, total, promo_codes, payment_method, authorization_id, status, "
    "expiry_at, created_at, version, captured, refunded, reservations_confirmed, stock_released, "
    "cancelled_at, reserving_again, hold_voided";
inline constexpr const char* kOrderItemColumns =
    "order_id, position, sku, warehouse_id, quantity, unit_price, reservation_id";

Result<Cart> CartFromRow(const pqxx::row& row);
Result<OutboxRow> OutboxRowFromRow(const pqxx::row& row);
Result<FailedCompensation> CompensationFromRow(const pqxx::row& row);
// The order without its items (they live in order_items).
Result<Order> OrderFromRow(const pqxx::row& row);
OrderItem OrderItemFromRow(const pqxx::row& row);
// The order status stored as `value` (orders.status, order_status_changes' columns).
Result<OrderStatus> OrderStatusFromValue(int value);
// The orders of `result` (kOrderColumns) with their items from `items` (kOrderItemColumns, by
// position), in the order of `result`.
Result<std::vector<Order>> OrdersFromRows(const pqxx::result& result, const pqxx::result& items);

// A consistent snapshot across the queries of one read (orders and their items, a whole database).
using SnapshotRead =
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only>;

// The integer stored for an enumerator.
template <class E>
int EnumValue(E value) {
  return static_cast<int>(value);
}

}  // namespace csim::adapters
