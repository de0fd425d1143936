// The first saga end to end in the simulated world: the happy path, the compensation of step 6,
// and finding EC-08 under both behaviours. Figures are read from the fakes' ground truth.
#include "sim/world.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/topics.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_fulfillment.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_warehouse.h"
#include "sim/world_impl.h"

namespace csim::sim {
namespace {

constexpr Money kPrice = 100'000 * kVnd;

Workload OneCustomer(std::int32_t on_hand, std::int32_t quantity,
                     std::optional<std::string> warehouse = "WH-1") {
  Workload w;
  w.stock.push_back({"SKU-1", "WH-1", on_hand});
  w.prices.push_back({"SKU-1", kPrice});
  CustomerScript c;
  c.customer_id = "cust-1";
  c.start_us = kSecondUs;
  c.items.push_back(CartItem{"SKU-1", quantity, std::move(warehouse)});
  c.think_us = 5 * kSecondUs;
  w.customers.push_back(c);
  return w;
}

fakes::StockView Stock(const World& world, const std::string& wh) {
  for (const auto& row : world.warehouse().StockViews(world.kernel().now())) {
    if (row.sku == "SKU-1" && row.warehouse_id == wh) return row;
  }
  return {};
}

TEST(World, HappyPathDeliversTheOrderCommitsStockAndCapturesTheTotal) {
  World world(WorldOptions{}, OneCustomer(5, 2));
  world.Run();
  ASSERT_EQ(world.order_db().Orders().size(), 1u);
  const Order& order = world.order_db().Orders().begin()->second;
  // Captured, confirmed, then moved along by fulfillment and shipping to delivered.
  EXPECT_EQ(order.status, OrderStatus::kDelivered);
  EXPECT_EQ(world.counts().shipments_delivered, 1);
  EXPECT_EQ(order.subtotal, 2 * kPrice);
  EXPECT_EQ(order.total, order.subtotal + order.shipping_fee);
  EXPECT_TRUE(order.reservations_confirmed);
  const auto stock = Stock(world, "WH-1");
  EXPECT_EQ(stock.on_hand, 5);
  EXPECT_EQ(stock.committed, 2);
  EXPECT_EQ(stock.active_reserved, 0);
  EXPECT_EQ(world.payment().TotalCaptured(), order.total);
  EXPECT_EQ(world.checkout_db().Carts().at("cart-1").status, CartStatus::kCompleted);
  EXPECT_EQ(world.checkout_db().Carts().at("cart-1").order_id, order.id);
  EXPECT_EQ(world.counts().orders_placed, 1);
}

TEST(World, OrderCreationFailureRollsBackReservationsAndVoidsTheAuthorization) {
  WorldOptions options;
  options.faults.rules["order.create"] = FaultRule{1'000'000, 0, kMillisecondUs, kMillisecondUs};
  World world(options, OneCustomer(5, 2));
  world.Run();
  EXPECT_TRUE(world.order_db().Orders().empty());
  const auto stock = Stock(world, "WH-1");
  EXPECT_EQ(stock.committed, 0);
  EXPECT_EQ(stock.active_reserved, 0);
  ASSERT_EQ(world.payment().Authorizations().size(), 1u);
  EXPECT_EQ(world.payment().Authorizations()[0].status, fakes::AuthStatus::kVoided);
  EXPECT_EQ(world.payment().TotalCaptured(), 0);
  EXPECT_EQ(world.checkout_db().Carts().at("cart-1").status, CartStatus::kActive);
  EXPECT_EQ(world.counts().checkouts_failed, 1);
  EXPECT_TRUE(world.checkout_db().Compensations().empty());
}

TEST(World, VoidFailureDuringCompensationGoesToTheFailedCompensationQueue) {
  WorldOptions options;
  options.faults.rules["order.create"] = FaultRule{1'000'000, 0, kMillisecondUs, kMillisecondUs};
  options.faults.rules["payment.void"] = FaultRule{1'000'000, 0, kMillisecondUs, kMillisecondUs};
  World world(options, OneCustomer(5, 1));
  world.Run();
  ASSERT_EQ(world.checkout_db().Compensations().size(), 1u);
  const FailedCompensation& queued = world.checkout_db().Compensations().begin()->second;
  EXPECT_EQ(queued.kind, CompensationKind::kVoidAuthorization);
  EXPECT_EQ(queued.subject, world.payment().Authorizations()[0].id);
  EXPECT_EQ(queued.max_attempts, 5);
  EXPECT_EQ(Stock(world, "WH-1").active_reserved, 0);
}

TEST(World, EmptyWarehouseIdOversellsAsReviewedAndIsRefusedWhenFixed) {
  // One unit on hand and a cart line without a warehouse id.
  WorldOptions as_reviewed;
  as_reviewed.profile = Profile::AllFixed();
  as_reviewed.profile.SetAsReviewed(FindingId("EC-08"));
  World bad(as_reviewed, OneCustomer(1, 1, std::nullopt));
  // The cart's soft check passes for one unit; the phantom pool takes the reservation.
  bad.Run();
  ASSERT_EQ(bad.warehouse().Reservations().size(), 1u);
  EXPECT_EQ(bad.warehouse().Reservations()[0].warehouse_id, "");
  EXPECT_EQ(bad.order_db().Orders().size(), 1u);

  World good(WorldOptions{}, OneCustomer(1, 1, std::nullopt));
  good.Run();
  EXPECT_TRUE(good.warehouse().Reservations().empty());
  EXPECT_TRUE(good.order_db().Orders().empty());
  EXPECT_EQ(good.checkout_db().Carts().at("cart-1").status, CartStatus::kActive);
}

TEST(World, SameSeedSameTraceOnManySeeds) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    WorldOptions options;
    options.seed = seed;
    options.faults = FaultPlan::FailBefore(30'000);
    WorkloadOptions w;
    w.orders = 8;
    World a(options, GenerateWorkload(seed, w));
    World b(options, GenerateWorkload(seed, w));
    a.Run();
    b.Run();
    ASSERT_EQ(a.kernel().trace().hash(), b.kernel().trace().hash()) << "seed " << seed;
    ASSERT_GT(a.kernel().trace().size(), 100u);
  }
}

// The traffic level: up to 1,200 customers arrive within the 10-minute window; more stretch it so
// that arrivals average at most 120 a minute.
TEST(Workload, ArrivalsKeepToTheTrafficLevel) {
  for (const auto& [orders, window_minutes] :
       std::vector<std::pair<std::int32_t, std::int64_t>>{{50, 10}, {1200, 10}, {6000, 50}}) {
    WorkloadOptions w;
    w.orders = orders;
    EXPECT_EQ(ArrivalWindowUs(w), window_minutes * kMinuteUs) << orders;
    const Workload workload = GenerateWorkload(7, w);
    ASSERT_EQ(workload.customers.size(), static_cast<std::size_t>(orders));
    TimeUs last_start_us = 0;
    std::map<TimeUs, std::int32_t> per_ten_minutes;
    for (const CustomerScript& customer : workload.customers) {
      last_start_us = std::max(last_start_us, customer.start_us);
      ++per_ten_minutes[customer.start_us / (10 * kMinuteUs)];
    }
    EXPECT_LE(last_start_us, window_minutes * kMinuteUs) << orders;
    EXPECT_GT(last_start_us, (window_minutes - 1) * kMinuteUs) << orders;
    // Uniform arrivals: no ten minutes far above 1,200 (a 10 % margin for chance).
    for (const auto& [bucket, arrivals] : per_ten_minutes) EXPECT_LE(arrivals, 1'320) << bucket;
  }
}

// The times of the trace's records of `action` with `outcome` whose detail begins with `detail`.
std::vector<TimeUs> TimesOf(const World& world, std::string_view action, std::string_view outcome,
                            std::string_view detail = {}) {
  std::vector<TimeUs> times;
  const Trace& trace = world.kernel().trace();
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceRecord& record = trace.at(i);
    if (trace.NameOf(record.action) == action && trace.NameOf(record.outcome) == outcome &&
        trace.DetailOf(record).starts_with(detail)) {
      times.push_back(record.time_us);
    }
  }
  return times;
}

std::size_t CountBefore(const std::vector<TimeUs>& times, TimeUs before_us) {
  return static_cast<std::size_t>(
      std::count_if(times.begin(), times.end(), [&](TimeUs t) { return t < before_us; }));
}

// One customer's order under a window that takes the bus's deliveries down from the start until
// `back_us` ("bus.deliver" only: the events are published and wait in the bus, so what the outage
// does to deliveries alone shows).
struct HeldRun {
  std::vector<TimeUs> delivered;  // every delivery handled ok
  TimeUs confirmed_us = 0;        // the payment's confirmation handled ok
  std::size_t release_rows = 0;   // compensation.reservation_release deliveries handled ok
  std::size_t holds = 0;          // pumps that found deliveries due and the bus down
  OrderStatus status = OrderStatus::kPending;
  Money captured = 0;
  Money refunded = 0;
  Money total = 0;
  TimeUs faults_end_us = 0;
};
HeldRun RunHeld(std::optional<TimeUs> back_us) {
  WorldOptions options;
  if (back_us) options.faults.windows.push_back({"bus.deliver", WindowKind::kOutage, 0, *back_us});
  World world(options, OneCustomer(5, 2));
  world.Run();
  HeldRun run;
  run.delivered = TimesOf(world, "bus.deliver", "ok");
  const std::vector<TimeUs> confirmed =
      TimesOf(world, "bus.deliver", "ok", "payments.payment.confirmed");
  run.confirmed_us = confirmed.empty() ? -1 : confirmed.front();
  run.release_rows = TimesOf(world, "bus.deliver", "ok", topics::kReservationReleaseDlq).size();
  run.holds = TimesOf(world, "bus.deliver", "fault.window").size();
  CSIM_CHECK(world.order_db().Orders().size() == 1, "one order");
  const Order& order = world.order_db().Orders().begin()->second;
  run.status = order.status;
  run.total = order.total;
  run.captured = world.payment().TotalCaptured();
  run.refunded = world.payment().TotalRefunded();
  run.faults_end_us = world.EndTimeUs() - options.drain_us;
  return run;
}

// A broker whose consumers cannot fetch delivers nothing until it is back, and then everything it
// held, still in its log. On a calm day the order's first 4 events are handled within 8 s and all
// 11 within its delivery; with the bus down for its first 10 minutes none is handled before, the
// confirmation waits until the bus is back, and the order still ends delivered (its reservation
// lasts 15 minutes).
TEST(World, NothingIsDeliveredWhileTheBusIsDownAndEveryEventAfter) {
  const HeldRun calm = RunHeld(std::nullopt);
  EXPECT_EQ(calm.delivered.size(), 11u);
  EXPECT_EQ(CountBefore(calm.delivered, 10 * kSecondUs), 4u);
  EXPECT_LT(calm.confirmed_us, 10 * kSecondUs);
  EXPECT_EQ(calm.holds, 0u);
  EXPECT_EQ(calm.status, OrderStatus::kDelivered);

  const HeldRun held = RunHeld(10 * kMinuteUs);
  EXPECT_EQ(CountBefore(held.delivered, 10 * kMinuteUs), 0u);
  EXPECT_EQ(held.delivered.size(), 11u);
  EXPECT_GE(held.confirmed_us, 10 * kMinuteUs);
  EXPECT_LT(held.confirmed_us, 11 * kMinuteUs);
  EXPECT_EQ(held.holds, 1u);  // one hold: later pumps wait for the bus
  EXPECT_EQ(held.status, OrderStatus::kDelivered);
  EXPECT_EQ(held.captured, held.total);
  EXPECT_EQ(held.refunded, 0);
}

// Held for 20 minutes, the confirmation comes after the order's 15-minute reservation lapsed: the
// warehouse's reservation_expired (published at 16 minutes, held too) cancels the order once the
// bus is back, and the money captured by the capture retries is refunded in full.
TEST(World, AConfirmationHeldPastTheReservationEndsInACancelledRefundedOrder) {
  const HeldRun held = RunHeld(20 * kMinuteUs);
  EXPECT_EQ(CountBefore(held.delivered, 20 * kMinuteUs), 0u);
  EXPECT_GE(held.confirmed_us, 20 * kMinuteUs);
  EXPECT_EQ(held.status, OrderStatus::kRefunded);
  EXPECT_EQ(held.captured, held.total);
  EXPECT_EQ(held.refunded, held.total);
}

// An outage that would outlast the faulty phase ends with it, as every window does: the liveness
// phase delivers what the bus held as soon as faults go off (at the world's first event after the
// faulty phase, here 30 s on), not when the window would end. Its reservation lapsed meanwhile.
// The cancellation commits its reservation's release row (SIM-30 fixed), delivered with the rest:
// 9 deliveries, 8 before that fix.
TEST(World, ABusHeldPastTheFaultyPhaseDeliversWhenFaultsGoOff) {
  const HeldRun held = RunHeld(100 * kHourUs);
  ASSERT_FALSE(held.delivered.empty());
  EXPECT_EQ(CountBefore(held.delivered, held.faults_end_us), 0u);
  EXPECT_LT(held.delivered.front(), held.faults_end_us + kMinuteUs);
  EXPECT_EQ(held.delivered.size(), 9u);
  EXPECT_EQ(held.release_rows, 1u);
  EXPECT_EQ(held.status, OrderStatus::kRefunded);
}

}  // namespace
}  // namespace csim::sim

namespace csim::sim {
namespace {

// The one order of a world that has run, checked delivered, never cancelled, and shipped.
const Order& OnlyOrderDeliveredNeverCancelled(const World& world) {
  CSIM_CHECK(world.order_db().Orders().size() == 1, "one order");
  const Order& order = world.order_db().Orders().begin()->second;
  EXPECT_EQ(order.status, OrderStatus::kDelivered);
  EXPECT_FALSE(order.cancelled_at.has_value());
  EXPECT_TRUE(world.fulfilment_shipped().contains(order.id));
  return order;
}

// When events about an order's `processing` were published: fulfilment's own, then the order
// service's status change.
std::vector<TimeUs> ProcessingPublished(const World& world) {
  std::vector<TimeUs> times;
  const Trace& trace = world.kernel().trace();
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceRecord& record = trace.at(i);
    if (trace.NameOf(record.action) == "bus.publish" &&
        trace.DetailOf(record).find(":processing") != std::string_view::npos) {
      times.push_back(record.time_us);
    }
  }
  return times;
}

// SIM-44 fixed: a customer's cancellation that placed fulfilment's hold and never committed
// (each of the customer's three attempts timed out after the call-off took effect) leaves a live
// order; once the hold has run out fulfilment asks the order service, finds the order live, and
// ships it. The order is delivered, not stuck in a hold.
TEST(World, AHeldOrderWhoseCancellationNeverCommittedShipsAfterTheHold) {
  Workload workload = OneCustomer(5, 1);
  workload.customers[0].cancel_after_us = 3 * kMinuteUs;
  WorldOptions options;
  for (std::uint64_t call = 1; call <= 3; ++call) {
    options.faults.triggers.push_back({"fulfillment.call_off", call, FaultKind::kFailAfter});
  }
  World world(options, workload);
  world.Run();
  const Order& order = OnlyOrderDeliveredNeverCancelled(world);
  EXPECT_EQ(world.counts().cancellations_requested, 1);
  std::vector<TimeUs> call_offs;
  const Trace& trace = world.kernel().trace();
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceRecord& record = trace.at(i);
    if (trace.NameOf(record.action) == "fulfillment.call_off") call_offs.push_back(record.time_us);
  }
  ASSERT_EQ(call_offs.size(), 3u);
  const std::vector<TimeUs> processing = ProcessingPublished(world);
  ASSERT_FALSE(processing.empty());
  const std::optional<TimeUs> processing_at = processing.front();
  // Each attempt held it again; fulfilment's first step waited for the last hold to run out.
  const TimeUs hold_end = call_offs.back() + fakes::FakeFulfillment::kHoldUs;
  EXPECT_GE(*processing_at, hold_end);
  EXPECT_LT(*processing_at, hold_end + kSecondUs);
  // Without the cancellation the same world ships it that much sooner.
  workload.customers[0].cancel_after_us = 0;
  World uncancelled(WorldOptions{}, workload);
  uncancelled.Run();
  ASSERT_EQ(uncancelled.fulfilment_shipped().size(), 1u);
  EXPECT_LT(uncancelled.fulfilment_shipped().begin()->second + 20 * kMinuteUs,
            world.fulfilment_shipped().at(order.id));
}

// A fulfilment service that is down answers no call-off and ships nothing. Fulfilment hears of the
// order's confirmation in its first seconds; it goes down a minute in for 30 minutes, before its
// first step (2 to 10 minutes after it heard). The customer cancels 3 minutes in: each of the three
// attempts fails at the call-off, so nothing is cancelled (SIM-44 fixed), and fulfilment takes its
// first step once it is back and delivers the order. The same world without the outage cancels and
// refunds the order, which never ships.
TEST(World, ACancellationWhileFulfilmentIsDownIsRefusedAndTheOrderShipsAfter) {
  Workload workload = OneCustomer(5, 1);
  workload.customers[0].cancel_after_us = 3 * kMinuteUs;
  constexpr TimeUs kBackUs = 31 * kMinuteUs;
  WorldOptions options;
  options.faults.windows.push_back({"fulfillment.", WindowKind::kOutage, kMinuteUs, kBackUs});
  World world(options, workload);
  world.Run();
  const Order& order = OnlyOrderDeliveredNeverCancelled(world);
  EXPECT_EQ(world.payment().TotalCaptured(), order.total);
  EXPECT_EQ(world.payment().TotalRefunded(), 0);
  EXPECT_EQ(TimesOf(world, "fulfillment.call_off", "fault.window").size(), 3u);
  EXPECT_EQ(TimesOf(world, "fulfillment.call_off", "ok").size(), 0u);
  const std::vector<TimeUs> processing = ProcessingPublished(world);
  // Fulfilment's event, then the order service's status change, once fulfilment is back.
  ASSERT_EQ(processing.size(), 2u);
  EXPECT_GE(processing.front(), kBackUs);
  EXPECT_LT(processing.front(), kBackUs + kMinuteUs);

  World calm(WorldOptions{}, workload);
  calm.Run();
  const Order& cancelled = calm.order_db().Orders().begin()->second;
  EXPECT_EQ(cancelled.status, OrderStatus::kRefunded);
  EXPECT_EQ(calm.payment().TotalRefunded(), cancelled.total);
  EXPECT_EQ(TimesOf(calm, "fulfillment.call_off", "ok").size(), 1u);
  EXPECT_TRUE(calm.fulfilment_shipped().empty());
}

TEST(World, CancelledPaidOrderIsRefundedOnlyWhenTheRefundConsumerExists) {
  Workload workload = OneCustomer(5, 1);
  workload.customers[0].cancel_after_us = 3 * kMinuteUs;  // after capture, before fulfillment
  for (bool fixed : {true, false}) {
    WorldOptions options;
    if (!fixed) options.profile.SetAsReviewed(FindingId("P0-CC-01"));
    World world(options, workload);
    world.Run();
    ASSERT_EQ(world.order_db().Orders().size(), 1u);
    const Order& order = world.order_db().Orders().begin()->second;
    const auto& money = world.payment().Orders().at(order.id);
    EXPECT_EQ(money.captured, order.total);
    EXPECT_EQ(money.refunded, order.total);  // the gateway refunded under both profiles
    EXPECT_EQ(order.status, fixed ? OrderStatus::kRefunded : OrderStatus::kCancelled);
    EXPECT_EQ(world.counts().cancellations_requested, 1);
  }
}

}  // namespace
}  // namespace csim::sim

namespace csim::sim {
namespace {

// Deliveries and destinations abroad are drawn after everything else, from streams of their own:
// with them switched off a seed's workload is the one it was before they existed, customers'
// countries aside.
TEST(Workload, DeliveriesAndAbroadLeaveEveryEarlierDrawAsItWas) {
  WorkloadOptions with;
  with.orders = 2'000;
  WorkloadOptions without = with;
  without.deliveries = 0;
  without.country_rate_changes = 0;
  for (std::uint64_t seed : {1u, 2u, 99u}) {
    const Workload a = GenerateWorkload(seed, with);
    Workload b = GenerateWorkload(seed, without);
    ASSERT_EQ(a.changes.size(), b.changes.size() + 3) << seed;  // 2 deliveries, 1 rate abroad
    EXPECT_TRUE(std::equal(b.changes.begin(), b.changes.end(), a.changes.begin())) << seed;
    std::int32_t abroad = 0;
    for (std::size_t c = 0; c < a.customers.size(); ++c) {
      EXPECT_EQ(a.customers[c].country, b.customers[c].country) << seed;  // same stream
      if (!a.customers[c].country.empty()) ++abroad;
      b.customers[c].country = a.customers[c].country;
    }
    EXPECT_EQ(a.customers, b.customers) << seed;
    // One customer in ten ships abroad: 200 expected of 2,000.
    EXPECT_GT(abroad, 150) << seed;
    EXPECT_LT(abroad, 250) << seed;
    const auto first_new = a.changes.end() - 3;
    for (auto it = first_new; it != a.changes.end() - 1; ++it) {
      EXPECT_EQ(it->kind, WorldChangeKind::kDelivery);
      EXPECT_GE(it->value, 1);
      EXPECT_LE(it->value, 2 + with.orders / 4);
      EXPECT_LE(it->at_us, ArrivalWindowUs(with) + kHourUs);
    }
    EXPECT_EQ(a.changes.back().kind, WorldChangeKind::kShippingChange);
    EXPECT_EQ(a.changes.back().subject.size(), 2u);
    EXPECT_EQ(ValidateWorkload(a), "");
  }
}

// Customers who leave on an outage: half of them come back 5 to 60 minutes later (a stream of its
// own, so every other draw of the workload stays as it was).
TEST(Workload, HalfOfTheCustomersComeBackAfterAnOutage) {
  WorkloadOptions options;
  options.orders = 2'000;
  const Workload a = GenerateWorkload(5, options);
  std::int32_t returning = 0;
  for (const CustomerScript& c : a.customers) {
    if (c.return_after_us == 0) continue;
    ++returning;
    EXPECT_GE(c.return_after_us, 5 * kMinuteUs);
    EXPECT_LE(c.return_after_us, kHourUs);
  }
  EXPECT_GT(returning, 900);
  EXPECT_LT(returning, 1100);
  Workload bad = OneCustomer(5, 1);
  bad.customers[0].return_after_us = kReturnAfterMaxUs + 1;
  EXPECT_EQ(ValidateWorkload(bad), "customers[0].return_after_us: must be 0..7200000000 us");
}

// A customer whose confirm meets a payment outage (a failure that may pass) comes back the
// scripted time after leaving, finds the cart and its item kept, and places the order; without a
// return the checkout stays failed. A customer refused for want of stock does not come back.
TEST(World, ACustomerWhoLeftOnAnOutageComesBackAndOrders) {
  auto run = [](std::int32_t on_hand, DurationUs return_after_us) {
    WorldOptions options;
    FaultWindow outage;
    outage.points = "payment.";
    outage.kind = WindowKind::kOutage;
    outage.from_us = 0;
    outage.until_us = 3 * kMinuteUs;
    options.faults.windows.push_back(outage);
    Workload workload = OneCustomer(on_hand, 1);
    workload.customers[0].return_after_us = return_after_us;
    auto world = std::make_unique<World>(options, workload);
    world->Run();
    return world;
  };
  auto returns_of = [](const World& world) {
    std::int32_t returns = 0;
    const Trace& trace = world.kernel().trace();
    for (std::size_t i = 0; i < trace.size(); ++i) {
      if (trace.NameOf(trace.at(i).outcome) == "returned") ++returns;
    }
    return returns;
  };
  const auto back = run(5, 10 * kMinuteUs);
  EXPECT_EQ(returns_of(*back), 1);
  ASSERT_EQ(back->order_db().Orders().size(), 1u);
  const Order& order = back->order_db().Orders().begin()->second;
  EXPECT_GE(order.created_at, 10 * kMinuteUs);  // placed on the second visit
  EXPECT_EQ(order.status, OrderStatus::kDelivered);
  EXPECT_EQ(order.subtotal, kPrice);  // the item the first visit added, once
  EXPECT_EQ(back->counts().orders_placed, 1);
  EXPECT_EQ(back->counts().checkouts_started, 1);
  EXPECT_EQ(back->counts().checkouts_failed, 0);

  const auto gone = run(5, 0);
  EXPECT_EQ(returns_of(*gone), 0);
  EXPECT_EQ(gone->order_db().Orders().size(), 0u);
  EXPECT_EQ(gone->counts().checkouts_failed, 1);

  const auto sold_out = run(0, 10 * kMinuteUs);
  EXPECT_EQ(returns_of(*sold_out), 0);
  EXPECT_EQ(sold_out->order_db().Orders().size(), 0u);
}

TEST(Workload, BadCountriesAndDeliveriesAreNamedWhereTheyAre) {
  Workload bad_country = OneCustomer(5, 1);
  bad_country.customers[0].country = "sg";
  EXPECT_EQ(ValidateWorkload(bad_country),
            "customers[0].country: \"sg\" is not \"\" or a 2-letter country code");
  Workload bad_rate = OneCustomer(5, 1);
  bad_rate.changes.push_back({0, WorldChangeKind::kShippingChange, "SGP", "", 1});
  EXPECT_EQ(ValidateWorkload(bad_rate),
            "changes[0].subject: \"SGP\" is not \"\" or a 2-letter country code");
  Workload empty_delivery = OneCustomer(5, 1);
  empty_delivery.changes.push_back({0, WorldChangeKind::kDelivery, "SKU-1", "WH-1", 0});
  EXPECT_EQ(ValidateWorkload(empty_delivery), "changes[0].value: a delivery carries 1..1000 units");
  Workload unknown_sku = OneCustomer(5, 1);
  unknown_sku.changes.push_back({0, WorldChangeKind::kDelivery, "SKU-9", "WH-1", 3});
  EXPECT_EQ(ValidateWorkload(unknown_sku), "changes[0].subject: SKU-9 has no price");
}

// A sold-out sku delivered before the customer arrives is sold; the delivery is on hand.
TEST(World, ASupplierDeliveryPutsUnitsOnHandForTheNextCustomer) {
  for (bool delivered : {false, true}) {
    Workload workload = OneCustomer(0, 2);
    if (delivered) workload.changes.push_back({0, WorldChangeKind::kDelivery, "SKU-1", "WH-1", 3});
    World world(WorldOptions{}, workload);
    world.Run();
    EXPECT_EQ(world.order_db().Orders().size(), delivered ? 1u : 0u);
    const auto stock = Stock(world, "WH-1");
    EXPECT_EQ(stock.on_hand, delivered ? 3 : 0);
    EXPECT_EQ(stock.committed, delivered ? 2 : 0);
  }
}

// A new rate for one destination changes the fee of the customers shipping there only.
TEST(World, ARateChangeForOneCountryChangesOnlyItsCustomersFees) {
  Workload workload = OneCustomer(10, 1);
  CustomerScript abroad = workload.customers[0];
  abroad.customer_id = "cust-2";
  abroad.country = "SG";
  workload.customers.push_back(abroad);
  constexpr Money kPerItemAbroad = 15'000 * kVnd;
  workload.changes.push_back({0, WorldChangeKind::kShippingChange, "SG", "", kPerItemAbroad});
  World world(WorldOptions{}, workload);
  world.Run();
  ASSERT_EQ(world.order_db().Orders().size(), 2u);
  std::map<std::string, Money> fee_by_customer;
  for (const auto& [id, order] : world.order_db().Orders()) {
    fee_by_customer[order.customer_id] = order.shipping_fee;
  }
  EXPECT_EQ(fee_by_customer.at("cust-1"), kBaseShippingFee + kPerItemShippingFee);
  EXPECT_EQ(fee_by_customer.at("cust-2"), kBaseShippingFee + kPerItemAbroad);
}

// A broker that goes down while a consumer handles one of its deliveries never gets the ack: the
// delivery comes again once the broker is back, and the consumer's dedup makes the second one a
// no-op. The window opens 1 us before the payment confirmation's handler finishes on a calm run
// (the same run up to then), for 10 minutes.
TEST(World, AnAckLostToABusOutageIsDeliveredAgainAfterIt) {
  World calm(WorldOptions{}, OneCustomer(5, 2));
  calm.Run();
  const std::vector<TimeUs> calm_confirmed =
      TimesOf(calm, "bus.deliver", "ok", "payments.payment.confirmed");
  ASSERT_EQ(calm_confirmed.size(), 1u);
  const TimeUs down_us = calm_confirmed.front() - 1;
  WorldOptions options;
  options.faults.windows.push_back(
      {"bus.deliver", WindowKind::kOutage, down_us, down_us + 10 * kMinuteUs});
  World lost(options, OneCustomer(5, 2));
  lost.Run();
  const std::vector<TimeUs> confirmed =
      TimesOf(lost, "bus.deliver", "ok", "payments.payment.confirmed");
  ASSERT_EQ(confirmed.size(), 2u);
  EXPECT_EQ(confirmed.front(), calm_confirmed.front());   // handled, its ack lost
  EXPECT_GE(confirmed.back(), down_us + 10 * kMinuteUs);  // again once the bus is back
  EXPECT_LT(confirmed.back(), down_us + 11 * kMinuteUs);
  // The bus recorded one delivery of it to the order worker, refused once (the lost ack) and then
  // acknowledged; the order was confirmed once and ends as on the calm day.
  const auto& records = lost.bus().Deliveries();
  const auto record = std::find_if(records.begin(), records.end(), [](const auto& r) {
    return r.topic() == "payments.payment.confirmed";
  });
  ASSERT_NE(record, records.end());
  EXPECT_EQ(record->nacks, 1);
  EXPECT_TRUE(record->acked);
  ASSERT_EQ(lost.order_db().Orders().size(), 1u);
  const Order& order = lost.order_db().Orders().begin()->second;
  EXPECT_EQ(order.status, OrderStatus::kDelivered);
  EXPECT_EQ(lost.payment().TotalCaptured(), order.total);
  EXPECT_EQ(Stock(lost, "WH-1").committed, 2);
}

}  // namespace
}  // namespace csim::sim
