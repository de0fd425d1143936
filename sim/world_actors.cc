// The outside world of a simulation: services the review does not own (fulfillment, shipping,
// the loyalty and promotion services), customers cancelling, and changes nobody controls (prices,
// shipping rates, promotions expiring, stock sold on another channel). Their decisions draw from
// a stream of their own, so they never shift the workload's or the faults' draws.

#include "core/topics.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_pricing.h"
#include "fakes/fake_promotions.h"
#include "fakes/fake_shipping.h"
#include "fakes/fake_warehouse.h"
#include "sim/detail_text.h"
#include "sim/world_impl.h"

namespace csim::sim {
namespace {

// An outside service retries a publish with backoff for longer than any fault window lasts (the
// faulty phase ends within an hour of the last customer): 200 attempts reach past three hours.
constexpr std::int32_t kPublishAttemptsMax = 200;
// Holds and outages on one order that fulfilment waits out before it goes on (each customer
// cancels at most a few times; a plan has at most kFaultWindowsMax windows).
constexpr std::int32_t kWaitsMax = 1000;
// What DownUntil asks about when fulfilment's own work goes on: any window on the fulfilment
// service ("fulfillment.") covers it.
constexpr std::string_view kFulfillmentWork = "fulfillment.work";
constexpr DurationUs kPublishRetryUs = 2 * kSecondUs;
constexpr DurationUs kPublishRetryMaxUs = kMinuteUs;
constexpr std::string_view kFulfillmentSubscriber = "fulfillment";
constexpr std::string_view kLoyaltySubscriber = "loyalty-service";

Event FulfillmentEvent(const std::string& order_id, std::string_view status) {
  Event event;
  event.id = DetailText("fulfillment:", order_id, ":", status);
  event.topic = std::string{topics::kFulfillmentStatusChanged};
  event.subject = order_id;
  event.fields = {{"order_id", order_id}, {"status", std::string{status}}};
  return event;
}

}  // namespace

void World::StartOutsideWorld() {
  impl_->fw_bus.Subscribe(std::string{topics::kOrderStatusChanged},
                          std::string{kFulfillmentSubscriber},
                          [this](const Event& e) { return FulfillmentSawStatusChange(e); });
  for (std::string_view topic : {topics::kOrderCancelled, topics::kOrderCompleted}) {
    impl_->fw_bus.Subscribe(
        std::string{topic}, std::string{kLoyaltySubscriber},
        [this](const Event& e) { return LoyaltyAndPromotionsSawOrderEvent(e); });
  }
  for (const WorldChange& change : workload_.changes) {
    kernel_.At(services_, change.at_us, [this, change] { ApplyWorldChange(change); });
  }
}

Task<Status> World::FulfillmentSawStatusChange(const Event& event) {
  // A service that is down takes nothing from the bus; what it missed is delivered again later.
  if (faults_->DownUntil(kFulfillmentWork)) co_return Status{Code::kUnavailable, "fulfilment down"};
  // Fulfillment starts work on an order when it is confirmed, once per order, and stops shipping
  // it once it hears the order was cancelled (what it already shipped stays shipped).
  if (event.Get("to") == "confirmed" && impl_->fulfilling.insert(event.subject).second) {
    kernel_.Spawn(fulfillment_, FulfillOrder(event.subject));
  }
  if (event.Get("to") == "cancelled") impl_->fulfillment.Stop(event.subject);
  co_return Status::Ok();
}

Task<void> World::PublishWithRetry(Event event) {
  DurationUs backoff_us = kPublishRetryUs;
  for (std::int32_t attempt = 0; attempt < kPublishAttemptsMax; ++attempt) {
    if ((co_await impl_->fw_bus.Publish(event)).ok()) co_return;
    co_await kernel_.Sleep(backoff_us);
    backoff_us = std::min(2 * backoff_us, kPublishRetryMaxUs);
  }
  CSIM_CHECK(false, "an outside service could not publish " + event.id);
}

Task<void> World::FulfillOrder(std::string order_id) {
  Rng& rng = impl_->outside_rng;
  co_await kernel_.Sleep(rng.Between(2, 10) * kMinuteUs);
  // The draws come first so that a cancellation never shifts the outside world's stream.
  const DurationUs pick_us = rng.Between(5, 20) * kMinuteUs;
  const DurationUs ship_us = rng.Between(20, 60) * kMinuteUs;
  const DurationUs deliver_us = rng.Between(30, 90) * kMinuteUs;
  if (!co_await FulfillmentGoesOn(order_id)) co_return;
  co_await PublishWithRetry(FulfillmentEvent(order_id, "processing"));
  // By the store's key index (a hash lookup), not a search of its tree of every order.
  const Order* order = order_db_->FindOrder(order_id);
  CSIM_CHECK(order != nullptr, "a fulfilled order is stored");
  if (order->items.size() > 1) {
    co_await kernel_.Sleep(pick_us);
    if (!co_await FulfillmentGoesOn(order_id)) co_return;
    co_await PublishWithRetry(FulfillmentEvent(order_id, "partially_shipped"));
  }
  co_await kernel_.Sleep(ship_us);
  if (!co_await FulfillmentGoesOn(order_id)) co_return;
  // The goods leave now; telling the order service may take a while (the bus may be down).
  impl_->fulfillment.Ship(order_id);
  co_await PublishWithRetry(FulfillmentEvent(order_id, "shipped"));
  co_await kernel_.Sleep(deliver_us);
  // The carrier delivers what left the warehouse, whatever the order service made of it: an order
  // cancelled meanwhile (SIM-44 as written) is delivered too, and cash on delivery collected.
  order = order_db_->FindOrder(order_id);
  CSIM_CHECK(order != nullptr, "a stored order stays stored");
  if (order->payment_method == PaymentMethod::kCashOnDelivery) {
    payment_->RecordCashCollected(order_id, order->total);
  }
  Event delivered;
  delivered.id = "delivered:" + order_id;
  delivered.topic = std::string{topics::kShipmentDelivered};
  delivered.subject = order_id;
  delivered.fields = {{"order_id", order_id}};
  ++counts_.shipments_delivered;
  co_await PublishWithRetry(std::move(delivered));
}

Task<bool> World::FulfillmentGoesOn(const std::string& order_id) {
  fakes::FakeFulfillment& fulfillment = impl_->fulfillment;
  if (fulfillment.Stopped(order_id)) co_return false;
  // A hold the order service placed before cancelling (SIM-44) is waited out. Then fulfilment
  // asks the order service instead of waiting to hear: the cancellation's event may be held up
  // for hours by a bus outage.
  for (std::int32_t wait = 0; wait < kWaitsMax; ++wait) {
    // Down, fulfilment ships nothing (nor answers a call-off) until it is back.
    if (const std::optional<TimeUs> back = faults_->DownUntil(kFulfillmentWork)) {
      co_await kernel_.Sleep(*back - kernel_.now());
      if (fulfillment.Stopped(order_id)) co_return false;
      continue;
    }
    const std::optional<TimeUs> held_until = fulfillment.HeldUntil(order_id);
    if (!held_until) co_return true;
    if (*held_until <= kernel_.now()) {
      const Order* order = order_db_->FindOrder(order_id);
      CSIM_CHECK(order != nullptr, "a held order is stored");
      if (order->cancelled_at.has_value()) fulfillment.Stop(order_id);
      co_return !fulfillment.Stopped(order_id);
    }
    co_await kernel_.Sleep(*held_until - kernel_.now());
    if (fulfillment.Stopped(order_id)) co_return false;
  }
  CSIM_CHECK(false, "fulfilment waited " + std::to_string(kWaitsMax) + " times: " + order_id);
  co_return false;
}

Task<Status> World::LoyaltyAndPromotionsSawOrderEvent(const Event& event) {
  // The loyalty and promotion services are outside the review: they act on the ground truth
  // directly, idempotently by reference, as the real services do on orders.order.cancelled and
  // orders.order.completed.
  auto found = order_db_->Orders().find(event.Get("order_id"));
  if (found == order_db_->Orders().end()) co_return Status::Ok();
  const Order& order = found->second;
  if (event.topic == topics::kOrderCancelled) {
    if (order.points_redeemed > 0) {
      (void)co_await loyalty_->GiveBack(order.customer_id, order.checkout_attempt);
    }
    for (const std::string& code : order.promo_codes) {
      (void)co_await promotions_->ReleaseUsage(code, order.checkout_attempt);
    }
  } else if (event.topic == topics::kOrderCompleted) {
    (void)co_await loyalty_->Earn(order.customer_id, options_.config.order.loyalty_points_per_order,
                                  order.id);
  }
  co_return Status::Ok();
}

Task<void> World::CancelLater(std::string order_id, DurationUs after_us) {
  co_await kernel_.Sleep(after_us);
  ++counts_.cancellations_requested;
  if (impl_->fulfilling.contains(order_id)) ++counts_.cancellations_during_fulfilment;
  for (std::int32_t attempt = 0; attempt < 3; ++attempt) {
    Status cancelled = co_await impl_->checkout_api.CancelOrder(order_id);
    if (cancelled.code() != Code::kUnavailable && cancelled.code() != Code::kTimeout) co_return;
    co_await kernel_.Sleep(kPublishRetryUs);
  }
}

void World::ApplyWorldChange(const WorldChange& change) {
  ++counts_.world_changes;
  switch (change.kind) {
    case WorldChangeKind::kPriceChange:
      impl_->pricing.SetPrice(change.subject, change.value);
      break;
    case WorldChangeKind::kShippingChange:
      impl_->shipping.SetRate(change.subject, fakes::ShippingRate{kBaseShippingFee, change.value});
      break;
    case WorldChangeKind::kPromoExpiry:
      promotions_->ExpireNow(change.subject);
      break;
    case WorldChangeKind::kSellElsewhere:
      (void)warehouse_->SellElsewhere(change.subject, change.detail,
                                      static_cast<std::int32_t>(change.value));
      break;
    case WorldChangeKind::kDelivery:
      warehouse_->ReceiveDelivery(change.subject, change.detail, change.value);
      break;
  }
}

}  // namespace csim::sim
