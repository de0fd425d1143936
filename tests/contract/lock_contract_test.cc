// The LockStore contract (core/ports/locks.h), against FakeLockStore and RedisLockStore: what the
// checkout's idempotency lock, its remembered result and the coupon locks rely on.
#include <gtest/gtest.h>

#include "tests/contract/envs.h"

namespace csim::contract {
namespace {

// Short real TTLs keep the suite fast; the fake runs the same figures on its ManualClock.
constexpr DurationUs kTtlUs = 300 * kMillisecondUs;
constexpr DurationUs kPastTtlUs = kTtlUs + 100 * kMillisecondUs;

template <class Env>
using LockContract = ContractTest<Env>;

using LockEnvs = ::testing::Types<FakeLockEnv, RedisLockEnv>;
TYPED_TEST_SUITE(LockContract, LockEnvs, EnvName);

TYPED_TEST(LockContract, ExclusiveUntilItsTtlLapsesThenFree) {
  LockStore& a = this->env.a();
  LockStore& b = this->env.b();
  ASSERT_EQ(RunSync(a.TryAcquire("lock:sess-1:v1", "owner-a", kTtlUs)).value(), true);
  EXPECT_EQ(RunSync(b.TryAcquire("lock:sess-1:v1", "owner-b", kTtlUs)).value(), false);
  EXPECT_EQ(RunSync(a.TryAcquire("lock:sess-1:v1", "owner-a", kTtlUs)).value(), false)
      << "not re-entrant: the holder itself is refused";
  EXPECT_EQ(RunSync(b.Get("lock:sess-1:v1")).value(), std::optional<std::string>{"owner-a"});
  EXPECT_EQ(RunSync(b.TryAcquire("lock:sess-2:v1", "owner-b", kTtlUs)).value(), true)
      << "another key is independent";

  this->env.Wait(kPastTtlUs);
  EXPECT_EQ(RunSync(b.Get("lock:sess-1:v1")).value(), std::nullopt) << "lapsed = absent";
  EXPECT_EQ(RunSync(b.TryAcquire("lock:sess-1:v1", "owner-b", kTtlUs)).value(), true);
  EXPECT_EQ(RunSync(a.Get("lock:sess-1:v1")).value(), std::optional<std::string>{"owner-b"});
}

TYPED_TEST(LockContract, ReleaseNeverDeletesAnotherOwnersKey) {
  LockStore& a = this->env.a();
  LockStore& b = this->env.b();
  ASSERT_EQ(RunSync(a.TryAcquire("coupon:SAVE10", "owner-a", kTtlUs)).value(), true);
  EXPECT_TRUE(RunSync(b.Release("coupon:SAVE10", "owner-b")).ok());
  EXPECT_EQ(RunSync(a.Get("coupon:SAVE10")).value(), std::optional<std::string>{"owner-a"})
      << "a non-owner's release left the key";

  // The owner's TTL lapses and someone else takes the key: the old owner's late release must not
  // free it (compare-and-delete, not DEL).
  this->env.Wait(kPastTtlUs);
  ASSERT_EQ(RunSync(b.TryAcquire("coupon:SAVE10", "owner-b", kTtlUs)).value(), true);
  EXPECT_TRUE(RunSync(a.Release("coupon:SAVE10", "owner-a")).ok());
  EXPECT_EQ(RunSync(a.Get("coupon:SAVE10")).value(), std::optional<std::string>{"owner-b"});

  EXPECT_TRUE(RunSync(b.Release("coupon:SAVE10", "owner-b")).ok());
  EXPECT_EQ(RunSync(a.Get("coupon:SAVE10")).value(), std::nullopt) << "the owner's release frees";
  EXPECT_EQ(RunSync(a.TryAcquire("coupon:SAVE10", "owner-a", kTtlUs)).value(), true);
  EXPECT_TRUE(RunSync(a.Release("coupon:never-taken", "owner-a")).ok()) << "absent key: Ok";
}

TYPED_TEST(LockContract, PutOverwritesWhoeverHeldItAndLapses) {
  LockStore& a = this->env.a();
  LockStore& b = this->env.b();
  EXPECT_EQ(RunSync(a.Get("result:sess-1:v1")).value(), std::nullopt);
  ASSERT_EQ(RunSync(a.TryAcquire("result:sess-1:v1", "owner-a", 10 * kTtlUs)).value(), true);
  ASSERT_TRUE(RunSync(b.Put("result:sess-1:v1", "ord-7", kTtlUs)).ok());
  EXPECT_EQ(RunSync(a.Get("result:sess-1:v1")).value(), std::optional<std::string>{"ord-7"});
  EXPECT_EQ(RunSync(a.TryAcquire("result:sess-1:v1", "owner-a", kTtlUs)).value(), false);
  // Put's TTL replaced the longer one of the acquire.
  this->env.Wait(kPastTtlUs);
  EXPECT_EQ(RunSync(b.Get("result:sess-1:v1")).value(), std::nullopt);
}

TYPED_TEST(LockContract, RefusesEmptyKeysAndNonPositiveTtls) {
  LockStore& a = this->env.a();
  EXPECT_EQ(RunSync(a.TryAcquire("", "v", kTtlUs)).code(), Code::kInvalidArgument);
  EXPECT_EQ(RunSync(a.TryAcquire("k", "v", 0)).code(), Code::kInvalidArgument);
  EXPECT_EQ(RunSync(a.Put("k", "v", -1)).code(), Code::kInvalidArgument);
  EXPECT_EQ(RunSync(a.Put("k", "v", 400 * kDayUs)).code(), Code::kInvalidArgument);
  EXPECT_EQ(RunSync(a.Get("k")).value(), std::nullopt) << "a refused call wrote nothing";
}

TYPED_TEST(LockContract, ValuesAreBinarySafe) {
  LockStore& a = this->env.a();
  const std::string value{"ord-1\0tail \xff", 12};
  ASSERT_TRUE(RunSync(a.Put("result:bin", value, kTtlUs)).ok());
  EXPECT_EQ(RunSync(a.Get("result:bin")).value(), std::optional<std::string>{value});
}

}  // namespace
}  // namespace csim::contract
