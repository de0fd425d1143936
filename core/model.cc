#include "core/model.h"

#include <charconv>

namespace csim {

std::string Event::Get(std::string_view key) const {
  return std::string{View(key)};
}

std::string_view Event::View(std::string_view key) const {
  auto it = fields.find(key);
  return it == fields.end() ? std::string_view{} : std::string_view{it->second};
}

std::int64_t Event::GetInt(std::string_view key) const {
  const std::string_view text = View(key);
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string_view Name(CartStatus status) {
  switch (status) {
    case CartStatus::kActive:
      return "active";
    case CartStatus::kCheckout:
      return "checkout";
    case CartStatus::kCompleted:
      return "completed";
    case CartStatus::kAbandoned:
      return "abandoned";
  }
  return "?";
}

std::string_view Name(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPending:
      return "pending";
    case OrderStatus::kConfirmed:
      return "confirmed";
    case OrderStatus::kProcessing:
      return "processing";
    case OrderStatus::kPartiallyShipped:
      return "partially_shipped";
    case OrderStatus::kShipped:
      return "shipped";
    case OrderStatus::kDelivered:
      return "delivered";
    case OrderStatus::kReturned:
      return "returned";
    case OrderStatus::kCancelled:
      return "cancelled";
    case OrderStatus::kRefunded:
      return "refunded";
  }
  return "?";
}

std::optional<OrderStatus> ParseOrderStatus(std::string_view name) {
  for (int i = 0; i < kOrderStatusCount; ++i) {
    auto status = static_cast<OrderStatus>(i);
    if (Name(status) == name) return status;
  }
  return std::nullopt;
}

std::string_view Name(PaymentMethod method) {
  return method == PaymentMethod::kCard ? "card" : "cod";
}

std::string_view Name(CompensationKind kind) {
  switch (kind) {
    case CompensationKind::kVoidAuthorization:
      return "void_authorization";
    case CompensationKind::kApplyPromotion:
      return "apply_promotion";
    case CompensationKind::kCartCleanup:
      return "cart_cleanup";
    case CompensationKind::kReleaseReservation:
      return "release_reservation";
    case CompensationKind::kReleasePromotion:
      return "release_promotion";
    case CompensationKind::kVoidAuthorizationByKey:
      return "void_authorization_by_key";
    case CompensationKind::kReleaseReservationByReference:
      return "release_reservation_by_reference";
    case CompensationKind::kGiveBackPoints:
      return "give_back_points";
  }
  return "?";
}

std::string_view Name(OutboxStatus status) {
  switch (status) {
    case OutboxStatus::kPending:
      return "pending";
    case OutboxStatus::kPublished:
      return "published";
    case OutboxStatus::kFailed:
      return "failed";
    case OutboxStatus::kAwaitingRedrive:
      return "awaiting_redrive";
  }
  return "?";
}

}  // namespace csim
