#pragma once
// The business entities of the checkout and order services, as the review names them. Plain
// values: they live in the stores, and a process keeps none of them across a crash.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_fields.h"
#include "core/money.h"
#include "core/time.h"

namespace csim {

enum class PaymentMethod { kCard, kCashOnDelivery };

// ---- Cart (checkout service) ----
enum class CartStatus { kActive, kCheckout, kCompleted, kAbandoned };

struct CartItem {
  std::string sku;
  std::int32_t quantity = 0;
  std::optional<std::string> warehouse_id;  // nil in some carts: finding EC-08
  bool operator==(const CartItem&) const = default;
};

struct Cart {
  std::string id;
  std::string session_id;  // the idempotency key of order creation (unique in the order DB)
  std::string customer_id;
  bool guest = false;
  std::vector<CartItem> items;
  std::int64_t version = 0;  // bumped on every change of the cart row
  CartStatus status = CartStatus::kActive;
  TimeUs created_at = 0;
  TimeUs updated_at = 0;
  TimeUs expires_at = 0;           // 24 h for a signed-in customer, 1 h for a guest
  TimeUs checkout_started_at = 0;  // set when it moves to kCheckout
  std::string order_id;            // set when an order was created from it
  // The promotion codes of the checkout attempt in progress (written with the move to kCheckout),
  // so what the attempt claimed can be given back from durable state alone (SIM-07).
  std::vector<std::string> checkout_promo_codes;
  bool operator==(const Cart&) const = default;
};

// ---- Order (order service) ----
enum class OrderStatus {
  kPending,
  kConfirmed,
  kProcessing,
  kPartiallyShipped,
  kShipped,
  kDelivered,
  kReturned,
  kCancelled,
  kRefunded,
};
inline constexpr int kOrderStatusCount = 9;

struct OrderItem {
  std::string sku;
  std::string warehouse_id;
  std::int32_t quantity = 0;
  Money unit_price = 0;
  std::string reservation_id;
  bool operator==(const OrderItem&) const = default;
};

struct Order {
  std::string id;
  std::string cart_session_id;
  std::string checkout_attempt;  // the checkout attempt that created it (CheckoutAttempt)
  std::string customer_id;
  std::vector<OrderItem> items;
  Money subtotal = 0;
  Money shipping_fee = 0;
  Money discount = 0;
  std::int64_t points_redeemed = 0;
  Money points_value = 0;
  Money total = 0;  // subtotal + shipping_fee - discount - points_value
  std::vector<std::string> promo_codes;
  PaymentMethod payment_method = PaymentMethod::kCard;
  std::string authorization_id;  // empty for cash on delivery
  OrderStatus status = OrderStatus::kPending;
  std::optional<TimeUs> expiry_at;  // the cleanup cancels a pending order past it (EC-10, EC-11)
  TimeUs created_at = 0;
  std::int64_t version = 1;  // optimistic concurrency of the order row
  Money captured = 0;        // what the order service recorded as captured
  Money refunded = 0;        // what the order service recorded as refunded
  bool reservations_confirmed = false;
  bool stock_released = false;
  std::optional<TimeUs> cancelled_at;  // set by the cancellation; kept when refunded after it
  // SIM-15 fixed: committed before a lapsed item is reserved again, so a cancellation knows to
  // look for the new reservation by its reference.
  bool reserving_again = false;
  bool hold_voided = false;  // SIM-16 fixed: PaymentCompensationWorker's void of the hold succeeded
  bool operator==(const Order&) const = default;
};

// ---- Events and outbox ----
struct Event {
  std::string id;       // unique per logical event; consumers deduplicate by it
  std::string topic;    // e.g. "payments.payment.confirmed"
  std::string subject;  // the entity it is about (order id, cart id, ...)
  EventFields fields;
  bool operator==(const Event&) const = default;

  std::string Get(std::string_view key) const;      // "" when missing
  std::int64_t GetInt(std::string_view key) const;  // 0 when missing
  // "" when missing; the field's own text otherwise (valid while the event is unchanged).
  std::string_view View(std::string_view key) const;
};

// kAwaitingRedrive (SIM-32 fixed): a compensation row the bus took whose warehouse action is not
// yet known done; the DLQ retry redrives it without the bus and then marks it published.
enum class OutboxStatus { kPending, kPublished, kFailed, kAwaitingRedrive };

struct OutboxRow {
  std::int64_t id = 0;
  Event event;
  OutboxStatus status = OutboxStatus::kPending;
  std::int32_t attempts = 0;
  TimeUs next_attempt_at = 0;
  TimeUs created_at = 0;
  bool operator==(const OutboxRow&) const = default;
};

// ---- Failed compensations (checkout DB), retried by FailedCompensationWorker ----
enum class CompensationKind {
  kVoidAuthorization,  // the review's three kinds ...
  kApplyPromotion,
  kCartCleanup,
  kReleaseReservation,  // ... and those the fixed profile adds (EC-06, P2-CC-04, EC-12)
  kReleasePromotion,
  kGiveBackPoints,
  kVoidAuthorizationByKey,         // SIM-03: an authorization whose id the saga never heard back
  kReleaseReservationByReference,  // SIM-11: a reservation whose id the saga never heard back
};
enum class CompensationStatus { kPending, kDone, kExhausted };

struct FailedCompensation {
  std::int64_t id = 0;  // 0: not stored yet
  CompensationKind kind = CompensationKind::kVoidAuthorization;
  std::string subject;  // authorization id or key, promo code, cart id, reservation id or reference
  std::map<std::string, std::string> fields;
  std::int32_t attempts = 0;
  std::int32_t max_attempts = 0;
  TimeUs next_attempt_at = 0;
  bool alert_sent = false;
  CompensationStatus status = CompensationStatus::kPending;
  bool operator==(const FailedCompensation&) const = default;
};

std::string_view Name(CartStatus status);
std::string_view Name(OrderStatus status);
std::string_view Name(PaymentMethod method);
std::string_view Name(CompensationKind kind);
std::string_view Name(OutboxStatus status);
std::optional<OrderStatus> ParseOrderStatus(std::string_view name);

}  // namespace csim
