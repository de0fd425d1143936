#include "sim/world.h"

#include <fmt/format.h>

#include <deque>

#include "core/checkout/checkout_worker.h"
#include "core/outbox_publisher.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_fraud.h"
#include "fakes/fake_locks.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_pricing.h"
#include "fakes/fake_promotions.h"
#include "fakes/fake_shipping.h"
#include "fakes/fake_warehouse.h"
#include "sim/port_wrappers.h"
#include "sim/sim_clock.h"

namespace csim::sim {
namespace {

constexpr DurationUs kBusLatencyUs = 5 * kMillisecondUs;
constexpr DurationUs kBusRedeliveryUs = 1 * kSecondUs;
constexpr DurationUs kWebhookDelayUs = 200 * kMillisecondUs;
constexpr DurationUs kCustomerRetryUs = 5 * kSecondUs;

}  // namespace

// The bus as the services see it: publishing passes a fault point, and the world is told so it
// can schedule the delivery.
class FaultyBus final : public EventBus {
 public:
  FaultyBus(FaultLayer& layer, fakes::FakeEventBus& inner, std::function<void()> on_publish)
      : layer_(layer),
        inner_(inner),
        publish_(layer.Point("bus.publish")),
        on_publish_(std::move(on_publish)) {}
  Task<Status> Publish(const Event& event) override {
    Status status = co_await layer_.Call<Status>(
        publish_, [&] { return inner_.Publish(event); }, event.topic + " " + event.id);
    on_publish_();  // a timeout may hide an accepted event: pump either way
    co_return status;
  }
  void Subscribe(const std::string& topic, const std::string& subscriber,
                 EventHandler handler) override {
    inner_.Subscribe(topic, subscriber, std::move(handler));
  }

 private:
  FaultLayer& layer_;
  fakes::FakeEventBus& inner_;
  FaultPoint* publish_;
  std::function<void()> on_publish_;
};

struct World::Impl {
  Impl(World& world)
      : clock(world.kernel_),
        fw_pricing(*world.faults_, pricing),
        fw_shipping(*world.faults_, shipping),
        fw_fraud(*world.faults_, fraud),
        fw_payment(*world.faults_, *world.payment_),
        fw_warehouse(*world.faults_, *world.warehouse_),
        fw_promotions(*world.faults_, *world.promotions_),
        fw_loyalty(*world.faults_, *world.loyalty_),
        fw_locks(*world.faults_, *world.locks_),
        fw_checkout_db(*world.faults_, *world.checkout_db_),
        fw_order_db(*world.faults_, *world.order_db_),
        fw_bus(*world.faults_, *world.bus_, [&world] { world.PumpBusSoon(); }),
        order_service(OrderPorts{clock, fw_order_db, fw_warehouse, fw_payment},
                      world.options_.config, world.options_.profile),
        fw_orders(*world.faults_, order_service),
        checkout_ports{clock,      fw_checkout_db, fw_pricing,   fw_shipping,
                       fw_fraud,   fw_payment,     fw_warehouse, fw_promotions,
                       fw_loyalty, fw_locks,       fw_orders,    *world.alerts_},
        checkout_service(checkout_ports, world.options_.config, world.options_.profile),
        checkout_worker(checkout_ports, world.options_.config, world.options_.profile) {}

  SimClock clock;
  fakes::FakePricing pricing;
  fakes::FakeShipping shipping{fakes::ShippingRate{15'000 * kVnd, 2'000 * kVnd}};
  fakes::FakeFraud fraud;
  FaultyPricing fw_pricing;
  FaultyShipping fw_shipping;
  FaultyFraud fw_fraud;
  FaultyPayment fw_payment;
  FaultyWarehouse fw_warehouse;
  FaultyPromotions fw_promotions;
  FaultyLoyalty fw_loyalty;
  FaultyLocks fw_locks;
  FaultyCheckoutStore fw_checkout_db;
  FaultyOrderStore fw_order_db;
  FaultyBus fw_bus;
  OrderService order_service;
  FaultyOrderClient fw_orders;
  CheckoutPorts checkout_ports;
  CheckoutService checkout_service;
  CheckoutWorker checkout_worker;
  bool bus_pump_scheduled = false;
  bool webhook_pump_scheduled = false;
  std::deque<Event> webhooks;  // decided by the gateway, not yet accepted by the bus
  NameId customer_action = 0;
  NameId deliver_action = 0;
};

World::World(WorldOptions options, Workload workload)
    : options_(std::move(options)),
      workload_(std::move(workload)),
      kernel_(options_.limits),
      rng_(options_.seed) {
  const std::string problem = ValidateWorkload(workload_);
  CSIM_CHECK(problem.empty(), "invalid workload: " + problem);
  faults_ = std::make_unique<FaultLayer>(kernel_, rng_.Fork(0x4641554C), options_.faults);
  // The fakes read the kernel's time through a clock of their own, built before them.
  fake_clock_ = std::make_unique<SimClock>(kernel_);
  warehouse_ = std::make_unique<fakes::FakeWarehouse>(*fake_clock_);
  payment_ = std::make_unique<fakes::FakePaymentGateway>(*fake_clock_);
  checkout_db_ = std::make_unique<fakes::FakeCheckoutStore>(*fake_clock_);
  order_db_ = std::make_unique<fakes::FakeOrderStore>(*fake_clock_);
  promotions_ = std::make_unique<fakes::FakePromotions>(*fake_clock_);
  loyalty_ = std::make_unique<fakes::FakeLoyalty>();
  locks_ = std::make_unique<fakes::FakeLockStore>(*fake_clock_);
  bus_ = std::make_unique<fakes::FakeEventBus>(*fake_clock_);
  alerts_ = std::make_unique<fakes::FakeAlerts>();
  impl_ = std::make_unique<Impl>(*this);

  for (const StockLine& line : workload_.stock) {
    warehouse_->SetStock(line.sku, line.warehouse_id, line.on_hand);
  }
  for (const PriceLine& line : workload_.prices) impl_->pricing.SetPrice(line.sku, line.unit_price);

  checkout_api_ = kernel_.AddProcess("checkout-api");
  checkout_worker_ = kernel_.AddProcess("checkout-worker");
  order_worker_ = kernel_.AddProcess("order-worker");
  gateway_ = kernel_.AddProcess("payment-gateway");
  warehouse_process_ = kernel_.AddProcess("warehouse");
  bus_process_ = kernel_.AddProcess("bus");
  impl_->customer_action = kernel_.trace().Intern("customer.checkout");
  impl_->deliver_action = kernel_.trace().Intern("bus.deliver");

  impl_->order_service.RegisterConsumers(impl_->fw_bus);
  impl_->order_service.RegisterDeprecatedHttpHandlers(impl_->fw_bus);
  kernel_.SetStartFunction(checkout_worker_, [this] { StartCheckoutWorker(); });
  kernel_.SetStartFunction(order_worker_, [this] { StartOrderWorker(); });
}

World::~World() = default;

void World::StartCheckoutWorker() {
  const CheckoutConfig& c = options_.config.checkout;
  OutboxPolicy policy{c.outbox_batch_size, c.outbox_max_retries,
                      c.outbox_interval_ms * kMillisecondUs,
                      options_.profile.Fixed(FindingId("P1-CC-03"))};
  kernel_.Spawn(checkout_worker_,
                OutboxLoop(impl_->fw_checkout_db, policy, c.outbox_interval_ms * kMillisecondUs));
  CheckoutWorker& worker = impl_->checkout_worker;
  kernel_.Spawn(checkout_worker_, Every(c.cart_cleanup_interval_seconds * kSecondUs,
                                        [&worker] { return worker.RunCartCleanupOnce(); }));
  kernel_.Spawn(checkout_worker_, Every(c.failed_compensation_interval_seconds * kSecondUs,
                                        [&worker] { return worker.RunFailedCompensationsOnce(); }));
}

void World::StartOrderWorker() {
  const OrderConfig& c = options_.config.order;
  OutboxPolicy policy{c.outbox_batch_size, c.outbox_max_retries,
                      c.outbox_retry_backoff_ms * kMillisecondUs,
                      options_.profile.Fixed(FindingId("P1-CC-03"))};
  kernel_.Spawn(order_worker_,
                OutboxLoop(impl_->fw_order_db, policy, c.outbox_interval_ms * kMillisecondUs));
  OrderService& orders = impl_->order_service;
  kernel_.Spawn(order_worker_, Every(c.order_cleanup_interval_minutes * kMinuteUs,
                                     [&orders] { return orders.RunOrderCleanupOnce(); }));
  kernel_.Spawn(order_worker_, Every(c.reservation_cleanup_interval_minutes * kMinuteUs,
                                     [&orders] { return orders.RunReservationCleanupOnce(); }));
  kernel_.Spawn(order_worker_, Every(c.dlq_retry_interval_seconds * kSecondUs,
                                     [&orders] { return orders.RunDlqRetryOnce(); }));
  kernel_.Spawn(order_worker_, Every(c.cod_auto_confirm_interval_minutes * kMinuteUs,
                                     [&orders] { return orders.RunCodAutoConfirmOnce(); }));
}

Task<void> World::Every(DurationUs period_us, std::function<Task<std::int32_t>()> pass) {
  CSIM_CHECK(period_us > 0);
  for (;;) {  // bounded by the kernel's dispatch budget and the run's end time
    co_await kernel_.Sleep(period_us);
    (void)co_await pass();
  }
}

Task<void> World::OutboxLoop(OutboxTable& table, OutboxPolicy policy, DurationUs interval_us) {
  CSIM_CHECK(interval_us > 0);
  for (;;) {  // bounded by the kernel's dispatch budget and the run's end time
    (void)co_await PublishDueOutbox(table, impl_->fw_bus, impl_->clock, *alerts_, policy);
    co_await kernel_.Sleep(interval_us);
  }
}

void World::PumpBusSoon() {
  if (impl_->bus_pump_scheduled) return;
  impl_->bus_pump_scheduled = true;
  kernel_.At(bus_process_, kernel_.now() + kBusLatencyUs, [this] {
    impl_->bus_pump_scheduled = false;
    PumpBus();
  });
}

void World::PumpBus() {
  for (std::size_t n = 0; n < fakes::FakeEventBus::kQueuedDeliveriesMax; ++n) {
    auto delivery = bus_->NextDue(kernel_.now());
    if (!delivery) break;
    ProcessId target =
        delivery->subscriber == kOrderWorkerSubscriber ? order_worker_ : bus_process_;
    if (!kernel_.IsUp(target)) {
      bus_->Nack(delivery->id, kernel_.now() + kBusRedeliveryUs);
      continue;
    }
    kernel_.Spawn(target, Deliver(delivery->id, bus_->Handler(*delivery), delivery->event));
  }
  if (auto next = bus_->NextDueTime()) {
    kernel_.At(bus_process_, std::max(*next, kernel_.now()), [this] { PumpBus(); });
  }
}

Task<void> World::Deliver(std::int64_t delivery_id, EventHandler handler, Event event) {
  ++counts_.deliveries;
  Status handled = co_await handler(event);
  kernel_.Record(impl_->deliver_action, kernel_.trace().Intern(CodeName(handled.code())),
                 event.topic + " " + event.id);
  if (handled.ok()) {
    bus_->Ack(delivery_id);
  } else {
    bus_->Nack(delivery_id, kernel_.now() + kBusRedeliveryUs);
    PumpBusSoon();
  }
}

void World::PumpWebhooks() {
  // Runs in the payment-gateway process: the gateway delivers each webhook until the bus accepts
  // it (a real gateway retries unacknowledged webhooks), in the order it decided them.
  for (Event& webhook : payment_->TakeWebhooks()) impl_->webhooks.push_back(std::move(webhook));
  if (impl_->webhooks.empty() || impl_->webhook_pump_scheduled) return;
  impl_->webhook_pump_scheduled = true;
  auto publish_all = [](World* world) -> Task<void> {
    auto& queue = world->impl_->webhooks;
    while (!queue.empty()) {
      Status accepted = co_await world->impl_->fw_bus.Publish(queue.front());
      if (!accepted.ok()) break;  // kept for the next pump
      queue.pop_front();
    }
    world->impl_->webhook_pump_scheduled = false;
  };
  kernel_.Spawn(gateway_, publish_all(this));
}

Task<void> World::Customer(const CustomerScript& script, std::size_t index) {
  co_await kernel_.SleepUntil(script.start_us);
  CheckoutService& checkout = impl_->checkout_service;
  const std::string cart_id = fmt::format("cart-{}", index + 1);
  const std::string session_id = fmt::format("sess-{}", index + 1);
  auto record = [&](std::string_view outcome, const std::string& detail) {
    kernel_.Record(impl_->customer_action, kernel_.trace().Intern(outcome),
                   script.customer_id + " " + detail);
  };
  if (!(co_await checkout.CreateCart(cart_id, session_id, script.customer_id, script.guest)).ok()) {
    record("cart_failed", cart_id);
    co_return;
  }
  for (const CartItem& item : script.items) (void)co_await checkout.AddItem(cart_id, item);
  CheckoutChoice choice;
  choice.payment_method = script.payment_method;
  ++counts_.checkouts_started;
  for (std::int32_t attempt = 0; attempt < script.confirm_attempts; ++attempt) {
    auto preview = co_await checkout.PreviewCheckout(cart_id, choice);
    if (!preview.ok()) {
      record("preview_failed", preview.status().ToString());
      co_await kernel_.Sleep(kCustomerRetryUs);
      continue;
    }
    co_await kernel_.Sleep(script.think_us);
    ConfirmRequest confirm{cart_id, preview->cart_version, choice, preview->totals};
    auto result = co_await checkout.ConfirmCheckout(confirm);
    if (result.ok()) {
      ++counts_.orders_placed;
      record("order_placed", result->order_id);
      co_return;
    }
    record("confirm_failed", result.status().ToString());
    co_await kernel_.Sleep(kCustomerRetryUs);
  }
  ++counts_.checkouts_failed;
}

void World::SweepExpired() {
  // The warehouse's own TTL sweep: lapsed reservations become reservation_expired events.
  auto publish_expired = [](World* world) -> Task<void> {
    for (const auto& reservation : world->warehouse_->TakeExpired(world->kernel_.now())) {
      Event event;
      event.id = "expired:" + reservation.id;
      event.topic = "warehouse.inventory.reservation_expired";
      event.subject = reservation.id;
      event.fields = {{"reservation_id", reservation.id}, {"reference", reservation.reference}};
      (void)co_await world->impl_->fw_bus.Publish(event);
    }
  };
  kernel_.Spawn(warehouse_process_, publish_expired(this));
}

void World::Run(const std::function<void()>& after_event) {
  CSIM_CHECK(!settled_, "a world runs once");
  StartCheckoutWorker();
  StartOrderWorker();
  TimeUs last_start = 0;
  for (std::size_t i = 0; i < workload_.customers.size(); ++i) {
    last_start = std::max(last_start, workload_.customers[i].start_us);
    kernel_.Spawn(checkout_api_, Customer(workload_.customers[i], i));
  }
  // Webhooks and TTL sweeps run on the gateway's and warehouse's own schedules.
  auto every = [](World* world, DurationUs period_us, void (World::*pump)()) -> Task<void> {
    for (;;) {
      co_await world->kernel_.Sleep(period_us);
      (world->*pump)();
    }
  };
  kernel_.Spawn(gateway_, every(this, kWebhookDelayUs, &World::PumpWebhooks));
  kernel_.Spawn(warehouse_process_, every(this, kMinuteUs, &World::SweepExpired));

  const TimeUs end_us = last_start + kHourUs + options_.drain_us;
  const TimeUs faults_end_us = last_start + kHourUs;
  std::size_t seen = kernel_.trace().size();
  while (kernel_.RunOne(end_us)) {
    if (kernel_.now() >= faults_end_us) faults_->Quiesce();
    if (after_event && kernel_.trace().size() != seen) {
      seen = kernel_.trace().size();
      after_event();
    }
  }
  kernel_.RunUntil(end_us);
  settled_ = true;
}

}  // namespace csim::sim
