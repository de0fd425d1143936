// The task plumbing every fake relies on: work runs when the Task is resumed, never at the call,
// and the Task owns its arguments.
#include "fakes/deferred.h"

#include <gtest/gtest.h>

#include <string>

#include "core/check.h"
#include "fakes/fake_loyalty.h"
#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

TEST(Deferred, RunsOnlyWhenResumed) {
  int runs = 0;
  Task<int> task = Deferred<int>([&runs] { return ++runs; });
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(RunSync(std::move(task)), 1);
  EXPECT_EQ(runs, 1);
}

TEST(Deferred, DestroyedBeforeRunningHasNoEffect) {
  FakeLoyalty loyalty;
  loyalty.SetBalance("alice", 100);
  {
    Task<Status> dropped = loyalty.Redeem("alice", 40, "ref-1");  // a crashed caller's call
  }
  EXPECT_EQ(loyalty.BalanceOf("alice"), 100);
  EXPECT_TRUE(loyalty.Redemptions().empty());
}

TEST(Deferred, TaskOwnsItsArguments) {
  FakeLoyalty loyalty;
  loyalty.SetBalance("alice", 100);
  Task<Status> task = [&loyalty] {
    std::string customer = "alice";
    std::string reference = "ref-1";
    return loyalty.Redeem(customer, 30, reference);  // both strings die before the task runs
  }();
  EXPECT_TRUE(RunSync(std::move(task)).ok());
  EXPECT_EQ(loyalty.BalanceOf("alice"), 70);
  EXPECT_EQ(loyalty.RedeemedActive("ref-1"), 30);
}

TEST(RunSync, RethrowsACheckFailure) {
  Task<int> task = Deferred<int>([]() -> int {
    CSIM_CHECK(false, "boom");
    return 0;
  });
  EXPECT_THROW(RunSync(std::move(task)), CheckFailure);
}

TEST(ManualClock, MovesForwardOnlyAndNeverSleeps) {
  ManualClock clock(5);
  EXPECT_EQ(clock.Now(), 5);
  clock.Advance(10);
  EXPECT_EQ(clock.Now(), 15);
  clock.Set(20);
  EXPECT_EQ(clock.Now(), 20);
  EXPECT_THROW(clock.Set(19), CheckFailure);
  EXPECT_THROW(clock.Advance(-1), CheckFailure);
  EXPECT_THROW((void)clock.Sleep(1), CheckFailure);
}

}  // namespace
}  // namespace csim::fakes
