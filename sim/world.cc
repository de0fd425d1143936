#include "sim/world.h"

#include "sim/world_impl.h"

#include <limits>

#include <fmt/format.h>

#include "core/outbox_publisher.h"
#include "core/topics.h"
#include "sim/detail_text.h"

namespace csim::sim {
namespace {

// When a webhook decided now reaches the bus (see Slowness): one or two draws per webhook,
// whatever the profile.
DurationUs WebhookDelay(Rng& rng, const Slowness& slowness, const std::string& topic) {
  const bool payment_outcome =
      topic == topics::kPaymentConfirmed || topic == topics::kPaymentFailed;
  if (payment_outcome && rng.ChancePpm(slowness.customer_approval_ppm)) {
    return rng.Between(kCustomerApprovalMinUs, kCustomerApprovalMaxUs);
  }
  if (rng.ChancePpm(slowness.late_webhook_ppm)) return rng.Between(kMinuteUs, kLateWebhookMaxUs);
  return 0;
}

// Mails `code` with chance share_ppm to each customer who has no code yet. The draw is made for
// every customer, with a code or not, so which customers are drawn depends only on `rng` (a
// stream of the mailing's own), not on the codes mailed before.
void MailCode(const std::string& code, std::uint32_t share_ppm, Rng rng, Workload& workload) {
  for (CustomerScript& customer : workload.customers) {
    if (rng.ChancePpm(share_ppm) && customer.promo_codes.empty()) {
      customer.promo_codes.push_back(code);
    }
  }
}

// A swarm seed's promotion campaign (FaultPlan::campaign): the workload's first promotion gets the
// campaign's budget of uses, and each customer without a code uses it with the campaign's chance,
// one draw per customer from a stream of its own (the world's other draws stay as they were).
void ApplyCampaign(const PromoCampaign& campaign, std::uint64_t seed, Workload& workload) {
  if (campaign.uses <= 0 || workload.promos.empty()) return;
  PromoLine& promo = workload.promos.front();
  promo.max_uses = campaign.uses;
  promo.single_use = false;  // a mailed code, not a coupon
  MailCode(promo.code, campaign.share_ppm, Rng(seed).Fork(0x43414D50), workload);  // "CAMP"
  CSIM_CHECK(promo.max_uses == campaign.uses, "the campaign's budget");
}

// A swarm seed's flash sale (FaultPlan::sale): the workload's second promotion loses its budget of
// uses and ends at the sale's end, a world change like any promotion's expiry, and each customer
// still without a code uses it with the sale's chance, from a stream of its own.
void ApplyFlashSale(const FlashSale& sale, std::uint64_t seed, Workload& workload) {
  if (sale.ends_at_us <= 0 || workload.promos.size() < 2) return;
  PromoLine& promo = workload.promos[1];
  promo.max_uses = 0;  // unlimited: a sale ends by time, not by uses
  promo.single_use = false;
  MailCode(promo.code, sale.share_ppm, Rng(seed).Fork(0x53414C45), workload);  // "SALE"
  WorldChange end;
  end.at_us = sale.ends_at_us;
  end.kind = WorldChangeKind::kPromoExpiry;
  end.subject = promo.code;
  workload.changes.push_back(std::move(end));
}

}  // namespace

World::World(WorldOptions options, Workload workload)
    : options_(std::move(options)),
      workload_(std::move(workload)),
      kernel_(options_.limits),
      rng_(options_.seed) {
  const std::string problem = ValidateWorkload(workload_);
  CSIM_CHECK(problem.empty(), "invalid workload: " + problem);
  options_.faults = options_.faults.ForSeed(options_.seed);
  ApplyCampaign(options_.faults.campaign, options_.seed, workload_);
  ApplyFlashSale(options_.faults.sale, options_.seed, workload_);
  if (options_.faults.campaign.uses > 0 || options_.faults.sale.ends_at_us > 0) {
    CSIM_CHECK(ValidateWorkload(workload_).empty(), "a campaign or sale leaves a valid workload");
  }
  if (options_.faults.deployment.cron_batch_size > 0) {
    options_.config.order.cron_batch_size = options_.faults.deployment.cron_batch_size;
  }
  // Unlike the batch, the drawn TTL yields to a config that has a TTL of its own: the hunts that
  // need one TTL on every seed (P1-CC-04's, SIM-13's, mutant M27's) set it through the config.
  // The plan then shows no drawn TTL, so a report names the TTL the run had.
  std::int32_t& drawn_ttl = options_.faults.deployment.reservation_ttl_minutes;
  if (drawn_ttl > 0) {
    const bool config_has_own_ttl = options_.config_sets_reservation_ttl ||
                                    options_.config.order.reservation_timeout_minutes !=
                                        DefaultConfig().order.reservation_timeout_minutes;
    if (config_has_own_ttl) {
      drawn_ttl = 0;
    } else {
      options_.config.order.reservation_timeout_minutes = drawn_ttl;
    }
  }
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
  checkout_api_ = kernel_.AddProcess("checkout-api");
  checkout_worker_ = kernel_.AddProcess("checkout-worker");
  order_worker_ = kernel_.AddProcess("order-worker");
  gateway_ = kernel_.AddProcess("payment-gateway");
  warehouse_process_ = kernel_.AddProcess("warehouse");
  bus_process_ = kernel_.AddProcess("bus");
  fulfillment_ = kernel_.AddProcess("fulfillment");
  services_ = kernel_.AddProcess("outside-services");
  customers_ = kernel_.AddProcess("customers");
  supervisor_ = kernel_.AddProcess("supervisor");
  // Added last, so every other process keeps its id: the monitors' own processes (SIM-38 fixed),
  // which only read through observer points and so never crash, pause or crash-loop.
  checkout_monitor_ = kernel_.AddProcess("checkout-monitor");
  order_monitor_ = kernel_.AddProcess("order-monitor");
  AddReplicas();
  // Last, so that every process before them keeps its id: FailedCompensationWorker's own
  // processes (SIM-40 fixed; they have no job as written).
  AddReplicasOf(compensation_worker_replicas_, kernel_.AddProcess("compensation-worker"),
                options_.faults.deployment.checkout_worker_replicas);
  // After those, for the same reason: the order service's stock repairs' own processes (SIM-42
  // fixed; they have no job as written).
  AddReplicasOf(order_repair_worker_replicas_, kernel_.AddProcess("order-repair-worker"),
                options_.faults.deployment.order_worker_replicas);
  impl_ = std::make_unique<Impl>(*this);
  faults_->SetCrashPolicy([this](ProcessId p) { return Crashable(p); },
                          [this](ProcessId p) { OnCrash(p); });

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
    const bool never_approves =
        impl_->payment_rng.ChancePpm(options_.faults.slowness.never_approves_ppm);
    if (never_approves && customer.payment_method == PaymentMethod::kCard) {
      payment_->AwaitCustomerForever(customer.customer_id);
    }
  }

  impl_->customer_action = kernel_.trace().Intern("customer.checkout");
  impl_->deliver_action = kernel_.trace().Intern("bus.deliver");
  impl_->deliver_held = kernel_.trace().Intern("fault.window");

  impl_->order_service.RegisterConsumers(impl_->fw_bus);
  if (options_.deprecated_http_subscription) {
    impl_->order_service.RegisterDeprecatedHttpHandlers(impl_->fw_bus);  // what it does is core's
  }
  // Not a structured binding: clang++ 14 cannot capture one.
  for (const auto& worker : Workers()) {
    const StartWorker start = worker.second;
    for (std::size_t replica = 0; replica < worker.first->size(); ++replica) {
      kernel_.SetStartFunction((*worker.first)[replica],
                               [this, start, replica] { (this->*start)(replica); });
    }
  }
}

const std::map<std::string, TimeUs>& World::fulfilment_shipped() const {
  return impl_->fulfillment.Shipped();
}

std::array<std::pair<const std::vector<ProcessId>*, World::StartWorker>, 4> World::Workers() const {
  return {{{&checkout_worker_replicas_, &World::StartCheckoutWorker},
           {&order_worker_replicas_, &World::StartOrderWorker},
           {&compensation_worker_replicas_, &World::StartCompensationWorker},
           {&order_repair_worker_replicas_, &World::StartOrderRepairWorker}}};
}

World::~World() = default;

void World::AddReplicasOf(std::vector<ProcessId>& replicas, ProcessId first, std::int32_t count) {
  CSIM_CHECK(count >= 1 && count <= kReplicasMax, "1 to kReplicasMax replicas");
  replicas = {first};
  for (std::int32_t n = 2; n <= count; ++n) {
    replicas.push_back(kernel_.AddProcess(fmt::format("{}-{}", kernel_.ProcessName(first), n)));
  }
  CSIM_CHECK(replicas.size() == static_cast<std::size_t>(count));
}

void World::AddReplicas() {
  const Deployment& deployment = options_.faults.deployment;
  AddReplicasOf(api_replicas_, checkout_api_, deployment.checkout_api_replicas);
  AddReplicasOf(checkout_worker_replicas_, checkout_worker_, deployment.checkout_worker_replicas);
  AddReplicasOf(order_worker_replicas_, order_worker_, deployment.order_worker_replicas);
}

void World::StartJobs(Schedule jobs, std::string_view service, ProcessId process,
                      std::size_t replica,
                      const std::function<IdleQuestions(const ScheduledJob&)>& idle_poll) {
  for (ScheduledJob& job : jobs) {
    CSIM_CHECK(job.period_us > 0, "a scheduled job has a period");
    job_services_[std::string{job.name}].emplace(service);
    // A second replica was started at some other moment: its passes fall anywhere in the period.
    const DurationUs offset_us = replica == 0 ? 0
                                              : static_cast<DurationUs>(CronRng(job).Below(
                                                    static_cast<std::uint64_t>(job.period_us)));
    IdleQuestions idle = idle_poll(job);
    kernel_.Spawn(process,
                  RunJob(std::string{service}, std::make_shared<const ScheduledJob>(std::move(job)),
                         process, offset_us, std::move(idle)));
  }
}

template <typename Store>
World::IdleQuestions World::IdlePoll(const ScheduledJob& job, const Store& store) {
  // Both read only outbox rows that are due (the DLQ retry also those awaiting a redrive), and do
  // nothing else when there are none. Polls draw no fault coins, so skipping them changes no draw
  // of the run.
  if (job.name == "OutboxWorker") {
    return {[this, &store] { return !store.HasDueOutbox(kernel_.now()); },
            [&store] { return store.OutboxIdleUntil(); }};
  }
  // SIM-37's monitor reads due rows and alerts those written kOutboxLagAlertUs ago or more: while
  // the oldest pending row is younger, it finds none. (It may find none later too, every late row
  // alerted already: then it runs, as a real pass would.)
  if (job.name == "OutboxLagMonitor") {
    return {[this, &store] {
              return kernel_.now() - store.OldestPendingOutboxAt() < kOutboxLagAlertUs;
            },
            [&store] {
              const TimeUs oldest = store.OldestPendingOutboxAt();
              return oldest > std::numeric_limits<TimeUs>::max() - kOutboxLagAlertUs
                         ? oldest
                         : oldest + kOutboxLagAlertUs;
            }};
  }
  if (job.name != "DLQRetryWorker") return {};
  return {[this, &store] {
            return !store.HasDueOutbox(kernel_.now()) && !store.HasDueRedrive(kernel_.now());
          },
          [&store] { return std::min(store.OutboxIdleUntil(), store.RedriveIdleUntil()); }};
}

void World::StartCheckoutWorker(std::size_t replica) {
  // The jobs, their periods and which of them exist are core's (from the config and profile).
  StartJobs(impl_->checkout_worker.Jobs(impl_->fw_bus), "checkout-worker",
            checkout_worker_replicas_.at(replica), replica,
            [this](const ScheduledJob& job) { return IdlePoll(job, *checkout_db_); });
}

void World::StartCompensationWorker(std::size_t replica) {
  StartJobs(impl_->checkout_worker.CompensationJobs(), "compensation-worker",
            compensation_worker_replicas_.at(replica), replica,
            [](const ScheduledJob&) { return IdleQuestions{}; });
}

void World::StartOrderWorker(std::size_t replica) {
  StartJobs(impl_->order_service.Jobs(impl_->fw_bus, *alerts_), "order-worker",
            order_worker_replicas_.at(replica), replica,
            [this](const ScheduledJob& job) { return IdlePoll(job, *order_db_); });
}

void World::StartOrderRepairWorker(std::size_t replica) {
  StartJobs(impl_->order_service.RepairJobs(), "order-repair-worker",
            order_repair_worker_replicas_.at(replica), replica,
            [this](const ScheduledJob& job) { return IdlePoll(job, *order_db_); });
}

Rng& World::CronRng(const ScheduledJob& job) {
  return IsMonitor(job) ? impl_->monitor_cron_rng : impl_->cron_rng;
}

DurationUs World::LatePass(const ScheduledJob& job) {
  const Deployment& deployment = options_.faults.deployment;
  Rng& rng = CronRng(job);
  // No draw when the deployment has no late passes: the stream stays as it was.
  if (deployment.late_pass_ppm == 0 || !rng.ChancePpm(deployment.late_pass_ppm)) return 0;
  return rng.Between(1, std::max<DurationUs>(1, deployment.late_pass_max_us));
}

Task<void> World::RunPass(std::string service, std::shared_ptr<const ScheduledJob> job,
                          DurationUs late_us, std::shared_ptr<std::int32_t> loop_in_flight,
                          std::function<bool()> finds_nothing) {
  // The guard's destructor runs when the pass ends or when a crash (or the world's end) destroys
  // this frame, so it holds its counters itself rather than reaching into the world.
  struct InFlight {
    std::shared_ptr<std::int32_t> job;   // passes of the job in progress, every replica
    std::shared_ptr<std::int32_t> loop;  // passes one fixed-rate loop owes or runs
    ~InFlight() {
      if (job) --*job;
      if (loop) --*loop;
    }
  };
  InFlight guard{nullptr, loop_in_flight};
  if (loop_in_flight) ++*loop_in_flight;
  if (late_us > 0) {
    ++cron_.passes_late;
    co_await kernel_.Sleep(late_us);
  }
  faults_->RecordPassStart(kernel_.current());
  if (finds_nothing && finds_nothing()) co_return;  // an idle poll: not run, not counted
  auto& in_flight = passes_in_flight_[DetailText(service, " ", job->name)];
  if (!in_flight) in_flight = std::make_shared<std::int32_t>(0);
  ++cron_.passes_started;
  if (*in_flight > 0) ++cron_.passes_overlapped;
  guard.job = in_flight;
  cron_.in_flight_max = std::max(cron_.in_flight_max, ++*guard.job);
  const std::int32_t acted_on = co_await job->pass();
  CSIM_CHECK(acted_on >= 0, "a pass counts what it acted on");
  CSIM_CHECK(*guard.job >= 1, "this pass is in flight");
}

Task<void> World::RunJob(std::string service, std::shared_ptr<const ScheduledJob> job,
                         ProcessId process, DurationUs offset_us, IdleQuestions idle) {
  CSIM_CHECK(job->period_us > 0, "a scheduled job has a period");
  CSIM_CHECK(static_cast<bool>(job->pass), "a scheduled job has a pass");
  const bool fixed_rate = options_.faults.deployment.fixed_rate_passes;
  if (offset_us > 0) co_await kernel_.Sleep(offset_us);
  if (!job->run_at_start) co_await kernel_.Sleep(job->period_us);
  auto loop_in_flight = std::make_shared<std::int32_t>(0);
  const std::function<bool()>& finds_nothing = idle.finds_nothing;
  // Without late passes (no draw per tick) and fixed rates, a tick whose poll finds nothing does
  // nothing but sleep again: the kernel asks the poll itself and leaves this frame asleep.
  const bool polls_in_kernel =
      !fixed_rate && options_.faults.deployment.late_pass_ppm == 0 && finds_nothing;
  for (;;) {  // bounded by the kernel's dispatch budget and the run's end time
    const DurationUs late_us = LatePass(*job);
    if (!fixed_rate && late_us == 0 && finds_nothing && finds_nothing()) {
      // The idle poll RunPass would skip at once, asked here at the same moment: no pass frame is
      // built for it (a third of a small world's cost was these frames during the drain).
    } else if (!fixed_rate) {
      co_await RunPass(service, job, late_us, nullptr, finds_nothing);  // the next pass waits
    } else if (*loop_in_flight < kPassesInFlightMax) {
      kernel_.Spawn(process, RunPass(service, job, late_us, loop_in_flight, finds_nothing));
    } else {
      ++cron_.ticks_skipped;
    }
    if (polls_in_kernel) {
      co_await kernel_.SleepPolling(job->period_us, &idle.finds_nothing,
                                    idle.idle_until ? &idle.idle_until : nullptr);
    } else {
      co_await kernel_.Sleep(job->period_us);
    }
  }
}

void World::PumpBusSoon() {
  PumpBusAt(kernel_.now() + kBusLatencyUs);
}

void World::PumpBusAt(TimeUs at_us) {
  // A pump reschedules itself at the bus's next due delivery, so a second pending pump would only
  // fire for nothing; they used to pile up, one more per publish while anything was queued, and
  // the world's cost grew with the square of its traffic. An earlier request supersedes the
  // pending one, whose timer then finds its token stale.
  // While the bus is down for an outage (PumpBus), every refused publish asks for a pump that could
  // only find it down again: the pump waits for the bus instead.
  at_us = std::max(at_us, impl_->bus_held_until);
  if (impl_->bus_pump_at && *impl_->bus_pump_at <= at_us) return;
  impl_->bus_pump_at = at_us;
  const std::uint64_t token = ++impl_->bus_pump_token;
  kernel_.At(bus_process_, at_us, [this, token] {
    if (token != impl_->bus_pump_token) return;
    impl_->bus_pump_at.reset();
    PumpBus();
  });
  CSIM_CHECK(impl_->bus_pump_at == at_us, "one pump pending, at the earliest time asked");
}

void World::PumpBus() {
  // A broker whose partitions are down hands its consumers nothing either: their fetches fail until
  // it is back, and what it holds is delivered then (still in its log, at-least-once). So during an
  // outage of the bus nothing is delivered, not only publishes refused; what fell due waits.
  if (auto due = bus_->NextDueTime(); due && *due <= kernel_.now()) {
    if (const std::optional<TimeUs> back = faults_->DownUntil("bus.deliver")) {
      kernel_.Record(impl_->deliver_action, impl_->deliver_held,
                     fmt::format("queued={} until_us={}", bus_->QueuedCount(), *back));
      impl_->bus_held_until = *back;
      PumpBusAt(*back);
      return;
    }
  }
  for (std::size_t n = 0; n < fakes::FakeEventBus::kQueuedDeliveriesMax; ++n) {
    auto delivery = bus_->NextDue(kernel_.now());
    if (!delivery) break;
    CSIM_CHECK(delivery->deliver_at <= kernel_.now(), "NextDue returns only what is due");
    const ProcessId target = ProcessOfSubscriber(delivery->subscriber);
    if (!kernel_.IsUp(target)) {
      bus_->Nack(delivery->id, kernel_.now() + kBusRedeliveryUs);
      continue;
    }
    if (faults_->Fires(impl_->bus_delay)) {  // held back: later deliveries overtake it
      bus_->Nack(delivery->id,
                 kernel_.now() + impl_->crash_rng.Between(kBusRedeliveryUs, kBusDelayMaxUs));
      continue;
    }
    // A slow or flaky broker (a slow or burst window on the bus) is one its consumers fetch from
    // late or in vain: the delivery comes that much later, or stays unacknowledged and comes again.
    const FaultLayer::Fetch fetch = faults_->FetchAt(impl_->bus_fetch);
    if (fetch.failed) {
      kernel_.Record(impl_->deliver_action, impl_->deliver_held,
                     delivery->event->topic + " " + delivery->event->id);
      bus_->Nack(delivery->id, kernel_.now() + kBusRedeliveryUs);
      continue;
    }
    // The delivery shares the bus's one copy of the event.
    kernel_.Spawn(target, Deliver(delivery->id, bus_->Handler(*delivery),
                                  std::move(delivery->event), fetch.lag_us));
  }
  if (auto next = bus_->NextDueTime()) PumpBusAt(std::max(*next, kernel_.now()));
}

Task<void> World::Deliver(std::int64_t delivery_id, EventHandler handler, fakes::SharedEvent shared,
                          DurationUs lag_us) {
  CSIM_CHECK(delivery_id > 0, "a delivery the bus numbered");
  CSIM_CHECK(static_cast<bool>(handler) && shared != nullptr && !shared->id.empty(),
             "a subscriber's handler, an event");
  CSIM_CHECK(lag_us >= 0, "a delivery comes when due or later");
  if (lag_us > 0) co_await kernel_.Sleep(lag_us);  // in flight meanwhile: a crash requeues it
  const Event& event = *shared;
  ++counts_.deliveries;
  Status handled = co_await handler(event);
  kernel_.Record(impl_->deliver_action, faults_->OutcomeOf(handled.code()),
                 event.topic + " " + event.id);
  // A broker that went down while the handler ran takes neither its ack nor its refusal: the
  // delivery is still unacknowledged in its log and comes again once the broker is back (Redis
  // Streams' pending entries, Kafka's uncommitted offsets). Queued again as a refused one would be;
  // PumpBus holds it until then.
  const bool bus_down = faults_->DownUntil("bus.deliver").has_value();
  if (handled.ok() && !bus_down) {
    bus_->Ack(delivery_id);
    // At-least-once: an acknowledged event can still come again (a lost ack, a rebalance).
    if (faults_->Fires(impl_->bus_duplicate)) {
      bus_->DeliverAgain(shared, kernel_.now() + kBusRedeliveryUs);
      PumpBusSoon();
    }
  } else {
    bus_->Nack(delivery_id, kernel_.now() + kBusRedeliveryUs);
    PumpBusSoon();
  }
}

bool World::WebhooksIdle() const {
  return WebhooksIdleUntil() > kernel_.now();
}

TimeUs World::WebhooksIdleUntil() const {
  // What PumpWebhooks finds nothing to do in: no new webhook, none due waiting for a pump.
  const auto& queue = impl_->webhooks;
  if (payment_->QueuedWebhookCount() != 0) return kernel_.now();
  if (queue.empty() || impl_->webhook_pump_scheduled) return std::numeric_limits<TimeUs>::max();
  return queue.begin()->first.first;  // idle while now is before the first webhook falls due
}

void World::PumpWebhooks() {
  // Runs in the payment-gateway process: the gateway delivers each webhook, once due, until the
  // bus accepts it (a real gateway retries unacknowledged webhooks), in the order they fall due.
  const TimeUs now = kernel_.now();
  auto& queue = impl_->webhooks;
  // Most pumps (one per 200 ms, whatever the traffic) find no new webhook: no vector is taken.
  for (Event& webhook :
       payment_->QueuedWebhookCount() == 0 ? std::vector<Event>{} : payment_->TakeWebhooks()) {
    const TimeUs due =
        now + WebhookDelay(impl_->payment_rng, options_.faults.slowness, webhook.topic);
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

namespace {

// A customer repeats a cart or add-item call that failed or timed out at most this often.
constexpr std::int32_t kCustomerCallAttemptsMax = 3;

bool MayBeTransient(const Status& status) {
  return status.code() == Code::kUnavailable || status.code() == Code::kTimeout;
}

}  // namespace

// What a customer's tabs and clicks share: the cart, the order once one came back, and how many of
// them are still waiting for an answer.
struct World::CustomerTabs {
  const CustomerScript& script;
  std::string cart_id;
  std::string session_id;
  std::string order_id;  // the first order a confirm gave back ("" until then)
  std::int32_t waiting = 1;
  bool started = false;  // whether a visit got as far as a checkout (a cart with its items)
};

void World::TakeConfirmResult(CustomerTabs& tabs, const Result<ConfirmResult>& result,
                              bool main_path) {
  auto record = [&](std::string_view outcome, const std::string& detail) {
    kernel_.Record(impl_->customer_action, kernel_.trace().Intern(outcome),
                   tabs.script.customer_id + " " + detail);
  };
  if (result.ok() && tabs.order_id.empty()) {
    tabs.order_id = result->order_id;
    ++counts_.orders_placed;
    record("order_placed", result->order_id);
    if (tabs.script.cancel_after_us > 0) {
      kernel_.Spawn(customers_, CancelLater(result->order_id, tabs.script.cancel_after_us));
    }
    return;
  }
  CSIM_CHECK(!result.ok() || result->order_id == tabs.order_id, "one order per cart session");
  // Only the main path's failures say why a checkout failed; an extra tab or click that failed,
  // or any answer after the order came back, is what the customer shrugs off.
  if (main_path && !result.ok() && tabs.order_id.empty()) {
    record("confirm_failed", result.status().ToString());
  } else {
    record("extra_confirm", result.ok() ? result->order_id : result.status().ToString());
  }
}

void World::FinishTab(CustomerTabs& tabs) {
  CSIM_CHECK(tabs.waiting > 0, "a tab finishes once");
  if (--tabs.waiting == 0 && tabs.order_id.empty()) ++counts_.checkouts_failed;
  CSIM_CHECK(tabs.waiting >= 0);
}

void World::NoteConfirmedTotal(std::string attempt, Money total) {
  auto [it, first] = confirmed_totals_.try_emplace(std::move(attempt));
  it->second.insert(total);
  if (first) confirmed_attempt_changes_.Note(&it->first);
  CSIM_CHECK(confirmed_attempt_changes_.size() == confirmed_totals_.size(), "one note per attempt");
}

Task<void> World::ExtraConfirm(std::shared_ptr<CustomerTabs> tabs, ConfirmRequest request,
                               DurationUs think_us) {
  CheckoutApi& checkout = impl_->checkout_api;
  if (think_us > 0) {  // a second tab: its own preview now, its confirm after its own thinking
    auto preview = co_await checkout.PreviewCheckout(tabs->cart_id, request.choice);
    if (preview.ok()) {
      co_await kernel_.Sleep(think_us);
      request.cart_version = preview->cart_version;
      request.confirmed = preview->totals;
    }
    if (!preview.ok() || !tabs->order_id.empty()) {
      FinishTab(*tabs);  // nothing to confirm, or the other tab already has the order
      co_return;
    }
  }
  NoteConfirmedTotal(CheckoutAttemptKey(tabs->session_id, request.cart_version),
                     request.confirmed.total);
  auto result = co_await checkout.ConfirmCheckout(request);
  TakeConfirmResult(*tabs, result, false);
  FinishTab(*tabs);
}

Task<void> World::Customer(const CustomerScript& script, std::size_t index) {
  co_await kernel_.SleepUntil(script.start_us);
  auto tabs = std::make_shared<CustomerTabs>(
      CustomerTabs{script, DetailText("cart-", index + 1), DetailText("sess-", index + 1), "", 1});
  std::vector<bool> added(script.items.size(), false);
  const bool left_on_outage = co_await Visit(tabs, added, true);
  if (tabs->order_id.empty() && left_on_outage && script.return_after_us > 0) {
    co_await kernel_.Sleep(script.return_after_us);
    kernel_.Record(impl_->customer_action, kernel_.trace().Intern("returned"),
                   script.customer_id + " " + tabs->cart_id);
    (void)co_await Visit(tabs, added, false);
  }
  // A customer who never got a cart started no checkout, so none failed.
  if (tabs->started) FinishTab(*tabs);
}

Task<bool> World::Visit(std::shared_ptr<CustomerTabs> tabs, std::vector<bool>& added,
                        bool first_visit) {
  CheckoutApi& checkout = impl_->checkout_api;
  const CustomerScript& script = tabs->script;
  const std::string& cart_id = tabs->cart_id;
  auto record = [&](std::string_view outcome, const std::string& detail) {
    kernel_.Record(impl_->customer_action, kernel_.trace().Intern(outcome),
                   script.customer_id + " " + detail);
  };
  // A customer whose page failed or timed out reloads it and tries again; a cart the timeout hid
  // (or the first visit made) is there on the next try (kConflict: the id exists).
  Status created;
  for (std::int32_t call = 0; call < kCustomerCallAttemptsMax; ++call) {
    created =
        co_await checkout.CreateCart(cart_id, tabs->session_id, script.customer_id, script.guest);
    if ((call > 0 || !first_visit) && created.code() == Code::kConflict) created = Status::Ok();
    if (!MayBeTransient(created)) break;
    co_await kernel_.Sleep(kCustomerRetryUs);
  }
  if (!created.ok()) {
    record("cart_failed", cart_id);
    co_return MayBeTransient(created);
  }
  auto add = [&](const CartItem& item) -> Task<bool> {
    for (std::int32_t call = 0; call < kCustomerCallAttemptsMax; ++call) {
      const Status status = co_await checkout.AddItem(cart_id, item);
      if (!MayBeTransient(status)) co_return status.ok();
      co_await kernel_.Sleep(kCustomerRetryUs);
    }
    co_return false;
  };
  // A returning customer adds only what the first visit could not: the cart kept the rest.
  for (std::size_t i = 0; i < script.items.size(); ++i) {
    if (!added[i]) added[i] = co_await add(script.items[i]);
  }
  CheckoutChoice choice;
  choice.payment_method = script.payment_method;
  choice.promo_codes = script.promo_codes;
  choice.points_to_redeem = script.points_to_redeem;
  choice.country = script.country;
  if (!tabs->started) ++counts_.checkouts_started;
  tabs->started = true;
  bool changed_cart = false;
  bool transient = false;  // whether the last failure may pass (an outage, a timeout)
  for (std::int32_t attempt = 0; attempt < script.confirm_attempts; ++attempt) {
    if (!tabs->order_id.empty()) break;  // another tab got the order
    auto preview = co_await checkout.PreviewCheckout(cart_id, choice);
    if (!preview.ok()) {
      transient = MayBeTransient(preview.status());
      if (tabs->order_id.empty()) record("preview_failed", preview.status().ToString());
      // A customer told a promotion or their points cannot be used tries again without them.
      if (preview.code() == Code::kFailedPrecondition || preview.code() == Code::kInsufficient) {
        choice.promo_codes.clear();
        choice.points_to_redeem = 0;
      }
      co_await kernel_.Sleep(kCustomerRetryUs);
      continue;
    }
    ConfirmRequest confirm{cart_id, preview->cart_version, choice, preview->totals};
    if (first_visit && attempt == 0 && script.second_tab_think_us > 0) {
      ++tabs->waiting;
      kernel_.Spawn(customers_, ExtraConfirm(tabs, confirm, script.second_tab_think_us));
    }
    co_await kernel_.Sleep(script.think_us);
    if (!tabs->order_id.empty()) break;
    NoteConfirmedTotal(CheckoutAttemptKey(tabs->session_id, confirm.cart_version),
                       confirm.confirmed.total);
    if (first_visit && attempt == 0 && script.double_click) {
      ++tabs->waiting;
      kernel_.Spawn(customers_, ExtraConfirm(tabs, confirm, 0));
    }
    auto result = co_await checkout.ConfirmCheckout(confirm);
    TakeConfirmResult(*tabs, result, true);
    if (result.ok()) break;
    transient = MayBeTransient(result.status());
    if (first_visit && script.change_after_failure && !changed_cart) {
      changed_cart = true;  // the cart's version moves: the next confirm is a new attempt
      (void)co_await add(*script.change_after_failure);
    }
    co_await kernel_.Sleep(kCustomerRetryUs);
  }
  co_return transient;
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

TimeUs World::EndTimeUs() const {
  CSIM_CHECK(options_.drain_us >= 0, "a drain does not run backwards");
  TimeUs last_start = 0;
  for (const CustomerScript& customer : workload_.customers) {
    CSIM_CHECK(customer.start_us >= 0, "a customer starts after time 0");
    last_start = std::max(last_start, customer.start_us);
  }
  return last_start + kHourUs + options_.drain_us;
}

void World::Run(const std::function<void()>& after_event) {
  CSIM_CHECK(!settled_, "a world runs once");
  for (const auto& [replicas, start] : Workers()) {
    for (std::size_t replica = 0; replica < replicas->size(); ++replica) (this->*start)(replica);
  }
  StartJobs(impl_->checkout_worker.MonitorJobs(), "checkout-monitor", checkout_monitor_, 0,
            [this](const ScheduledJob& job) { return IdlePoll(job, *checkout_db_); });
  StartJobs(impl_->order_service.MonitorJobs(*alerts_), "order-monitor", order_monitor_, 0,
            [this](const ScheduledJob& job) { return IdlePoll(job, *order_db_); });
  StartOutsideWorld();
  // The bank declines some customers' captures (the card was cancelled, the limit reached between
  // authorization and capture): a fault of the outside world, drawn like any other fault.
  FaultPoint* decline = faults_->Point("payment.decline_capture");
  for (const CustomerScript& customer : workload_.customers) {
    if (faults_->Fires(decline)) payment_->DeclineCaptures(customer.customer_id);
  }
  for (std::size_t i = 0; i < workload_.customers.size(); ++i) {
    kernel_.Spawn(customers_, Customer(workload_.customers[i], i));
  }
  // Webhooks and TTL sweeps run on the gateway's and warehouse's own schedules.
  auto every = [](World* world, DurationUs period_us, void (World::*pump)()) -> Task<void> {
    for (;;) {
      co_await world->kernel_.Sleep(period_us);
      (world->*pump)();
    }
  };
  // The webhook pump polls every 200 ms (about 75 k polls a run, most finding nothing): the kernel
  // asks WebhooksIdle for it and resumes it only for a pump that has work.
  auto pump_webhooks = [](World* world) -> Task<void> {
    const std::function<bool()> idle = [world] { return world->WebhooksIdle(); };
    const std::function<TimeUs()> idle_until = [world] { return world->WebhooksIdleUntil(); };
    for (;;) {
      co_await world->kernel_.SleepPolling(kWebhookDelayUs, &idle, &idle_until);
      world->PumpWebhooks();
    }
  };
  kernel_.Spawn(gateway_, pump_webhooks(this));
  kernel_.Spawn(warehouse_process_, every(this, kMinuteUs, &World::SweepExpired));

  TimeUs end_us = EndTimeUs();
  const TimeUs faults_end_us = end_us - options_.drain_us;
  DrawFaultWindows(faults_end_us);
  std::size_t seen = kernel_.trace().size();
  const auto run_until = [&](TimeUs until_us) {
    while (kernel_.RunOne(until_us)) {
      if (kernel_.now() >= faults_end_us) {
        faults_->Quiesce();
        // Windows end with the faults: a bus held for an outage that would outlast them delivers
        // now, not when the window would have ended.
        if (impl_->bus_held_until > kernel_.now()) {
          impl_->bus_held_until = 0;
          PumpBusAt(kernel_.now());
        }
      }
      if (after_event && kernel_.trace().size() != seen) {
        seen = kernel_.trace().size();
        after_event();
      }
    }
  };
  // The drain's last hour decides whether the workers are done (see drain_hours_more_max).
  CSIM_CHECK(options_.drain_hours_more_max >= 0, "a drain never shrinks");
  const TimeUs last_hour_us = std::max(faults_end_us, end_us - kHourUs);
  run_until(last_hour_us);
  std::uint64_t calls = faults_->BusinessCalls();
  run_until(end_us);
  for (std::int32_t more = 0;
       more < options_.drain_hours_more_max && faults_->BusinessCalls() != calls; ++more) {
    calls = faults_->BusinessCalls();
    end_us += kHourUs;
    run_until(end_us);
  }
  drain_still_busy_ = faults_->BusinessCalls() != calls;
  kernel_.RunUntil(end_us);
  settled_ = true;
}

}  // namespace csim::sim
