#pragma once
// The implementations each contract suite runs against: the fake (on a ManualClock: its time is
// simulated) and the real adapter (on the throwaway servers of servers.h: real time). A suite is a
// typed test over these environments; the test body is the same for both, so a difference in
// behaviour fails on one of them. Start() of a real environment reports why a server is missing;
// the fixture fails the test with that message (never a silent skip).

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "adapters/pg_checkout_store.h"
#include "adapters/pg_order_store.h"
#include "adapters/redis_event_bus.h"
#include "adapters/redis_lock_store.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_event_bus.h"
#include "fakes/fake_locks.h"
#include "fakes/fake_order_store.h"
#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"
#include "tests/contract/servers.h"

namespace csim {
// Status codes by name in test failures (gtest would print their bytes).
inline void PrintTo(Code code, std::ostream* os) {
  *os << CodeName(code);
}
}  // namespace csim

namespace csim::contract {

using fakes::ManualClock;
using fakes::RunSync;

// The application clock's start in every store suite (row times are values of this clock).
inline constexpr TimeUs kStartUs = 1'000 * kSecondUs;

// A key prefix no other test of this run uses (Redis keeps keys across tests).
inline std::string UniquePrefix() {
  static int counter = 0;
  return "csim-test-" + std::to_string(++counter) + ":";
}

// Real time: a bounded sleep (TTL and redelivery tests only).
inline void SleepReal(DurationUs duration_us) {
  std::this_thread::sleep_for(std::chrono::microseconds{duration_us});
}

// Runs `sql` on the throwaway PostgreSQL (test setup and inspection only).
inline pqxx::result PgExec(const std::string& url, const std::string& sql) {
  pqxx::connection connection{url};
  pqxx::work tx{connection};
  pqxx::result result = tx.exec(sql);
  tx.commit();
  return result;
}

inline Status RedisReady() {
  return SharedServers().redis_status;
}
inline Status PostgresReady() {
  return SharedServers().postgres_status;
}

// ---- Locks ----

struct FakeLockEnv {
  static constexpr const char* kName = "fake";
  ManualClock clock{kStartUs};
  fakes::FakeLockStore store_a{clock};
  Status Start() { return Status::Ok(); }
  LockStore& a() { return store_a; }
  LockStore& b() { return store_a; }  // one store: clients share it
  void Wait(DurationUs duration_us) { clock.Advance(duration_us); }
};

struct RedisLockEnv {
  static constexpr const char* kName = "redis";
  std::unique_ptr<adapters::RedisLockStore> store_a;
  std::unique_ptr<adapters::RedisLockStore> store_b;  // a second client, its own connection
  Status Start() {
    if (Status ready = RedisReady(); !ready.ok()) return ready;
    const std::string prefix = UniquePrefix();
    for (auto* store : {&store_a, &store_b}) {
      auto opened = adapters::RedisLockStore::Open(SharedServers().redis.url(), prefix);
      if (!opened.ok()) return opened.status();
      *store = std::move(opened).value();
    }
    return Status::Ok();
  }
  LockStore& a() { return *store_a; }
  LockStore& b() { return *store_b; }
  void Wait(DurationUs duration_us) { SleepReal(duration_us); }
};

// ---- Stores ----

struct FakeCheckoutEnv {
  static constexpr const char* kName = "fake";
  ManualClock clock{kStartUs};
  fakes::FakeCheckoutStore store_{clock};
  Status Start() { return Status::Ok(); }
  CheckoutStore& store() { return store_; }
};

struct PgCheckoutEnv {
  static constexpr const char* kName = "postgresql";
  ManualClock clock{kStartUs};
  std::unique_ptr<adapters::PgCheckoutStore> store_;
  Status Start() {
    if (Status ready = PostgresReady(); !ready.ok()) return ready;
    PgExec(SharedServers().postgres.url(), "DROP SCHEMA IF EXISTS checkout CASCADE");
    auto opened = adapters::PgCheckoutStore::Open(SharedServers().postgres.url(), clock);
    if (!opened.ok()) return opened.status();
    store_ = std::move(opened).value();
    return Status::Ok();
  }
  CheckoutStore& store() { return *store_; }
};

struct FakeOrderEnv {
  static constexpr const char* kName = "fake";
  ManualClock clock{kStartUs};
  fakes::FakeOrderStore store_{clock};
  Status Start() { return Status::Ok(); }
  OrderStore& store() { return store_; }
};

struct PgOrderEnv {
  static constexpr const char* kName = "postgresql";
  ManualClock clock{kStartUs};
  std::unique_ptr<adapters::PgOrderStore> store_;
  Status Start() {
    if (Status ready = PostgresReady(); !ready.ok()) return ready;
    PgExec(SharedServers().postgres.url(), "DROP SCHEMA IF EXISTS orders CASCADE");
    auto opened = adapters::PgOrderStore::Open(SharedServers().postgres.url(), clock);
    if (!opened.ok()) return opened.status();
    store_ = std::move(opened).value();
    return Status::Ok();
  }
  OrderStore& store() { return *store_; }
};

// ---- Bus ----

// How long an unacked delivery waits before it comes back (both implementations).
inline constexpr DurationUs kRedeliverUs = 200 * kMillisecondUs;
// Real time added to waits so Redis' idle clock has surely passed kRedeliverUs.
inline constexpr DurationUs kRealSlackUs = 50 * kMillisecondUs;

struct FakeBusEnv {
  static constexpr const char* kName = "fake";
  ManualClock clock{kStartUs};
  std::unique_ptr<fakes::FakeEventBus> bus_ = std::make_unique<fakes::FakeEventBus>(clock);
  Status Start() { return Status::Ok(); }
  EventBus& bus() { return *bus_; }
  // Hands every due delivery to its handler, as the simulator does: ack on Ok, else due again
  // kRedeliverUs later. Returns how many reached a handler.
  std::int64_t DeliverDue() {
    constexpr std::int64_t kDeliveriesMax = 10'000;
    std::int64_t delivered = 0;
    while (std::optional<fakes::Delivery> delivery = bus_->NextDue(clock.Now())) {
      CSIM_CHECK(++delivered <= kDeliveriesMax, "a delivery loop");
      const bool ok = RunSync(bus_->Handler(*delivery)(*delivery->event)).ok();
      if (ok) {
        bus_->Ack(delivery->id);
      } else {
        bus_->Nack(delivery->id, clock.Now() + kRedeliverUs);
      }
    }
    return delivered;
  }
  void WaitRedelivery() { clock.Advance(kRedeliverUs); }
  // The subscriber's process restarts: the bus (the broker) keeps everything.
  Status RestartSubscriber() { return Status::Ok(); }
};

struct RedisBusEnv {
  static constexpr const char* kName = "redis-streams";
  std::string prefix = UniquePrefix();
  std::unique_ptr<adapters::RedisEventBus> bus_;
  Status Start() {
    if (Status ready = RedisReady(); !ready.ok()) return ready;
    return Open();
  }
  Status Open() {
    adapters::RedisBusOptions options;
    options.key_prefix = prefix;
    options.redeliver_after_us = kRedeliverUs;
    auto opened = adapters::RedisEventBus::Open(SharedServers().redis.url(), options);
    if (!opened.ok()) return opened.status();
    bus_ = std::move(opened).value();
    return Status::Ok();
  }
  EventBus& bus() { return *bus_; }
  std::int64_t DeliverDue() {
    Result<std::int64_t> delivered = bus_->PollOnce();
    CSIM_CHECK(delivered.ok(), "PollOnce against the test server");
    return delivered.value();
  }
  void WaitRedelivery() { SleepReal(kRedeliverUs + kRealSlackUs); }
  // A new process: a new connection and no handlers; the groups live on in Redis.
  Status RestartSubscriber() { return Open(); }
};

// The fixture of every contract suite: starts `Env` and fails the test, with the reason, if it
// cannot (a server that did not start is never a skip).
template <class Env>
class ContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status started = env.Start();
    ASSERT_TRUE(started.ok()) << Env::kName << " could not start: " << started.ToString();
  }
  Env env;
};

// Names the implementation in the test's name (LockContract/fake.…, LockContract/redis.…).
struct EnvName {
  template <class Env>
  static std::string GetName(int) {
    return Env::kName;
  }
};

}  // namespace csim::contract
