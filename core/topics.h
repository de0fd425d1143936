#pragma once
// Topic names exactly as the review's event architecture summary lists them.

#include <string_view>

namespace csim::topics {

// Published by checkout.
inline constexpr std::string_view kCartConverted = "cart.converted";
inline constexpr std::string_view kPaymentCaptureRequested = "orders.payment.capture_requested";
// Declared by checkout and never published (finding M-04 / P2-CC-01).
inline constexpr std::string_view kCheckoutCompleted = "orders.checkout.completed";

// Published by order.
inline constexpr std::string_view kOrderStatusChanged = "orders.order.status_changed";
inline constexpr std::string_view kOrderCompleted = "orders.order.completed";
inline constexpr std::string_view kOrderCancelled = "orders.order.cancelled";
inline constexpr std::string_view kStockCommitted = "inventory.stock.committed";
inline constexpr std::string_view kReservationReleaseDlq = "compensation.reservation_release";
// The field of a release row that looks its reservation up by this reserve-again reference
// (SIM-36) instead of naming it: the row's writer does not know the reservation, if one exists.
inline constexpr std::string_view kAgainReferenceField = "again_reference";
inline constexpr std::string_view kReservationConfirmDlq = "compensation.reservation_confirm";
inline constexpr std::string_view kRefundRestockDlq = "compensation.refund_restock";

// The order side's dead-letter rows: the outbox publisher sends them to the DLQ consumer, and the
// DLQ retry performs them straight from the table.
constexpr bool IsCompensationTopic(std::string_view topic) {
  return topic == kReservationConfirmDlq || topic == kReservationReleaseDlq ||
         topic == kRefundRestockDlq;
}

// Consumed by the order worker.
inline constexpr std::string_view kPaymentConfirmed = "payments.payment.confirmed";
inline constexpr std::string_view kPaymentFailed = "payments.payment.failed";
inline constexpr std::string_view kFulfillmentStatusChanged =
    "fulfillments.fulfillment.status_changed";
inline constexpr std::string_view kReservationExpired = "warehouse.inventory.reservation_expired";
inline constexpr std::string_view kShipmentDelivered = "shipping.shipment.delivered";
inline constexpr std::string_view kRefundCompleted = "payments.refund.completed";

}  // namespace csim::topics
