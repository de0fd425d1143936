#include "sim/world.h"

#include "sim/world_impl.h"

#include <fmt/format.h>

#include "core/topics.h"

namespace csim::sim {
namespace {

// When a webhook decided now reaches the bus (see kCustomerApprovalPpm): one or two draws per
// webhook, whatever the profile.
DurationUs WebhookDelay(Rng& rng, const std::string& topic) {
  const bool payment_outcome =
      topic == topics::kPaymentConfirmed || topic == topics::kPaymentFailed;
  if (payment_outcome && rng.ChancePpm(kCustomerApprovalPpm)) {
    return rng.Between(kCustomerApprovalMinUs, kCustomerApprovalMaxUs);
  }
  if (rng.ChancePpm(kLateWebhookPpm)) return rng.Between(kMinuteUs, kLateWebhookMaxUs);
  return 0;
}

}  // namespace

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
  for (const PromoLine& line : workload_.promos) {
    fakes::Promotion promo;
    promo.code = line.code;
    promo.discount = line.discount;
    promo.max_uses = line.max_uses;
    promo.single_use = line.single_use;
    promotions_->AddPromotion(promo);
  }
  for (const CustomerScript& customer : workload_.customers) {
    if (customer.points_balance > 0)
      loyalty_->SetBalance(customer.customer_id, customer.points_balance);
    // One draw per customer, card or not, so the stream does not depend on the payment methods.
    const bool never_approves = impl_->payment_rng.ChancePpm(kNeverApprovesPpm);
    if (never_approves && customer.payment_method == PaymentMethod::kCard) {
      payment_->AwaitCustomerForever(customer.customer_id);
    }
  }

  checkout_api_ = kernel_.AddProcess("checkout-api");
  checkout_worker_ = kernel_.AddProcess("checkout-worker");
  order_worker_ = kernel_.AddProcess("order-worker");
  gateway_ = kernel_.AddProcess("payment-gateway");
  warehouse_process_ = kernel_.AddProcess("warehouse");
  bus_process_ = kernel_.AddProcess("bus");
  fulfillment_ = kernel_.AddProcess("fulfillment");
  services_ = kernel_.AddProcess("outside-services");
  impl_->customer_action = kernel_.trace().Intern("customer.checkout");
  impl_->deliver_action = kernel_.trace().Intern("bus.deliver");

  impl_->order_service.RegisterConsumers(impl_->fw_bus);
  if (options_.deprecated_http_subscription) {
    impl_->order_service.RegisterDeprecatedHttpHandlers(impl_->fw_bus);  // what it does is core's
  }
  kernel_.SetStartFunction(checkout_worker_, [this] { StartCheckoutWorker(); });
  kernel_.SetStartFunction(order_worker_, [this] { StartOrderWorker(); });
}

World::~World() = default;

void World::StartCheckoutWorker() {
  // The jobs, their periods and which of them exist are core's (from the config and profile).
  for (ScheduledJob& job : impl_->checkout_worker.Jobs(impl_->fw_bus)) {
    kernel_.Spawn(checkout_worker_, RunJob(std::move(job)));
  }
}

void World::StartOrderWorker() {
  for (ScheduledJob& job : impl_->order_service.Jobs(impl_->fw_bus, *alerts_)) {
    kernel_.Spawn(order_worker_, RunJob(std::move(job)));
  }
}

Task<void> World::RunJob(ScheduledJob job) {
  CSIM_CHECK(job.period_us > 0, "a scheduled job has a period");
  CSIM_CHECK(static_cast<bool>(job.pass), "a scheduled job has a pass");
  if (!job.run_at_start) co_await kernel_.Sleep(job.period_us);
  for (;;) {  // bounded by the kernel's dispatch budget and the run's end time
    const std::int32_t acted_on = co_await job.pass();
    CSIM_CHECK(acted_on >= 0, "a pass counts what it acted on");
    co_await kernel_.Sleep(job.period_us);
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
  kernel_.Record(impl_->deliver_action, faults_->OutcomeOf(handled.code()),
                 event.topic + " " + event.id);
  if (handled.ok()) {
    bus_->Ack(delivery_id);
  } else {
    bus_->Nack(delivery_id, kernel_.now() + kBusRedeliveryUs);
    PumpBusSoon();
  }
}

void World::PumpWebhooks() {
  // Runs in the payment-gateway process: the gateway delivers each webhook, once due, until the
  // bus accepts it (a real gateway retries unacknowledged webhooks), in the order they fall due.
  const TimeUs now = kernel_.now();
  auto& queue = impl_->webhooks;
  for (Event& webhook : payment_->TakeWebhooks()) {
    const TimeUs due = now + WebhookDelay(impl_->payment_rng, webhook.topic);
    const bool queued =
        queue.emplace(std::pair{due, ++impl_->webhooks_taken}, std::move(webhook)).second;
    CSIM_CHECK(queued, "webhooks are numbered once");
  }
  CSIM_CHECK(queue.size() <= kWebhooksWaitingMax, "kWebhooksWaitingMax");
  if (queue.empty() || impl_->webhook_pump_scheduled || queue.begin()->first.first > now) return;
  impl_->webhook_pump_scheduled = true;
  auto publish_all = [](World* world) -> Task<void> {
    auto& waiting = world->impl_->webhooks;
    while (!waiting.empty() && waiting.begin()->first.first <= world->kernel_.now()) {
      Status accepted = co_await world->impl_->fw_bus.Publish(waiting.begin()->second);
      if (!accepted.ok()) break;  // kept for the next pump
      waiting.erase(waiting.begin());
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
  choice.promo_codes = script.promo_codes;
  choice.points_to_redeem = script.points_to_redeem;
  ++counts_.checkouts_started;
  for (std::int32_t attempt = 0; attempt < script.confirm_attempts; ++attempt) {
    auto preview = co_await checkout.PreviewCheckout(cart_id, choice);
    if (!preview.ok()) {
      record("preview_failed", preview.status().ToString());
      // A customer told a promotion or their points cannot be used tries again without them.
      if (preview.code() == Code::kFailedPrecondition || preview.code() == Code::kInsufficient) {
        choice.promo_codes.clear();
        choice.points_to_redeem = 0;
      }
      co_await kernel_.Sleep(kCustomerRetryUs);
      continue;
    }
    co_await kernel_.Sleep(script.think_us);
    ConfirmRequest confirm{cart_id, preview->cart_version, choice, preview->totals};
    confirmed_totals_[session_id] = preview->totals.total;
    auto result = co_await checkout.ConfirmCheckout(confirm);
    if (result.ok()) {
      ++counts_.orders_placed;
      record("order_placed", result->order_id);
      if (script.cancel_after_us > 0) {
        kernel_.Spawn(checkout_api_, CancelLater(result->order_id, script.cancel_after_us));
      }
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
  StartOutsideWorld();
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
