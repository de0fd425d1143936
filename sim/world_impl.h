#pragma once
// World's private parts, shared by sim/world.cc and sim/world_actors.cc only.

#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/checkout/checkout_service.h"
#include "core/checkout/checkout_worker.h"
#include "core/order/order_service.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_fraud.h"
#include "fakes/fake_fulfillment.h"
#include "fakes/fake_locks.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_pricing.h"
#include "fakes/fake_promotions.h"
#include "fakes/fake_shipping.h"
#include "fakes/fake_warehouse.h"
#include "sim/checkout_api.h"
#include "sim/port_wrappers.h"
#include "sim/sim_clock.h"
#include "sim/world.h"

namespace csim::sim {

inline constexpr DurationUs kBusLatencyUs = 5 * kMillisecondUs;
inline constexpr DurationUs kBusRedeliveryUs = 1 * kSecondUs;
// A delivery the bus holds back waits at most this long (webhooks minutes late, events reordered).
inline constexpr DurationUs kBusDelayMaxUs = 5 * kMinuteUs;
inline constexpr DurationUs kWebhookDelayUs = 200 * kMillisecondUs;
inline constexpr DurationUs kCustomerRetryUs = 5 * kSecondUs;
// Passes of one job one replica's fixed-rate scheduler runs at once at most (its pool): a tick
// that finds them all busy is skipped.
inline constexpr std::int32_t kPassesInFlightMax = 4;
inline constexpr Money kBaseShippingFee = 15'000 * kVnd;
inline constexpr Money kPerItemShippingFee = 2'000 * kVnd;

// How late the gateway's webhooks reach the bus, when FaultPlan::slowness says they wait: on the
// customer for 2 to 25 minutes, or on the gateway's retry schedule for up to 10.
inline constexpr DurationUs kCustomerApprovalMinUs = 2 * kMinuteUs;
inline constexpr DurationUs kCustomerApprovalMaxUs = 25 * kMinuteUs;
inline constexpr DurationUs kLateWebhookMaxUs = 10 * kMinuteUs;
// Webhooks decided by the gateway and not yet accepted by the bus, at most.
inline constexpr std::size_t kWebhooksWaitingMax = 1'000'000;

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
  explicit Impl(World& world)
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
        fw_warehouse_client(*world.faults_, *world.warehouse_, "warehouse_client"),
        fulfillment(clock),
        fw_fulfillment(*world.faults_, fulfillment),
        order_service(OrderPorts{clock, fw_order_db, fw_warehouse, fw_payment, &fw_warehouse_client,
                                 !world.options_.order_uses_legacy_warehouse, world.alerts_.get(),
                                 &fw_fulfillment},
                      world.options_.config, world.options_.profile),
        fw_orders(*world.faults_, order_service),
        checkout_ports{clock,      fw_checkout_db, fw_pricing,   fw_shipping,
                       fw_fraud,   fw_payment,     fw_warehouse, fw_promotions,
                       fw_loyalty, fw_locks,       fw_orders,    *world.alerts_},
        checkout_service(checkout_ports, world.options_.config, world.options_.profile),
        checkout_worker(checkout_ports, world.options_.config, world.options_.profile),
        checkout_api(world.kernel_, world.api_replicas_, checkout_service, fw_orders),
        outside_rng(world.rng_.Fork(0x4F555453)),  // "OUTS"
        crash_rng(world.rng_.Fork(0x43525348)),    // "CRSH"
        bus_duplicate(world.faults_->Point("bus.duplicate")),
        bus_delay(world.faults_->Point("bus.delay")),
        bus_fetch(world.faults_->Point("bus.fetch")),
        payment_rng(world.rng_.Fork(0x5041594D)),       // "PAYM"
        cron_rng(world.rng_.Fork(0x43524F4E)),          // "CRON"
        monitor_cron_rng(world.rng_.Fork(0x4D4F4E49)),  // "MONI"
        loop_rng(world.rng_.Fork(0x4C4F4F50)) {}        // "LOOP"

  SimClock clock;
  fakes::FakePricing pricing;
  fakes::FakeShipping shipping{fakes::ShippingRate{kBaseShippingFee, kPerItemShippingFee}};
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
  // The order side's second warehouse interface (the review's warehouseClient, EC-14).
  FaultyWarehouse fw_warehouse_client;
  fakes::FakeFulfillment fulfillment;
  FaultyFulfillment fw_fulfillment;
  OrderService order_service;
  FaultyOrderClient fw_orders;
  CheckoutPorts checkout_ports;
  CheckoutService checkout_service;
  CheckoutWorker checkout_worker;
  CheckoutApi checkout_api;  // what customers call
  // The one pending pump of the bus (World::PumpBusAt): when, and the token of its timer.
  std::optional<TimeUs> bus_pump_at;
  std::uint64_t bus_pump_token = 0;
  bool webhook_pump_scheduled = false;
  // Decided by the gateway, not yet accepted by the bus, by (when due, order decided).
  std::map<std::pair<TimeUs, std::int64_t>, Event> webhooks;
  std::int64_t webhooks_taken = 0;
  std::set<std::string> fulfilling;  // orders the fulfillment service has started on
  Rng outside_rng;                   // decisions of the outside world's services
  Rng crash_rng;                     // restart delays and the fault windows drawn per seed
  FaultPoint* bus_duplicate;         // an acknowledged delivery comes again
  FaultPoint* bus_delay;             // a delivery is held back, so later ones overtake it
  FaultPoint* bus_fetch;             // a consumer's fetch, slowed or failed by the bus's windows
  Rng payment_rng;                   // customers' payment behaviour and webhook delays
  Rng cron_rng;                      // replicas' offsets and late passes (FaultPlan::deployment)
  // The same for the monitors' jobs (World::IsMonitor): watching moves no other job's draw.
  Rng monitor_cron_rng;
  Rng loop_rng;  // the lives of a crash loop's processes (FaultPlan::crash_loop)
  // The crash loop's span, clipped to the faulty phase (StartCrashLoop); empty when none.
  TimeUs loop_from_us = 0;
  TimeUs loop_until_us = 0;
  std::vector<ProcessId> loop_processes;  // the replicas of the crash loop's service
  NameId loop_crash_action = 0;           // "process.crash_loop"
  NameId loop_crash_outcome = 0;          // "fault.crash", as a crash at a port call is recorded
  NameId customer_action = 0;
  NameId deliver_action = 0;
  NameId deliver_held = 0;  // "fault.window": due deliveries held while the bus is down
  // When the last outage that held the bus's deliveries ends (World::PumpBus); 0 if none did.
  TimeUs bus_held_until = 0;
};

}  // namespace csim::sim
