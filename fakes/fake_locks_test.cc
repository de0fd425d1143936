#include "fakes/fake_locks.h"

#include <gtest/gtest.h>

#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

constexpr DurationUs kLockTtlUs = 15 * kMinuteUs;

TEST(FakeLockStore, TryAcquireHonoursTtl) {
  ManualClock clock{0};
  FakeLockStore locks{clock};
  EXPECT_TRUE(RunSync(locks.TryAcquire("lock:s1", "owner-a", kLockTtlUs)).value());
  EXPECT_FALSE(RunSync(locks.TryAcquire("lock:s1", "owner-b", kLockTtlUs)).value());
  EXPECT_EQ(RunSync(locks.Get("lock:s1")).value(), "owner-a");

  clock.Set(kLockTtlUs - 1);
  EXPECT_FALSE(RunSync(locks.TryAcquire("lock:s1", "owner-b", kLockTtlUs)).value());
  clock.Set(kLockTtlUs);
  EXPECT_EQ(RunSync(locks.Get("lock:s1")).value(), std::nullopt) << "lapsed = absent";
  EXPECT_TRUE(locks.LiveKeys(clock.Now()).empty());
  EXPECT_TRUE(RunSync(locks.TryAcquire("lock:s1", "owner-b", kLockTtlUs)).value());

  // The old owner's late release must not free the new owner's lock.
  EXPECT_TRUE(RunSync(locks.Release("lock:s1", "owner-a")).ok());
  EXPECT_EQ(RunSync(locks.Get("lock:s1")).value(), "owner-b");
  EXPECT_TRUE(RunSync(locks.Release("lock:s1", "owner-b")).ok());
  EXPECT_EQ(RunSync(locks.Get("lock:s1")).value(), std::nullopt);
  EXPECT_EQ(locks.AcquiredCount(), 2);
  EXPECT_EQ(locks.ContendedCount(), 2);

  EXPECT_EQ(RunSync(locks.TryAcquire("lock:s2", "x", 0)).code(), Code::kInvalidArgument);
}

TEST(FakeLockStore, CountsLocksThatLapsedWhileTheirHolderStillHeldThem) {
  ManualClock clock{0};
  FakeLockStore locks{clock};
  // a's holder comes back after its TTL: released late, nobody took it meanwhile.
  EXPECT_TRUE(RunSync(locks.TryAcquire("lock:a", "s1", kLockTtlUs)).value());
  // b's holder never comes back; someone else takes it after the TTL.
  EXPECT_TRUE(RunSync(locks.TryAcquire("lock:b", "s2", kLockTtlUs)).value());
  // c is released in time and taken again: neither count moves.
  EXPECT_TRUE(RunSync(locks.TryAcquire("lock:c", "s3", kLockTtlUs)).value());
  EXPECT_TRUE(RunSync(locks.Release("lock:c", "s3")).ok());
  clock.Set(kLockTtlUs + kMinuteUs);
  EXPECT_TRUE(RunSync(locks.TryAcquire("lock:c", "s3", kLockTtlUs)).value());
  EXPECT_TRUE(RunSync(locks.Release("lock:a", "s1")).ok());
  EXPECT_TRUE(RunSync(locks.TryAcquire("lock:b", "s4", kLockTtlUs)).value());
  EXPECT_EQ(locks.ReleasedAfterLapseCount(), 1);
  EXPECT_EQ(locks.RetakenAfterLapseCount(), 1);
  // The late release left nothing behind: taking a again is no retake.
  EXPECT_TRUE(RunSync(locks.TryAcquire("lock:a", "s5", kLockTtlUs)).value());
  EXPECT_EQ(locks.RetakenAfterLapseCount(), 1);
  EXPECT_EQ(locks.AcquiredCount(), 6);
}

// The history of holdings: a release (even a late one) ends the holding that granted the key; a
// key that lapsed and was retaken leaves the first holding unreleased, and the old holder's late
// release cannot end the new one.
TEST(FakeLockStore, HoldsRecordEachGrantAndWhetherItsHolderReleasedIt) {
  ManualClock clock{0};
  FakeLockStore locks{clock};
  ASSERT_TRUE(RunSync(locks.TryAcquire("coupon:A", "sess-1", kLockTtlUs)).value());
  ASSERT_TRUE(RunSync(locks.TryAcquire("coupon:B", "sess-2", kLockTtlUs)).value());
  ASSERT_FALSE(RunSync(locks.TryAcquire("coupon:A", "sess-3", kLockTtlUs)).value());
  clock.Set(kMinuteUs);
  ASSERT_TRUE(RunSync(locks.Release("coupon:A", "sess-1")).ok());
  clock.Set(kLockTtlUs + kMinuteUs);  // coupon:B lapsed unreleased
  ASSERT_TRUE(RunSync(locks.TryAcquire("coupon:B", "sess-4", kLockTtlUs)).value());
  ASSERT_TRUE(RunSync(locks.Release("coupon:B", "sess-2")).ok());  // too late: sess-4's now

  const std::vector<LockHold>& holds = locks.Holds();
  ASSERT_EQ(holds.size(), 3u);  // the refused acquisition is no holding
  EXPECT_EQ(holds[0], (LockHold{"coupon:A", "sess-1", 0, kLockTtlUs, kMinuteUs}));
  EXPECT_EQ(holds[1], (LockHold{"coupon:B", "sess-2", 0, kLockTtlUs, std::nullopt}));
  EXPECT_EQ(holds[2].value, "sess-4");
  EXPECT_EQ(holds[2].acquired_at, kLockTtlUs + kMinuteUs);
  EXPECT_FALSE(holds[2].released_at.has_value());
  ASSERT_TRUE(RunSync(locks.Release("coupon:B", "sess-4")).ok());
  EXPECT_EQ(locks.Holds()[2].released_at, kLockTtlUs + kMinuteUs);
}

TEST(FakeLockStore, PutOverwritesWhoeverHeldIt) {
  ManualClock clock{0};
  FakeLockStore locks{clock};
  ASSERT_TRUE(RunSync(locks.TryAcquire("result:s1", "a", kMinuteUs)).value());
  EXPECT_TRUE(RunSync(locks.Put("result:s1", "ord-1", kDayUs)).ok());
  clock.Advance(kHourUs);
  std::map<std::string, LockEntry> live = locks.LiveKeys(clock.Now());
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live.at("result:s1"), (LockEntry{"ord-1", kDayUs}));
}

}  // namespace
}  // namespace csim::fakes
