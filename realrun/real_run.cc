#include "realrun/real_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "adapters/blocking.h"
#include "adapters/pg_checkout_store.h"
#include "adapters/pg_connection.h"
#include "adapters/pg_order_store.h"
#include "adapters/real_state.h"
#include "adapters/redis_connection.h"
#include "adapters/redis_event_bus.h"
#include "adapters/redis_lock_store.h"
#include "adapters/wall_clock.h"
#include "core/checkout/checkout_service.h"
#include "core/checkout/checkout_worker.h"
#include "core/order/order_service.h"
#include "core/topics.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_fraud.h"
#include "fakes/fake_fulfillment.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_pricing.h"
#include "fakes/fake_promotions.h"
#include "fakes/fake_shipping.h"
#include "fakes/fake_warehouse.h"
#include "properties/truth.h"
#include "reports/format.h"
#include "sim/workload.h"

namespace csim::realrun {
namespace {

using adapters::RunBlocking;

// The shipping rate of the simulation's world (sim/world_impl.h), so a real run's totals are the
// ones a simulation of the same workload computes.
constexpr Money kBaseShippingFee = 15'000 * kVnd;
constexpr Money kPerItemShippingFee = 2'000 * kVnd;
// How often a customer repeats a cart call that failed for a transient reason.
constexpr std::int32_t kCustomerCallAttemptsMax = 3;
constexpr std::string_view kFulfillmentSubscriber = "fulfillment";
constexpr std::string_view kLoyaltySubscriber = "loyalty-service";
// Pause between the drain's passes: the loops poll, nothing wakes them.
constexpr DurationUs kDrainPauseUs = 20 * kMillisecondUs;
// The drain's passes at most (drain_max_us bounds it in time first).
constexpr std::int64_t kDrainPassesMax = 100'000;
constexpr std::size_t kViolationsKeptMax = 200;

bool Transient(const Status& status) {
  return status.code() == Code::kUnavailable || status.code() == Code::kTimeout;
}

double SecondsBetween(TimeUs from, TimeUs to) {
  return static_cast<double>(to - from) / static_cast<double>(kSecondUs);
}

// A server that cannot be reached any more, named; ends the run with exit 2 (never a violation).
struct ServerLost {
  Status status;
};

// Where fulfillment stands with one order (the simulation's FulfillOrder, without its hours of
// waiting): each step is published once the order service has applied the one before.
enum class Stage { kProcessing, kPicked, kShipped, kDelivered, kDone };

// The whole backend of one run: fakes, real adapters, core services and the loops around them.
class Backend {
 public:
  Backend(const RealRunOptions& options, sim::Workload workload)
      : options_(options), workload_(std::move(workload)) {}

  // Connects to both servers, creates the schemas, checks they hold no earlier state.
  Status Open();
  RealRunResult Run();

 private:
  void Customer(const sim::CustomerScript& script, std::size_t index);
  // One pass of every loop; returns whether anything changed: a delivery, a webhook, a
  // fulfillment step, an expired reservation, or a job acting on a different number of rows
  // than in the pass before (a job that retries the same stuck rows every pass changes nothing).
  bool Pass();
  std::int64_t PublishWebhooks();
  std::int64_t SweepExpired();
  std::int64_t PollBus();
  std::int64_t AdvanceFulfillment();
  // Publishes `event` as an outside service does: retried, and a lost server ends the run.
  void PublishOrLose(const Event& event);
  Task<Status> FulfillmentSawStatusChange(const Event& event);
  Task<Status> LoyaltyAndPromotionsSawOrderEvent(const Event& event);
  // Reads both servers back and checks every invariant on that state.
  void Check(RealRunResult& result);

  const RealRunOptions& options_;
  sim::Workload workload_;
  adapters::WallClock clock_;
  fakes::FakeWarehouse warehouse_{clock_};
  fakes::FakePaymentGateway payment_{clock_};
  fakes::FakePromotions promotions_{clock_};
  fakes::FakeLoyalty loyalty_;
  fakes::FakePricing pricing_;
  fakes::FakeShipping shipping_{fakes::ShippingRate{kBaseShippingFee, kPerItemShippingFee}};
  fakes::FakeFraud fraud_;
  fakes::FakeFulfillment fulfillment_{clock_};
  fakes::FakeAlerts alerts_;
  std::unique_ptr<adapters::RedisLockStore> locks_;
  std::unique_ptr<adapters::RedisEventBus> bus_;
  std::unique_ptr<adapters::PgCheckoutStore> checkout_db_;
  std::unique_ptr<adapters::PgOrderStore> order_db_;
  std::unique_ptr<OrderService> order_service_;
  std::unique_ptr<CheckoutPorts> checkout_ports_;
  std::unique_ptr<CheckoutService> checkout_service_;
  std::unique_ptr<CheckoutWorker> checkout_worker_;
  Schedule jobs_;
  std::deque<Event> webhooks_;  // taken from the gateway, not yet accepted by the bus
  std::map<std::string, Stage> fulfilling_;
  std::unordered_map<std::string, std::set<Money>> confirmed_totals_;
  sim::RunCounts counts_;
  std::int64_t confirmed_ = 0;
  std::vector<std::int32_t> last_job_counts_;           // what each job acted on in the last pass
  std::map<std::string, std::int64_t> failed_by_code_;  // failed checkouts by last status code
};

Status Backend::Open() {
  // Bad URLs first, before anything connects, so a typo is kInvalidArgument, not a refusal.
  if (auto address = adapters::RedisAddress::Parse(options_.redis_url); !address.ok()) {
    return Status{Code::kInvalidArgument, "--redis: " + address.status().message()};
  }
  if (auto postgres = adapters::PgConnection::Create(options_.postgres_url); !postgres.ok()) {
    return Status{Code::kInvalidArgument, "--postgres: " + postgres.status().message()};
  }
  if (options_.reset) {
    if (Status status = adapters::ResetKeys(options_.redis_url, kKeyPrefix); !status.ok()) {
      return status;
    }
    if (Status status = adapters::ResetDatabases(options_.postgres_url); !status.ok()) {
      return status;
    }
  }
  auto locks =
      adapters::RedisLockStore::Open(options_.redis_url, std::string{kKeyPrefix} + "lock:");
  if (!locks.ok()) return locks.status();
  locks_ = std::move(locks).value();
  adapters::RedisBusOptions bus_options;
  bus_options.key_prefix = kKeyPrefix;
  bus_options.redeliver_after_us = kRedeliverAfterUs;
  auto bus = adapters::RedisEventBus::Open(options_.redis_url, bus_options);
  if (!bus.ok()) return bus.status();
  bus_ = std::move(bus).value();
  auto checkout_db = adapters::PgCheckoutStore::Open(options_.postgres_url, clock_);
  if (!checkout_db.ok()) return checkout_db.status();
  checkout_db_ = std::move(checkout_db).value();
  auto order_db = adapters::PgOrderStore::Open(options_.postgres_url, clock_);
  if (!order_db.ok()) return order_db.status();
  order_db_ = std::move(order_db).value();
  // The invariants read everything the servers hold, so they must hold only this run's state.
  Result<std::int64_t> keys = adapters::CountKeys(options_.redis_url, kKeyPrefix);
  if (!keys.ok()) return keys.status();
  Result<std::int64_t> rows = adapters::CountBusinessRows(options_.postgres_url);
  if (!rows.ok()) return rows.status();
  if (keys.value() > 0 || rows.value() > 0) {
    return Status{Code::kFailedPrecondition,
                  fmt::format("the servers hold an earlier run's state ({} redis keys under '{}', "
                              "{} carts and orders in postgresql); the invariants read all of it: "
                              "use empty servers or --reset (deletes them)",
                              keys.value(), kKeyPrefix, rows.value())};
  }

  OrderPorts order_ports{clock_,   *order_db_,   warehouse_,
                         payment_, &warehouse_,  !options_.order_uses_legacy_warehouse,
                         &alerts_, &fulfillment_};
  order_service_ = std::make_unique<OrderService>(order_ports, options_.config, options_.profile);
  checkout_ports_ = std::make_unique<CheckoutPorts>(
      CheckoutPorts{clock_, *checkout_db_, pricing_, shipping_, fraud_, payment_, warehouse_,
                    promotions_, loyalty_, *locks_, *order_service_, alerts_});
  checkout_service_ =
      std::make_unique<CheckoutService>(*checkout_ports_, options_.config, options_.profile);
  checkout_worker_ =
      std::make_unique<CheckoutWorker>(*checkout_ports_, options_.config, options_.profile);

  // The world of the workload, as sim::World sets it up.
  for (const sim::StockLine& line : workload_.stock) {
    warehouse_.SetStock(line.sku, line.warehouse_id, line.on_hand);
  }
  for (const sim::PriceLine& line : workload_.prices) pricing_.SetPrice(line.sku, line.unit_price);
  for (const sim::PromoLine& line : workload_.promos) {
    fakes::Promotion promo;
    promo.code = line.code;
    promo.discount = line.discount;
    promo.max_uses = line.max_uses;
    promo.single_use = line.single_use;
    promotions_.AddPromotion(promo);
  }
  for (const sim::CustomerScript& customer : workload_.customers) {
    if (customer.points_balance > 0)
      loyalty_.SetBalance(customer.customer_id, customer.points_balance);
  }
  order_service_->RegisterConsumers(*bus_);
  bus_->Subscribe(std::string{topics::kOrderStatusChanged}, std::string{kFulfillmentSubscriber},
                  [this](const Event& e) { return FulfillmentSawStatusChange(e); });
  for (std::string_view topic : {topics::kOrderCancelled, topics::kOrderCompleted}) {
    bus_->Subscribe(std::string{topic}, std::string{kLoyaltySubscriber},
                    [this](const Event& e) { return LoyaltyAndPromotionsSawOrderEvent(e); });
  }
  // Every scheduled job runs once per pass (a pass is milliseconds; the jobs compare times with
  // the clock themselves, so running them more often than their period changes no decision).
  // Every process's jobs in one loop, as the world starts them: the checkout worker's, the
  // compensation worker's (SIM-40 fixed puts FailedCompensationWorker there), the order worker's,
  // the order repair worker's (SIM-42 fixed puts the stock repairs there) and both monitors'
  // (SIM-37 and SIM-38 fixed put the outbox lag monitors there).
  jobs_ = checkout_worker_->Jobs(*bus_);
  for (const Schedule& more :
       {checkout_worker_->CompensationJobs(), order_service_->Jobs(*bus_, alerts_),
        order_service_->RepairJobs(), checkout_worker_->MonitorJobs(),
        order_service_->MonitorJobs(alerts_)}) {
    jobs_.insert(jobs_.end(), more.begin(), more.end());
  }
  for (std::string_view needed :
       {"CartCleanupWorker", "FailedCompensationWorker", "FailedCompensationsCleanupJob",
        "ReservationCleanupJob", "DLQRetryWorker"}) {
    CSIM_CHECK(std::any_of(jobs_.begin(), jobs_.end(),
                           [needed](const ScheduledJob& job) { return job.name == needed; }),
               "the real backend runs every repair job, wherever core schedules it");
  }
  return Status::Ok();
}

Task<Status> Backend::FulfillmentSawStatusChange(const Event& event) {
  if (event.Get("to") == "confirmed" && !fulfilling_.contains(event.subject)) {
    fulfilling_[event.subject] = Stage::kProcessing;
  }
  if (event.Get("to") == "cancelled") fulfillment_.Stop(event.subject);
  co_return Status::Ok();
}

Task<Status> Backend::LoyaltyAndPromotionsSawOrderEvent(const Event& event) {
  // As the simulation's outside services: idempotent by reference, on the order as stored.
  Result<Order> found = co_await order_db_->GetOrder(event.Get("order_id"));
  if (found.code() == Code::kNotFound) co_return Status::Ok();
  if (!found.ok()) co_return found.status();  // not acked: the bus delivers it again
  const Order& order = found.value();
  if (event.topic == topics::kOrderCancelled) {
    if (order.points_redeemed > 0)
      (void)co_await loyalty_.GiveBack(order.customer_id, order.checkout_attempt);
    for (const std::string& code : order.promo_codes) {
      (void)co_await promotions_.ReleaseUsage(code, order.checkout_attempt);
    }
  } else if (event.topic == topics::kOrderCompleted) {
    (void)co_await loyalty_.Earn(order.customer_id, options_.config.order.loyalty_points_per_order,
                                 order.id);
  }
  co_return Status::Ok();
}

void Backend::PublishOrLose(const Event& event) {
  Status published;
  for (std::int32_t attempt = 0; attempt < kServerAttemptsMax; ++attempt) {
    published = RunBlocking(bus_->Publish(event));
    if (published.ok() || !Transient(published)) break;
    RunBlocking(clock_.Sleep(kServerRetryUs));
  }
  if (Transient(published)) throw ServerLost{published};
  CSIM_CHECK(published.ok(), "an outside service's event is well formed: " + published.ToString());
}

std::int64_t Backend::PublishWebhooks() {
  for (Event& webhook : payment_.TakeWebhooks()) webhooks_.push_back(std::move(webhook));
  std::int64_t published = 0;
  while (!webhooks_.empty()) {  // bounded by the webhooks taken
    PublishOrLose(webhooks_.front());
    webhooks_.pop_front();
    ++published;
  }
  return published;
}

std::int64_t Backend::SweepExpired() {
  std::int64_t swept = 0;
  for (const auto& reservation : warehouse_.TakeExpired(clock_.Now())) {
    Event event;
    event.id = "expired:" + reservation.id;
    event.topic = std::string{topics::kReservationExpired};
    event.subject = reservation.id;
    event.fields = {{"reservation_id", reservation.id}, {"reference", reservation.reference}};
    PublishOrLose(event);
    ++swept;
  }
  return swept;
}

std::int64_t Backend::PollBus() {
  Result<std::int64_t> delivered = bus_->PollOnce();
  for (std::int32_t attempt = 1; !delivered.ok() && attempt < kServerAttemptsMax; ++attempt) {
    RunBlocking(clock_.Sleep(kServerRetryUs));
    delivered = bus_->PollOnce();
  }
  if (!delivered.ok()) throw ServerLost{delivered.status()};
  return delivered.value();
}

std::int64_t Backend::AdvanceFulfillment() {
  std::int64_t acted = 0;
  for (auto& entry : fulfilling_) {
    const std::string& order_id = entry.first;  // (clang 14 cannot capture a structured binding)
    Stage& stage = entry.second;
    if (stage == Stage::kDone) continue;
    if (fulfillment_.Stopped(order_id)) {
      stage = Stage::kDone;
      continue;
    }
    // A call-off's hold (SIM-44) is waited out, then the order as stored decides.
    const std::optional<TimeUs> held_until = fulfillment_.HeldUntil(order_id);
    if (held_until && *held_until > clock_.Now()) continue;
    Result<Order> order = RunBlocking(order_db_->GetOrder(order_id));
    if (!order.ok()) {
      if (Transient(order.status())) continue;  // the next pass tries again
      CSIM_CHECK(false, "a confirmed order is stored: " + order.status().ToString());
    }
    if (held_until && order->cancelled_at.has_value()) {
      fulfillment_.Stop(order_id);
      stage = Stage::kDone;
      continue;
    }
    auto publish = [&](std::string_view status) {
      Event event;
      event.id = fmt::format("fulfillment:{}:{}", order_id, status);
      event.topic = std::string{topics::kFulfillmentStatusChanged};
      event.subject = order_id;
      event.fields = {{"order_id", order_id}, {"status", std::string{status}}};
      PublishOrLose(event);
      ++acted;
    };
    const OrderStatus status = order->status;
    switch (stage) {
      case Stage::kProcessing:
        publish("processing");
        stage = Stage::kPicked;
        break;
      case Stage::kPicked:
        if (status != OrderStatus::kProcessing) break;  // the order service has not applied it yet
        if (order->items.size() > 1) publish("partially_shipped");
        stage = Stage::kShipped;
        break;
      case Stage::kShipped:
        if (status != OrderStatus::kProcessing && status != OrderStatus::kPartiallyShipped) break;
        if (order->items.size() > 1 && status != OrderStatus::kPartiallyShipped) break;
        fulfillment_.Ship(order_id);
        publish("shipped");
        stage = Stage::kDelivered;
        break;
      case Stage::kDelivered: {
        if (status != OrderStatus::kShipped) break;
        if (order->payment_method == PaymentMethod::kCashOnDelivery) {
          payment_.RecordCashCollected(order_id, order->total);
        }
        Event delivered;
        delivered.id = "delivered:" + order_id;
        delivered.topic = std::string{topics::kShipmentDelivered};
        delivered.subject = order_id;
        delivered.fields = {{"order_id", order_id}};
        PublishOrLose(delivered);
        ++counts_.shipments_delivered;
        ++acted;
        stage = Stage::kDone;
        break;
      }
      case Stage::kDone:
        break;
    }
  }
  return acted;
}

bool Backend::Pass() {
  std::vector<std::int32_t> job_counts;
  for (ScheduledJob& job : jobs_) job_counts.push_back(RunBlocking(job.pass()));
  std::int64_t acted = PublishWebhooks();
  acted += SweepExpired();
  acted += PollBus();
  acted += AdvanceFulfillment();
  CSIM_CHECK(acted >= 0);
  CSIM_CHECK(job_counts.size() == jobs_.size());
  const bool changed = acted > 0 || job_counts != last_job_counts_;
  last_job_counts_ = std::move(job_counts);
  return changed;
}

void Backend::Customer(const sim::CustomerScript& script, std::size_t index) {
  CheckoutService& checkout = *checkout_service_;
  const std::string cart_id = fmt::format("cart-{}", index + 1);
  const std::string session_id = fmt::format("sess-{}", index + 1);
  Status created;
  for (std::int32_t call = 0; call < kCustomerCallAttemptsMax; ++call) {
    created =
        RunBlocking(checkout.CreateCart(cart_id, session_id, script.customer_id, script.guest));
    if (call > 0 && created.code() == Code::kConflict) created = Status::Ok();
    if (!Transient(created)) break;
  }
  if (!created.ok()) return;
  for (const CartItem& item : script.items) {
    for (std::int32_t call = 0; call < kCustomerCallAttemptsMax; ++call) {
      if (!Transient(RunBlocking(checkout.AddItem(cart_id, item)))) break;
    }
  }
  CheckoutChoice choice;
  choice.payment_method = script.payment_method;
  choice.promo_codes = script.promo_codes;
  choice.points_to_redeem = script.points_to_redeem;
  ++counts_.checkouts_started;
  std::string order_id;
  Status last_failure{Code::kUnavailable, "no confirm was sent"};
  for (std::int32_t attempt = 0; attempt < script.confirm_attempts && order_id.empty(); ++attempt) {
    Result<Preview> preview = RunBlocking(checkout.PreviewCheckout(cart_id, choice));
    if (!preview.ok()) {
      last_failure = preview.status();
      if (preview.code() == Code::kFailedPrecondition || preview.code() == Code::kInsufficient) {
        choice.promo_codes.clear();
        choice.points_to_redeem = 0;
      }
      continue;
    }
    ConfirmRequest confirm{cart_id, preview->cart_version, choice, preview->totals};
    confirmed_totals_[CheckoutAttemptKey(session_id, confirm.cart_version)].insert(
        confirm.confirmed.total);
    // A double click is a second confirm of the same request; here it comes after the first
    // answered (one worker loop), so it exercises the remembered result, not the race.
    const std::int32_t clicks = script.double_click ? 2 : 1;
    for (std::int32_t click = 0; click < clicks; ++click) {
      Result<ConfirmResult> result = RunBlocking(checkout.ConfirmCheckout(confirm));
      if (!result.ok()) {
        if (order_id.empty()) last_failure = result.status();
        continue;
      }
      ++confirmed_;
      if (order_id.empty()) {
        order_id = result->order_id;
        ++counts_.orders_placed;
      }
      CSIM_CHECK(result->order_id == order_id, "one order per cart session");
    }
    if (order_id.empty() && script.change_after_failure && attempt == 0) {
      (void)RunBlocking(checkout.AddItem(cart_id, *script.change_after_failure));
    }
  }
  if (order_id.empty()) {
    ++counts_.checkouts_failed;
    ++failed_by_code_[std::string{CodeName(last_failure.code())}];
    return;
  }
  if (script.cancel_after_us > 0) {
    (void)Pass();  // the order moves on (payment) before the customer changes their mind
    ++counts_.cancellations_requested;
    if (fulfilling_.contains(order_id)) ++counts_.cancellations_during_fulfilment;
    (void)RunBlocking(order_service_->CancelOrder(order_id, "customer"));
  }
}

RealRunResult Backend::Run() {
  RealRunResult result;
  result.customers = static_cast<std::int64_t>(workload_.customers.size());
  const TimeUs workload_start = clock_.Now();
  for (std::size_t i = 0; i < workload_.customers.size(); ++i) {
    Customer(workload_.customers[i], i);
    if (options_.after_customer) options_.after_customer(static_cast<std::int32_t>(i));
    (void)Pass();
  }
  result.workload_seconds = SecondsBetween(workload_start, clock_.Now());
  const TimeUs drain_start = clock_.Now();
  TimeUs quiet_since = clock_.Now();
  for (std::int64_t pass = 0; pass < kDrainPassesMax; ++pass) {
    const TimeUs now = clock_.Now();
    if (Pass()) quiet_since = now;
    if (now - quiet_since >= kQuietUs) {
      result.drained = true;
      break;
    }
    if (now - drain_start >= options_.drain_max_us) break;
    RunBlocking(clock_.Sleep(kDrainPauseUs));
  }
  result.drain_seconds = SecondsBetween(drain_start, clock_.Now());
  result.counts = counts_;
  result.checkouts_confirmed = confirmed_;
  result.failed_by_code = failed_by_code_;
  for (const ScheduledJob& job : jobs_) result.jobs.emplace_back(job.name);
  Check(result);
  return result;
}

void Backend::Check(RealRunResult& result) {
  Result<adapters::DatabaseState> databases = adapters::ReadDatabases(options_.postgres_url);
  if (!databases.ok()) throw ServerLost{databases.status()};
  Result<adapters::BusState> bus = adapters::ReadBus(options_.redis_url, kKeyPrefix);
  if (!bus.ok()) throw ServerLost{bus.status()};
  const TimeUs now = clock_.Now();

  // The databases' rows, loaded into the fakes' views that the invariants read.
  fakes::FakeCheckoutStore checkout_truth(clock_);
  checkout_truth.Restore(databases->carts, databases->checkout_outbox, databases->compensations);
  std::vector<fakes::FakeOrderStore::StatusChange> changes;
  for (const adapters::StatusChangeRow& row : databases->status_changes) {
    changes.push_back({row.order_id, row.from, row.to, row.at_us});
  }
  fakes::FakeOrderStore order_truth(clock_);
  order_truth.Restore(databases->orders, std::move(changes), databases->order_outbox,
                      databases->processed_event_ids);
  // The streams replayed into a fake bus: every entry published in entry-id order, each delivery
  // to a consumer group acknowledged if Redis shows it acked (handed out and not pending); one
  // pending or never handed out stays unacknowledged.
  fakes::FakeEventBus bus_truth(clock_);
  std::map<std::pair<std::string, std::string>, const adapters::ConsumerGroupState*> groups;
  for (const adapters::ConsumerGroupState& group : bus->groups) {
    groups[{group.topic, group.group}] = &group;
    bus_truth.Subscribe(group.topic, group.group,
                        [](const Event&) -> Task<Status> { co_return Status::Ok(); });
  }
  for (const adapters::StreamEntry& entry : bus->entries) {
    (void)RunBlocking(bus_truth.Publish(entry.event));
    for (std::size_t n = 0; n < fakes::FakeEventBus::kQueuedDeliveriesMax; ++n) {
      std::optional<fakes::Delivery> delivery = bus_truth.NextDue(now + kHourUs);
      if (!delivery) break;
      const adapters::ConsumerGroupState& group =
          *groups.at({delivery->topic, delivery->subscriber});
      const bool handed_out = !adapters::EntryIdBefore(group.last_delivered_id, entry.entry_id);
      if (handed_out && !group.pending.contains(entry.entry_id)) bus_truth.Ack(delivery->id);
      if (group.pending.contains(entry.entry_id)) ++result.figures.unacked_deliveries;
    }
  }

  const properties::Truth truth(properties::Truth::Views{
      now, &options_.config, &confirmed_totals_, &warehouse_, &payment_, &checkout_truth,
      &order_truth, &promotions_, &loyalty_, &bus_truth, &alerts_});
  // Every invariant once, on the state after the drain (the "always" ones included: the states
  // in between were not observed).
  std::vector<properties::Violation> found = properties::CheckInvariants(truth, true);
  std::set<std::pair<std::string, std::string>> seen;
  for (properties::Violation& v : found) {
    if (!seen.insert({v.invariant, v.entity}).second) continue;
    ++result.violation_counts[v.invariant];
    if (result.violations.size() < kViolationsKeptMax) result.violations.push_back(std::move(v));
  }

  RealFigures& figures = result.figures;
  figures.carts = static_cast<std::int64_t>(databases->carts.size());
  for (const Order& order : databases->orders) {
    ++figures.orders_by_status[std::string{Name(order.status)}];
    figures.order_items += static_cast<std::int64_t>(order.items.size());
    for (const OrderItem& item : order.items) figures.units_ordered += item.quantity;
  }
  for (const fakes::StockView& row : warehouse_.StockViews(now)) {
    figures.units_committed += row.committed;
    figures.units_reserved_active += row.active_reserved;
  }
  figures.stream_entries = static_cast<std::int64_t>(bus->entries.size());
  figures.outbox_rows =
      static_cast<std::int64_t>(databases->checkout_outbox.size() + databases->order_outbox.size());
  figures.captured = payment_.TotalCaptured();
  figures.refunded = payment_.TotalRefunded();
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& RealRunLimits() {
  static const std::vector<std::pair<std::string, std::string>> kLimits{
      {"always-invariants",
       "checked once on the state after the drain, not after every step: the states in between "
       "are not observed"},
      {"ORDER-SETTLES, STOCK-NO-LEAK",
       "bounds in minutes (an order pending past its expiry, a release late by 5 min) cannot "
       "lapse in a run of seconds: an order still pending at the end is counted above, not judged"},
      {"EVENT-SETTLES",
       "Redis does not count a subscriber's refusals: an unacked delivery reads as refused 0 "
       "times"},
      {"PRICE-AS-CONFIRMED",
       "covers the totals this run's customers confirmed (one worker loop: no second tab)"},
  };
  return kLimits;
}

Result<RealRunResult> RunReal(const RealRunOptions& options) {
  CSIM_CHECK(options.orders >= 0, "a workload has no negative size");
  sim::WorkloadOptions workload_options;
  workload_options.orders = options.orders;
  workload_options.world_changes = 0;  // prices and promotions change in no real run
  auto backend =
      std::make_unique<Backend>(options, sim::GenerateWorkload(options.seed, workload_options));
  try {
    if (Status opened = backend->Open(); !opened.ok()) return opened;
    return backend->Run();
  } catch (const ServerLost& lost) {
    return Status{lost.status.code(), "lost mid-run: " + lost.status.message()};
  }
}

std::string RealRunSummary(const RealRunOptions& options, const RealRunResult& result) {
  std::string text = fmt::format(
      "real backend, seed {} profile {}: {} customers, {} checkouts started, {} orders placed, {} "
      "checkouts failed; workload {:.2f} s, drain {:.2f} s{}\n",
      options.seed, options.profile.Name(), result.customers, result.counts.checkouts_started,
      result.counts.orders_placed, result.counts.checkouts_failed, result.workload_seconds,
      result.drain_seconds, result.drained ? "" : " (did not go quiet: settled checks may fail)");
  if (!result.failed_by_code.empty()) {
    std::string reasons;
    for (const auto& [code, count] : result.failed_by_code) {
      reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", code, count);
    }
    text += fmt::format("checkouts failed: {} ({})\n", result.counts.checkouts_failed, reasons);
  }
  text +=
      fmt::format("jobs each pass: {} ({})\n", result.jobs.size(), fmt::join(result.jobs, ", "));
  const RealFigures& f = result.figures;
  std::string statuses;
  for (const auto& [status, count] : f.orders_by_status) {
    statuses += fmt::format("{}{} {}", statuses.empty() ? "" : ", ", status, count);
  }
  text += fmt::format(
      "postgresql: {} carts, {} orders ({}), {} items of {} units, {} outbox rows; redis: {} "
      "stream entries, {} deliveries unacked; warehouse: {} units committed, {} reserved; "
      "gateway: captured {} refunded {}\n",
      f.carts, f.orders_by_status.empty() ? 0 : [&] {
        std::int64_t n = 0;
        for (const auto& [s, c] : f.orders_by_status) n += c;
        return n;
      }(), statuses.empty() ? "none" : statuses, f.order_items, f.units_ordered, f.outbox_rows,
      f.stream_entries, f.unacked_deliveries, f.units_committed, f.units_reserved_active,
      reports::FormatVnd(f.captured), reports::FormatVnd(f.refunded));
  text += "checked on the real state, in part:\n";
  for (const auto& [what, why] : RealRunLimits()) text += fmt::format("  {}: {}\n", what, why);
  if (result.violation_counts.empty()) {
    text += result.counts.orders_placed == 0 ? "tested nothing: no order was placed\n"
                                             : "all invariants held\n";
    return text;
  }
  std::int64_t total = 0;
  for (const auto& [name, count] : result.violation_counts) total += count;
  text += fmt::format("{} violation(s):\n", total);
  for (const auto& [name, count] : result.violation_counts) {
    text += fmt::format("  {}: {}\n", name, count);
  }
  for (const properties::Violation& v : result.violations) {
    text +=
        fmt::format("  {} {}: expected {}, got {}\n", v.invariant, v.entity, v.expected, v.actual);
  }
  return text;
}

}  // namespace csim::realrun
