#pragma once
// The order service: order creation (the OrderClient checkout calls), cancellation, and the event
// consumers of its worker. Stateless between calls: everything it knows is in the OrderStore, so a
// crash loses nothing but the calls in flight.

#include <string>

#include "core/config.h"
#include "core/findings.h"
#include "core/ports/clock.h"
#include "core/ports/event_bus.h"
#include "core/ports/order_client.h"
#include "core/ports/order_store.h"
#include "core/ports/payment.h"
#include "core/ports/warehouse.h"

namespace csim {

struct OrderPorts {
  Clock& clock;
  OrderStore& store;
  WarehouseInventory& warehouse;
  PaymentGateway& payment;
};

inline constexpr std::string_view kOrderWorkerSubscriber = "order-worker";

class OrderService final : public OrderClient {
 public:
  OrderService(OrderPorts ports, const Config& config, const Profile& profile)
      : ports_(ports), config_(config), profile_(profile) {}

  Task<Result<Order>> CreateOrder(const CreateOrderRequest& request) override;
  Task<Status> CancelOrder(const std::string& order_id, const std::string& reason) override;
  Task<Result<Order>> FindBySession(const std::string& cart_session_id) override;

  // ---- consumers of the order worker (EventConsumersWorker), each deduplicated by event id ----
  Task<Status> ConsumePaymentCaptureRequested(const Event& event);
  Task<Status> ConsumePaymentConfirmed(const Event& event);
  Task<Status> ConsumePaymentFailed(const Event& event);

  // Subscribes every consumer the order worker registers.
  void RegisterConsumers(EventBus& bus);

 private:
  Task<bool> ConfirmReservationWithRetry(const std::string& reservation_id);
  Task<Status> ReleaseReservationWithRetry(const std::string& reservation_id);

  OrderPorts ports_;
  const Config& config_;
  const Profile& profile_;
};

// The outbox event every status change writes.
Event StatusChangedEvent(const Order& order, OrderStatus from);

}  // namespace csim
