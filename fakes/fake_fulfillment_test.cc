#include "fakes/fake_fulfillment.h"

#include <gtest/gtest.h>

#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

TEST(FakeFulfillment, ACallOffHoldsTheOrderAndIsRefusedOnceTheGoodsLeft) {
  ManualClock clock{10 * kMinuteUs};
  FakeFulfillment fulfillment{clock};
  EXPECT_EQ(fulfillment.HeldUntil("o1"), std::nullopt);

  Result<TimeUs> held = RunSync(fulfillment.CallOff("o1"));
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held.value(), 40 * kMinuteUs);
  EXPECT_EQ(fulfillment.HeldUntil("o1"), 40 * kMinuteUs);
  // Called again later, the hold runs from then; an earlier one never shortens it.
  clock.Set(20 * kMinuteUs);
  EXPECT_EQ(RunSync(fulfillment.CallOff("o1")).value(), 50 * kMinuteUs);

  // Another order ships; a call-off after that is refused and places no hold.
  fulfillment.Ship("o2");
  EXPECT_EQ(fulfillment.Shipped().at("o2"), 20 * kMinuteUs);
  Result<TimeUs> refused = RunSync(fulfillment.CallOff("o2"));
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition);
  EXPECT_EQ(fulfillment.HeldUntil("o2"), std::nullopt);

  // Once the hold has run out, the held order may ship (nobody cancelled it).
  clock.Set(50 * kMinuteUs);
  fulfillment.Ship("o1");
  EXPECT_EQ(fulfillment.Shipped().size(), 2u);
  EXPECT_EQ(fulfillment.CallOffCount(), 3);
  EXPECT_EQ(fulfillment.RefusedCount(), 1);
  EXPECT_EQ(RunSync(fulfillment.CallOff("")).code(), Code::kInvalidArgument);
}

TEST(FakeFulfillment, AStoppedOrderStaysStoppedAndItsCallOffIsStillAnswered) {
  ManualClock clock{0};
  FakeFulfillment fulfillment{clock};
  EXPECT_FALSE(fulfillment.Stopped("o1"));
  fulfillment.Stop("o1");
  fulfillment.Stop("o1");
  EXPECT_TRUE(fulfillment.Stopped("o1"));
  EXPECT_FALSE(fulfillment.Stopped("o2"));
  // A cancellation retried after fulfilment already stopped the order is held, not refused.
  EXPECT_EQ(RunSync(fulfillment.CallOff("o1")).value(), FakeFulfillment::kHoldUs);
  EXPECT_TRUE(fulfillment.Shipped().empty());
}

}  // namespace
}  // namespace csim::fakes
