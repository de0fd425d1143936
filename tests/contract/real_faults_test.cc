// Bad input and faults of the real adapters (no fake counterpart): a wrong URL, a refused
// connection, a connection dropped mid-run and a server restart each give a clear error naming the
// backend and what failed, nothing half-committed, and the adapter works again once the server is
// back.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/contract/envs.h"

namespace csim::contract {
namespace {

// A loopback port nothing listens on (bound and released: refused until someone takes it).
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(RealBadInput, WrongUrlsAreRefusedByName) {
  ManualClock clock{kStartUs};
  auto redis = adapters::RedisLockStore::Open("http://127.0.0.1:6379", "p:");
  EXPECT_EQ(redis.code(), Code::kInvalidArgument);
  EXPECT_NE(redis.status().message().find("redis://"), std::string::npos)
      << redis.status().message();
  EXPECT_EQ(adapters::RedisLockStore::Open("redis://127.0.0.1:99999", "p:").code(),
            Code::kInvalidArgument);
  EXPECT_EQ(adapters::RedisEventBus::Open("redis://:6379", {}).code(), Code::kInvalidArgument);
  auto pg = adapters::PgOrderStore::Open("mysql://127.0.0.1/db", clock);
  EXPECT_EQ(pg.code(), Code::kInvalidArgument);
  EXPECT_NE(pg.status().message().find("postgresql://"), std::string::npos)
      << pg.status().message();
}

TEST(RealBadInput, RefusedConnectionsNameTheBackend) {
  ManualClock clock{kStartUs};
  const std::string port = std::to_string(ClosedPort());
  auto redis = adapters::RedisLockStore::Open("redis://127.0.0.1:" + port, "p:");
  EXPECT_EQ(redis.code(), Code::kUnavailable);
  EXPECT_NE(redis.status().message().find("redis at 127.0.0.1:" + port + ": cannot connect"),
            std::string::npos)
      << redis.status().message();
  auto pg =
      adapters::PgCheckoutStore::Open("postgresql://postgres@127.0.0.1:" + port + "/x", clock);
  EXPECT_EQ(pg.code(), Code::kUnavailable);
  EXPECT_NE(pg.status().message().find("postgresql at 127.0.0.1:" + port + ": cannot connect"),
            std::string::npos)
      << pg.status().message();
}

TEST(RealFaults, ADroppedDatabaseConnectionFailsOneCallCleanlyAndReconnects) {
  ASSERT_TRUE(PostgresReady().ok()) << PostgresReady().ToString();
  const std::string url = SharedServers().postgres.url();
  ManualClock clock{kStartUs};
  PgExec(url, "DROP SCHEMA IF EXISTS orders CASCADE");
  auto opened = adapters::PgOrderStore::Open(url, clock);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  OrderStore& store = *opened.value();
  Order order;
  order.id = "ord-1";
  order.cart_session_id = "sess-1";
  ASSERT_TRUE(RunSync(store.Commit({order, std::nullopt, {}, ""})).ok());

  // Another session kills every other backend: the store's connection is gone mid-run.
  PgExec(url,
         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
         "AND datname = current_database()");
  Order second = order;
  second.id = "ord-2";
  second.cart_session_id = "sess-2";
  const Status lost = RunSync(store.Commit({second, std::nullopt, {}, "ev-2"}));
  EXPECT_EQ(lost.code(), Code::kUnavailable) << lost.ToString();
  EXPECT_NE(lost.message().find("postgresql at 127.0.0.1"), std::string::npos) << lost.ToString();
  EXPECT_EQ(PgExec(url, "SELECT count(*) FROM orders.orders")[0][0].as<int>(), 1)
      << "nothing of the failed commit";
  EXPECT_EQ(PgExec(url, "SELECT count(*) FROM orders.processed_events")[0][0].as<int>(), 0);

  // The next call reconnects; the retried commit lands once.
  ASSERT_TRUE(RunSync(store.Commit({second, std::nullopt, {}, "ev-2"})).ok());
  EXPECT_EQ(RunSync(store.GetOrder("ord-2"))->cart_session_id, "sess-2");
  EXPECT_EQ(PgExec(url, "SELECT count(*) FROM orders.orders")[0][0].as<int>(), 2);
}

TEST(RealFaults, ARedisRestartFailsTheCallsInFlightAndTheNextOnesReconnect) {
  ASSERT_TRUE(RedisReady().ok()) << RedisReady().ToString();
  RedisServer own;  // its own server: the shared one keeps serving the other tests
  ASSERT_TRUE(own.Start().ok());
  auto opened = adapters::RedisLockStore::Open(own.url(), "p:");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  LockStore& locks = *opened.value();
  ASSERT_EQ(RunSync(locks.TryAcquire("lock:a", "owner", kMinuteUs)).value(), true);

  ASSERT_TRUE(own.Restart().ok());
  Result<bool> during = RunSync(locks.TryAcquire("lock:b", "owner", kMinuteUs));
  ASSERT_FALSE(during.ok()) << "the old connection is gone";
  EXPECT_TRUE(during.code() == Code::kTimeout || during.code() == Code::kUnavailable)
      << during.status().ToString();
  EXPECT_NE(during.status().message().find("redis at 127.0.0.1:" + std::to_string(own.port())),
            std::string::npos)
      << during.status().ToString();
  // Without persistence the restarted server lost the lock: a real difference the fake has no
  // counterpart of (docs/adapters.md).
  EXPECT_EQ(RunSync(locks.Get("lock:a")).value(), std::nullopt);
  EXPECT_EQ(RunSync(locks.TryAcquire("lock:a", "owner-2", kMinuteUs)).value(), true);

  own.Stop();
  Result<bool> down = RunSync(locks.TryAcquire("lock:c", "owner", kMinuteUs));
  EXPECT_FALSE(down.ok());
  EXPECT_NE(down.status().message().find("redis at"), std::string::npos);
}

}  // namespace
}  // namespace csim::contract
