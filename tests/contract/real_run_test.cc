// The real backend end to end (`checkout-sim run --backend real`), on this binary's own
// throwaway redis-server and PostgreSQL (servers.h): a run of 20 customers whose figures are
// checked against what PostgreSQL holds afterwards; the as-reviewed profile breaking invariants
// on the real state (so the real-state checks can fail); bad flags and unreachable servers
// (exit 2, the backend named); a PostgreSQL connection dropped mid-run (the run goes on, nothing
// half-committed, every invariant holds) and Redis killed mid-run (the run stops naming it, and
// PostgreSQL holds no half-written order).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <regex>
#include <string>

#include "adapters/real_state.h"
#include "realrun/real_run.h"
#include "tests/contract/envs.h"

namespace csim::contract {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string output;  // standard output and standard error
};

// Runs the checkout-sim binary with `args` (a shell word list), waits for it.
CliRun RunCli(const std::string& args) {
  const std::string command = std::string{CSIM_CLI_PATH} + " " + args + " 2>&1";
  CliRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
    run.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The number before `label` in `text` ("12 orders placed" -> 12), or -1.
std::int64_t Figure(const std::string& text, const std::string& label) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex{"([0-9]+) " + label})) return -1;
  return std::stoll(match[1].str());
}

// The names in the summary's "jobs each pass: N (a, b, ...)" line, or "" without one.
std::string JobsEachPass(const std::string& text) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex{"jobs each pass: [0-9]+ \\(([^)]*)\\)"}))
    return "";
  return match[1].str();
}

// How many times `name` appears in `text`.
std::int64_t Occurrences(const std::string& text, const std::string& name) {
  std::int64_t n = 0;
  for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) ++n;
  return n;
}

class RealRun : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RedisReady().ok()) << RedisReady().ToString();
    ASSERT_TRUE(PostgresReady().ok()) << PostgresReady().ToString();
  }
  static std::string Urls() {
    return "--redis " + SharedServers().redis.url() + " --postgres " +
           SharedServers().postgres.url();
  }
  static realrun::RealRunOptions Options(std::int32_t orders) {
    realrun::RealRunOptions options;
    options.redis_url = SharedServers().redis.url();
    options.postgres_url = SharedServers().postgres.url();
    options.orders = orders;
    options.reset = true;
    return options;
  }
};

// Every order row came with all of its items in the same transaction: items present, and the
// subtotal is what they add up to.
void ExpectOrdersWhole(const adapters::DatabaseState& state) {
  for (const Order& order : state.orders) {
    ASSERT_FALSE(order.items.empty()) << order.id;
    Money subtotal = 0;
    for (const OrderItem& item : order.items) subtotal += item.unit_price * item.quantity;
    EXPECT_EQ(subtotal, order.subtotal) << order.id;
  }
}

TEST_F(RealRun, TwentyCustomersEndToEndAllInvariantsHoldAndFiguresMatchPostgres) {
  const CliRun run = RunCli("run --backend real " + Urls() + " --reset --seed 1 --orders 20");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("all invariants held"), std::string::npos) << run.output;
  EXPECT_EQ(Figure(run.output, "customers"), 20) << run.output;
  const std::int64_t placed = Figure(run.output, "orders placed");
  const std::int64_t failed = Figure(run.output, "checkouts failed");
  EXPECT_GE(placed, 5) << run.output;
  EXPECT_EQ(placed + failed, 20) << run.output;

  // What PostgreSQL holds after the run, read by the test itself.
  auto state = adapters::ReadDatabases(SharedServers().postgres.url());
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(static_cast<std::int64_t>(state->orders.size()), placed);
  EXPECT_EQ(state->carts.size(), 20u);
  ExpectOrdersWhole(state.value());
  // Every order settled: paid and delivered (card or cash), or paid back; none left pending.
  std::int64_t delivered_units = 0, delivered = 0, settled = 0;
  for (const Order& order : state->orders) {
    if (order.status == OrderStatus::kDelivered) {
      ++delivered;
      for (const OrderItem& item : order.items) delivered_units += item.quantity;
    }
    if (order.status == OrderStatus::kDelivered || order.status == OrderStatus::kRefunded ||
        order.status == OrderStatus::kCancelled) {
      ++settled;
    }
  }
  EXPECT_EQ(settled, placed) << run.output;
  EXPECT_GE(delivered, 1);
  // The warehouse fake's committed units are exactly the delivered orders' units in PostgreSQL.
  EXPECT_EQ(Figure(run.output, "units committed"), delivered_units) << run.output;
  EXPECT_EQ(Figure(run.output, "reserved;"), 0) << run.output;
  EXPECT_EQ(Figure(run.output, "deliveries unacked"), 0) << run.output;
  // Every process's jobs ran, the monitors' too: both outbox lag monitors (SIM-37 and SIM-38
  // fixed), each worker's outbox publisher and the repair jobs.
  const std::string names = JobsEachPass(run.output);
  EXPECT_EQ(Occurrences(names, "OutboxLagMonitor"), 2) << run.output;
  EXPECT_EQ(Occurrences(names, "FailedCompensationWorker"), 1) << run.output;
  EXPECT_EQ(Occurrences(names, "ReservationCleanupJob"), 1) << run.output;
  // Every status change went through the database's log: each order has at least one.
  EXPECT_GE(state->status_changes.size(), state->orders.size());
}

TEST_F(RealRun, AsReviewedBreaksInvariantsOnTheRealStateWithoutFaults) {
  // No fault at all: the as-reviewed code itself drops a reservation into the phantom warehouse
  // (EC-08) and leaves refunded orders cancelled; the checks on the real state see both.
  const CliRun run = RunCli("run --backend real " + Urls() +
                            " --reset --seed 1 --orders 20 --profile as-reviewed");
  ASSERT_EQ(run.exit_code, 1) << run.output;
  EXPECT_GE(Figure(run.output, "violation\\(s\\)"), 1) << run.output;
  EXPECT_NE(run.output.find("NO-PHANTOM-WAREHOUSE reservation="), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("ORDER-SETTLES order=order-sess-"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("reproduce: checkout-sim run --backend real"), std::string::npos);
  // The order rows those violations name are PostgreSQL's.
  auto state = adapters::ReadDatabases(SharedServers().postgres.url());
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  std::int64_t cancelled = 0;
  for (const Order& order : state->orders) cancelled += order.status == OrderStatus::kCancelled;
  std::smatch count;
  ASSERT_TRUE(std::regex_search(run.output, count, std::regex{"ORDER-SETTLES: ([0-9]+)"}));
  EXPECT_EQ(cancelled, std::stoll(count[1].str())) << run.output;
  // As reviewed, no lag monitor exists (SIM-37): only outbox.failed after a row's retries.
  const std::string names = JobsEachPass(run.output);
  EXPECT_EQ(Occurrences(names, "OutboxLagMonitor"), 0) << run.output;
  EXPECT_EQ(Occurrences(names, "FailedCompensationWorker"), 1) << run.output;
}

TEST_F(RealRun, BadFlagsAndUnreachableServersExitTwoNamingTheBackend) {
  struct Case {
    std::string args;
    std::string message;
  };
  const std::string redis = SharedServers().redis.url();
  const std::string pg = SharedServers().postgres.url();
  const Case cases[] = {
      {"run --backend real", "--backend real: needs --redis URL and --postgres URL"},
      {"run --backend real --redis " + redis, "(missing: --postgres)"},
      {"run --redis " + redis, "--redis: only with --backend real"},
      {"run --backend sim --postgres " + pg, "--postgres: only with --backend real"},
      {"run --backend cloud", "--backend: unknown backend 'cloud'"},
      {"run --backend real --redis " + redis + " --postgres " + pg + " --faults heavy",
       "--faults: only a simulation has it"},
      {"run --backend real --redis http://x --postgres " + pg, "--redis: "},
      {"run --backend real --redis " + redis + " --postgres mysql://x/db", "--postgres: "},
      {"run --backend real --redis redis://127.0.0.1:1 --postgres " + pg + " --reset",
       "redis at 127.0.0.1:1"},
      {"run --backend real --redis " + redis + " --postgres postgresql://postgres@127.0.0.1:1/x",
       "postgresql at 127.0.0.1:1"},
  };
  for (const Case& c : cases) {
    const CliRun run = RunCli(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args << "\n" << run.output;
    EXPECT_NE(run.output.find(c.message), std::string::npos) << c.args << "\n" << run.output;
  }
  // A server holding an earlier run's state is refused without --reset (and nothing is run).
  ASSERT_EQ(RunCli("run --backend real " + Urls() + " --reset --orders 2").exit_code, 0);
  const CliRun again = RunCli("run --backend real " + Urls() + " --orders 2");
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("earlier run's state"), std::string::npos) << again.output;
}

TEST_F(RealRun, PostgresConnectionsDroppedMidRunNothingHalfCommittedInvariantsHold) {
  realrun::RealRunOptions options = Options(20);
  std::int32_t dropped = 0;
  options.after_customer = [&](std::int32_t index) {
    if (index % 4 != 1) return;  // customers 2, 6, 10, ...: every connection of the run is cut
    PgExec(options.postgres_url,
           "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
           "AND datname = current_database()");
    ++dropped;
  };
  auto result = realrun::RunReal(options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(dropped, 5);
  EXPECT_TRUE(result->drained);
  EXPECT_TRUE(result->violation_counts.empty()) << realrun::RealRunSummary(options, result.value());
  EXPECT_GE(result->counts.orders_placed, 5);
  auto state = adapters::ReadDatabases(options.postgres_url);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(static_cast<std::int64_t>(state->orders.size()), result->counts.orders_placed);
  ExpectOrdersWhole(state.value());
}

TEST_F(RealRun, RedisKilledMidRunStopsTheRunNamingItAndLeavesNoHalfWrittenOrder) {
  realrun::RealRunOptions options = Options(20);
  options.after_customer = [&](std::int32_t index) {
    if (index == 7) SharedServers().redis.Kill();
  };
  auto result = realrun::RunReal(options);
  const Status restarted = SharedServers().redis.Restart();  // for the tests after this one
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  ASSERT_FALSE(result.ok()) << "the run cannot finish without its bus";
  EXPECT_TRUE(result.code() == Code::kUnavailable || result.code() == Code::kTimeout)
      << result.status().ToString();
  EXPECT_NE(result.status().message().find("redis at 127.0.0.1:" +
                                           std::to_string(SharedServers().redis.port())),
            std::string::npos)
      << result.status().ToString();
  // PostgreSQL holds whole orders only: each with its items, each with its creation event in the
  // outbox of the same transaction, and no more orders than the eight customers before the kill.
  auto state = adapters::ReadDatabases(options.postgres_url);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_GE(state->orders.size(), 1u);
  EXPECT_LE(state->orders.size(), 8u);
  ExpectOrdersWhole(state.value());
  for (const Order& order : state->orders) {
    bool created_event = false;
    for (const OutboxRow& row : state->order_outbox) created_event |= row.event.subject == order.id;
    EXPECT_TRUE(created_event) << order.id;
  }
  // The CLI says the same, exit 2, when the server is unreachable from the start.
  SharedServers().redis.Kill();
  const CliRun down = RunCli("run --backend real " + Urls() + " --reset --orders 2");
  ASSERT_TRUE(SharedServers().redis.Restart().ok());
  EXPECT_EQ(down.exit_code, 2) << down.output;
  EXPECT_NE(down.output.find("--backend real: redis at 127.0.0.1:"), std::string::npos)
      << down.output;
}

}  // namespace
}  // namespace csim::contract
