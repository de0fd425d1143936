// Crashes in the whole world: a process dies at a port call, loses what it had in memory, keeps
// what the fakes hold, and is restarted; the system must still settle. Figures come from the
// fakes' ground truth.
#include <gtest/gtest.h>

#include "fakes/fake_checkout_store.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_warehouse.h"
#include "sim/world.h"

namespace csim::sim {
namespace {

WorldOptions CrashAt(const std::string& point, std::uint64_t call, FaultKind kind) {
  WorldOptions options;
  options.faults.triggers.push_back({point, call, kind});
  return options;
}

TEST(WorldCrash, CheckoutApiDyingRightAfterTheOrderIsCreatedStillSettlesTheOrder) {
  // The saga's order creation commits, then checkout-api dies before it hears back: the
  // finalization (cart completed, capture requested) never runs in the saga. The customer's
  // request times out; the cart cleanup must finish what the saga began.
  World world(CrashAt("order.create", 1, FaultKind::kCrashAfter), OneCustomerWorkload());
  world.Run();
  EXPECT_EQ(world.CrashCounts(), (std::map<std::string, std::uint64_t>{{"checkout-api", 1}}));
  EXPECT_EQ(world.faults().points().at("order.create").crashed, 1u);
  ASSERT_EQ(world.order_db().Orders().size(), 1u);
  const Order& order = world.order_db().Orders().begin()->second;
  EXPECT_NE(order.status, OrderStatus::kPending);
  const Cart& cart = world.checkout_db().Carts().at("cart-1");
  EXPECT_NE(cart.status, CartStatus::kCheckout);  // nobody left it stuck
  // Money and stock agree with the order's fate, whichever it was.
  const auto& money = world.payment().Orders();
  if (order.status == OrderStatus::kCancelled || order.status == OrderStatus::kRefunded) {
    EXPECT_EQ(world.payment().TotalCaptured() - world.payment().TotalRefunded(), 0);
  } else {
    ASSERT_TRUE(money.contains(order.id));
    EXPECT_EQ(money.at(order.id).captured, order.total);
  }
  EXPECT_EQ(world.checkout_db().Carts().size(), 1u);
}

TEST(WorldCrash, OrderWorkerDyingInsideAConsumerGetsTheEventAgainAfterRestart) {
  // The order worker dies right after its first commit inside a consumer (the capture request):
  // the delivery it had in flight is handed to it again once the supervisor restarts it.
  World world(CrashAt("order_db.is_processed", 1, FaultKind::kCrashBefore), OneCustomerWorkload());
  world.Run();
  EXPECT_EQ(world.CrashCounts(), (std::map<std::string, std::uint64_t>{{"order-worker", 1}}));
  ASSERT_EQ(world.order_db().Orders().size(), 1u);
  const Order& order = world.order_db().Orders().begin()->second;
  EXPECT_EQ(order.status, OrderStatus::kDelivered);
  EXPECT_EQ(world.payment().TotalCaptured(), order.total);
  EXPECT_EQ(world.bus().InFlightCount(), 0u);
  EXPECT_EQ(world.bus().QueuedCount(), 0u);
}

TEST(WorldCrash, CustomersAreNotCrashedWithTheServer) {
  // checkout-api dies on the customer's first call; the customer (a process of its own) sees a
  // timeout or a refused connection and its later attempt goes through.
  Workload workload = OneCustomerWorkload();
  workload.customers[0].confirm_attempts = 2;
  World world(CrashAt("pricing.unit_prices", 1, FaultKind::kCrashBefore), workload);
  world.Run();
  EXPECT_EQ(world.CrashCounts(), (std::map<std::string, std::uint64_t>{{"checkout-api", 1}}));
  EXPECT_EQ(world.counts().orders_placed, 1);
  ASSERT_EQ(world.order_db().Orders().size(), 1u);
  EXPECT_EQ(world.order_db().Orders().begin()->second.status, OrderStatus::kDelivered);
}

TEST(WorldCrash, SameSeedSameCrashesSameTrace) {
  for (std::uint64_t seed : {3u, 17u, 41u}) {
    WorldOptions options;
    options.seed = seed;
    options.faults = FaultPlan::Chaos();
    WorkloadOptions w;
    w.orders = 20;
    World a(options, GenerateWorkload(seed, w));
    World b(options, GenerateWorkload(seed, w));
    a.Run();
    b.Run();
    EXPECT_EQ(a.kernel().trace().hash(), b.kernel().trace().hash()) << "seed " << seed;
    EXPECT_EQ(a.CrashCounts(), b.CrashCounts());
    EXPECT_EQ(a.faults().windows().size(), 6u);
  }
}

// A bad deploy of the order worker (FaultPlan::crash_loop): from minute 10 to minute 20 it dies 3
// to 9 s after each start and is restarted 5 to 90 s later, so it crashes every 8 to 99 s of the
// loop; before and after it, and the other services, never. The one customer's order still ends
// delivered and paid once the loop is over.
TEST(WorldCrash, ACrashLoopKillsItsServiceAfterEveryStartUntilTheRollback) {
  WorldOptions options;
  options.faults.crash_loop =
      CrashLoop{"order-worker", 10 * kMinuteUs, 10 * kMinuteUs, 3 * kSecondUs, 9 * kSecondUs};
  World world(options, OneCustomerWorkload());
  world.Run();
  const Trace& trace = world.kernel().trace();
  std::int32_t loop_crashes = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceRecord& r = trace.at(i);
    if (trace.NameOf(r.action) != "process.crash_loop") continue;
    ++loop_crashes;
    EXPECT_EQ(world.kernel().ProcessName(r.process), "order-worker");
    EXPECT_EQ(trace.NameOf(r.outcome), "fault.crash");
    EXPECT_GE(r.time_us, 10 * kMinuteUs + 3 * kSecondUs);  // a life after the rollout
    EXPECT_LT(r.time_us, 20 * kMinuteUs);                  // none after the rollback
  }
  EXPECT_GE(loop_crashes, 600 / 99);
  EXPECT_LE(loop_crashes, 600 / 8);
  EXPECT_EQ(world.CrashCounts(), (std::map<std::string, std::uint64_t>{
                                     {"order-worker", static_cast<std::uint64_t>(loop_crashes)}}));
  ASSERT_EQ(world.order_db().Orders().size(), 1u);
  const Order& order = world.order_db().Orders().begin()->second;
  EXPECT_EQ(order.status, OrderStatus::kDelivered);
  EXPECT_EQ(world.payment().TotalCaptured(), order.total);
}

}  // namespace
}  // namespace csim::sim
