#include "adapters/row_codec.h"

#include "adapters/json_codec.h"

#include <map>

namespace csim::adapters {
namespace {

// The enumerator stored as `value`, of an enum with `count` enumerators 0..count-1.
template <class E>
Result<E> EnumFrom(int value, int count, const char* what) {
  CSIM_CHECK(count > 0);
  if (value < 0 || value >= count) {
    return Status{Code::kInvalidArgument,
                  std::string{"stored "} + what + " out of range: " + std::to_string(value)};
  }
  return static_cast<E>(value);
}

std::optional<TimeUs> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<TimeUs>();
}

}  // namespace

Result<Cart> CartFromRow(const pqxx::row& row) {
  Cart cart;
  cart.id = row["id"].as<std::string>();
  cart.session_id = row["session_id"].as<std::string>();
  cart.customer_id = row["customer_id"].as<std::string>();
  cart.guest = row["guest"].as<bool>();
  Result<std::vector<CartItem>> items = DecodeCartItems(row["items"].as<std::string>());
  if (!items.ok()) return items.status();
  cart.items = std::move(items).value();
  cart.version = row["version"].as<std::int64_t>();
  Result<CartStatus> status = EnumFrom<CartStatus>(row["status"].as<int>(), 4, "cart status");
  if (!status.ok()) return status.status();
  cart.status = status.value();
  cart.created_at = row["created_at"].as<TimeUs>();
  cart.updated_at = row["updated_at"].as<TimeUs>();
  cart.expires_at = row["expires_at"].as<TimeUs>();
  cart.checkout_started_at = row["checkout_started_at"].as<TimeUs>();
  cart.order_id = row["order_id"].as<std::string>();
  Result<std::vector<std::string>> codes =
      DecodeStrings(row["checkout_promo_codes"].as<std::string>());
  if (!codes.ok()) return codes.status();
  cart.checkout_promo_codes = std::move(codes).value();
  CSIM_CHECK(!cart.id.empty(), "a stored cart has an id");
  return cart;
}

Result<OutboxRow> OutboxRowFromRow(const pqxx::row& row) {
  OutboxRow outbox;
  outbox.id = row["id"].as<std::int64_t>();
  outbox.event.id = row["event_id"].as<std::string>();
  outbox.event.topic = row["topic"].as<std::string>();
  outbox.event.subject = row["subject"].as<std::string>();
  Result<std::map<std::string, std::string>> fields = DecodeFields(row["fields"].as<std::string>());
  if (!fields.ok()) return fields.status();
  outbox.event.fields = std::move(fields).value();
  Result<OutboxStatus> status = EnumFrom<OutboxStatus>(row["status"].as<int>(), 4, "outbox status");
  if (!status.ok()) return status.status();
  outbox.status = status.value();
  outbox.attempts = row["attempts"].as<std::int32_t>();
  outbox.next_attempt_at = row["next_attempt_at"].as<TimeUs>();
  outbox.created_at = row["created_at"].as<TimeUs>();
  CSIM_CHECK(outbox.id > 0, "bigserial ids start at 1");
  return outbox;
}

Result<FailedCompensation> CompensationFromRow(const pqxx::row& row) {
  FailedCompensation compensation;
  compensation.id = row["id"].as<std::int64_t>();
  Result<CompensationKind> kind =
      EnumFrom<CompensationKind>(row["kind"].as<int>(), 8, "compensation kind");
  if (!kind.ok()) return kind.status();
  compensation.kind = kind.value();
  compensation.subject = row["subject"].as<std::string>();
  Result<std::map<std::string, std::string>> fields = DecodeFields(row["fields"].as<std::string>());
  if (!fields.ok()) return fields.status();
  compensation.fields = std::move(fields).value();
  compensation.attempts = row["attempts"].as<std::int32_t>();
  compensation.max_attempts = row["max_attempts"].as<std::int32_t>();
  compensation.next_attempt_at = row["next_attempt_at"].as<TimeUs>();
  compensation.alert_sent = row["alert_sent"].as<bool>();
  Result<CompensationStatus> status =
      EnumFrom<CompensationStatus>(row["status"].as<int>(), 3, "compensation status");
  if (!status.ok()) return status.status();
  compensation.status = status.value();
  CSIM_CHECK(compensation.id > 0, "bigserial ids start at 1");
  return compensation;
}

Result<Order> OrderFromRow(const pqxx::row& row) {
  Order order;
  order.id = row["id"].as<std::string>();
  order.cart_session_id = row["cart_session_id"].as<std::string>();
  order.checkout_attempt = row["checkout_attempt"].as<std::string>();
  order.customer_id = row["customer_id"].as<std::string>();
  order.subtotal = row["subtotal"].as<Money>();
  order.shipping_fee = row["shipping_fee"].as<Money>();
  order.discount = row["discount"].as<Money>();
  order.points_redeemed = row["points_redeemed"].as<std::int64_t>();
  order.points_value = row["points_value"].as<Money>();
  order.total = row["total"].as<Money>();
  Result<std::vector<std::string>> codes = DecodeStrings(row["promo_codes"].as<std::string>());
  if (!codes.ok()) return codes.status();
  order.promo_codes = std::move(codes).value();
  Result<PaymentMethod> method =
      EnumFrom<PaymentMethod>(row["payment_method"].as<int>(), 2, "payment method");
  if (!method.ok()) return method.status();
  order.payment_method = method.value();
  order.authorization_id = row["authorization_id"].as<std::string>();
  Result<OrderStatus> status = OrderStatusFromValue(row["status"].as<int>());
  if (!status.ok()) return status.status();
  order.status = status.value();
  order.expiry_at = OptionalTime(row["expiry_at"]);
  order.created_at = row["created_at"].as<TimeUs>();
  order.version = row["version"].as<std::int64_t>();
  order.captured = row["captured"].as<Money>();
  order.refunded = row["refunded"].as<Money>();
  order.reservations_confirmed = row["reservations_confirmed"].as<bool>();
  order.stock_released = row["stock_released"].as<bool>();
  order.cancelled_at = OptionalTime(row["cancelled_at"]);
  order.reserving_again = row["reserving_again"].as<bool>();
  order.hold_voided = row["hold_voided"].as<bool>();
  CSIM_CHECK(!order.id.empty(), "a stored order has an id");
  return order;
}

OrderItem OrderItemFromRow(const pqxx::row& row) {
  OrderItem item;
  item.sku = row["sku"].as<std::string>();
  item.warehouse_id = row["warehouse_id"].as<std::string>();
  item.quantity = row["quantity"].as<std::int32_t>();
  item.unit_price = row["unit_price"].as<Money>();
  item.reservation_id = row["reservation_id"].as<std::string>();
  return item;
}

Result<OrderStatus> OrderStatusFromValue(int value) {
  return EnumFrom<OrderStatus>(value, kOrderStatusCount, "order status");
}

Result<std::vector<Order>> OrdersFromRows(const pqxx::result& result, const pqxx::result& items) {
  std::vector<Order> orders;
  std::map<std::string, std::size_t> index;
  for (const pqxx::row& row : result) {
    Result<Order> order = OrderFromRow(row);
    if (!order.ok()) return order.status();
    index[order->id] = orders.size();
    orders.push_back(std::move(order).value());
  }
  for (const pqxx::row& row : items) {
    auto it = index.find(row["order_id"].as<std::string>());
    CSIM_CHECK(it != index.end(), "items of the orders read");
    orders[it->second].items.push_back(OrderItemFromRow(row));
  }
  return orders;
}

}  // namespace csim::adapters
