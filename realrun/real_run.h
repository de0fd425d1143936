#pragma once
// The real backend of `checkout-sim run --backend real`: the same core/ services as a simulation,
// wired to the real adapters (locks and idempotency keys on Redis, both databases with their
// outboxes on PostgreSQL, the event bus on Redis Streams) and, for the services with no real
// counterpart here (payment gateway, warehouse, pricing, shipping, fraud, promotions, loyalty,
// alerts), to the in-memory fakes on the wall clock. One sequential worker loop runs the
// customers of a generated workload one after the other, then the workers, webhooks, the bus and
// the outside world until nothing changes (the drain), and then the simulation's invariants are
// checked once on the real state: the fakes' ground truth plus a snapshot of what PostgreSQL and
// Redis hold. There is no fault injection: what fails, fails for real.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/findings.h"
#include "core/status.h"
#include "properties/invariant.h"
#include "sim/world.h"

namespace csim::realrun {

// Every Redis key of a real run (locks, remembered results, streams) starts with this.
inline constexpr const char* kKeyPrefix = "csim:";
// The drain ends once a whole kQuietUs passed without any loop doing anything (longer than the
// bus's redelivery delay, so an unacked entry would have come back), or after drain_max_us.
inline constexpr DurationUs kQuietUs = 600 * kMillisecondUs;
inline constexpr DurationUs kRedeliverAfterUs = 200 * kMillisecondUs;
// A loop's own call to a server (bus poll, webhook publish) is tried this often before the run
// stops with the server named as unreachable.
inline constexpr std::int32_t kServerAttemptsMax = 5;
inline constexpr DurationUs kServerRetryUs = 200 * kMillisecondUs;

struct RealRunOptions {
  std::string redis_url;
  std::string postgres_url;
  std::uint64_t seed = 1;  // of the workload (customers, carts, stock); nothing else is drawn
  std::int32_t orders = 20;
  Profile profile = Profile::AllFixed();
  Config config = DefaultConfig();
  bool order_uses_legacy_warehouse = false;
  // Empty both databases and every csim: key first. Without it a server holding state from
  // before is refused (kFailedPrecondition): the invariants read everything the servers hold.
  bool reset = false;
  DurationUs drain_max_us = 30 * kSecondUs;
  // Tests only: runs after customer `index` finished, before the loops' pass (e.g. to stop or
  // restart a server mid-run).
  std::function<void(std::int32_t index)> after_customer;
};

// What the real state holds, counted for the summary (and the tests' figures).
struct RealFigures {
  std::int64_t carts = 0;
  std::map<std::string, std::int64_t> orders_by_status;  // from orders.orders
  std::int64_t order_items = 0;
  std::int64_t units_ordered = 0;          // sum of the orders' item quantities
  std::int64_t units_committed = 0;        // the warehouse fake's committed units
  std::int64_t units_reserved_active = 0;  // and its active reservations
  std::int64_t stream_entries = 0;
  std::int64_t unacked_deliveries = 0;
  std::int64_t outbox_rows = 0;  // both databases
  Money captured = 0;            // the gateway fake's
  Money refunded = 0;
};

struct RealRunResult {
  sim::RunCounts counts;
  std::int64_t customers = 0;
  RealFigures figures;
  std::vector<properties::Violation> violations;
  std::map<std::string, std::int64_t> violation_counts;
  bool drained = false;  // the loops went quiet within drain_max_us
  double workload_seconds = 0;
  double drain_seconds = 0;
  std::int64_t checkouts_confirmed = 0;  // ConfirmCheckout answered with an order
  // Failed checkouts by the status code name of the customer's last failed preview or confirm.
  std::map<std::string, std::int64_t> failed_by_code;
  std::vector<std::string> jobs;  // the scheduled jobs each pass ran, in the order they ran
};

// Runs the workload on the real backend and checks the invariants. Errors (nothing checked):
// kInvalidArgument for a bad URL, kUnavailable / kTimeout naming the server that could not be
// reached or was lost mid-run, kFailedPrecondition for servers holding an earlier run's state.
Result<RealRunResult> RunReal(const RealRunOptions& options);

// The summary printed by the CLI: counts, the real state's figures, what could not be checked
// from the real state, and every violation.
std::string RealRunSummary(const RealRunOptions& options, const RealRunResult& result);

// Invariants that the real run checks only in part, each with why (also in docs/adapters.md).
const std::vector<std::pair<std::string, std::string>>& RealRunLimits();

}  // namespace csim::realrun
