#include "properties/situations.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_locks.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_warehouse.h"
#include "sim/trace.h"

namespace csim::properties {
namespace {

// Names of a trace counted in a dense (action, outcome) table: 8 MiB of counts at most.
constexpr std::size_t kDenseNamesMax = 1024;

// The matrix's columns: what a fault did at a saga step.
constexpr std::string_view kFailBefore = "fail_before";
constexpr std::string_view kTimeoutAfter = "timeout_after_effect";
constexpr std::string_view kCrash = "crash";
constexpr std::string_view kWindow = "window";

struct Named {
  std::string_view name;
  std::string_view what;
};

// The named moments (the matrix follows them in AllSituations).
constexpr Named kNamed[] = {
    {"promotion.expired_mid_checkout",
     "a promotion validated at preview had expired when the saga claimed it"},
    {"promotion.budget_ran_out", "a promotion claim found the budget used up"},
    {"payment.confirmed_after_reservation_lapsed",
     "a reservation was confirmed after its TTL lapsed (the payment came late)"},
    {"reservation.lapsed", "a reservation expired at the warehouse"},
    {"cleanup.moved_checkout_cart", "the cart cleanup moved a cart that sat in checkout"},
    {"compensation.row_written", "a compensation failed and was written down for the worker"},
    {"compensation.retried_by_worker", "the checkout worker retried a failed compensation"},
    {"webhook.delivered_twice", "a payment webhook reached a subscriber twice or more"},
    {"event.delivered_twice", "some event reached a subscriber twice or more"},
    {"customer.request_timed_out", "a customer gave up waiting for checkout-api"},
    {"outbox.row_failed", "an outbox row used up its publish retries"},
    {"capture.declined", "the gateway declined a capture"},
    {"order.cancelled_during_fulfilment",
     "a customer asked to cancel an order the fulfilment service had started on"},
    {"bus.held_while_down", "deliveries fell due while the bus was down and waited for it"},
    {"fulfillment.down_at_call_off",
     "a cancellation's call-off failed in a window on the fulfilment service (its outage)"},
    {"process.crash:checkout-api", "checkout-api crashed and was restarted"},
    {"process.crash:checkout-worker", "the checkout worker crashed and was restarted"},
    {"process.crash:order-worker", "the order worker crashed and was restarted"},
    {"process.crash:compensation-worker",
     "the compensation worker (SIM-40's fix) crashed and was restarted"},
    {"process.crash:order-repair-worker",
     "the order repair worker (SIM-42's fix) crashed and was restarted"},
    {"process.paused:checkout-api", "checkout-api froze for a while and resumed, memory intact"},
    {"process.paused:checkout-worker", "the checkout worker froze for a while and resumed"},
    {"process.paused:order-worker", "the order worker froze for a while and resumed"},
    {"process.paused:compensation-worker", "the compensation worker froze for a while and resumed"},
    {"process.paused:order-repair-worker", "the order repair worker froze for a while and resumed"},
    {"lock.lapsed_while_held",
     "a lock's holder released it after its TTL had lapsed (still at work past the TTL)"},
    {"lock.retaken_after_lapse",
     "a checkout lock was taken again after its holder's TTL lapsed unreleased"},
    {"cron.passes_overlapped", "a cron pass started while another pass of its job was running"},
    {"cron.pass_late", "a cron pass started late"},
};

// The service a process belongs to: a second replica ("order-worker-2") counts as its service.
std::string ServiceOf(const std::string& process) {
  const std::size_t dash = process.rfind('-');
  const bool replica = dash != std::string::npos && dash + 1 < process.size() &&
                       process.find_first_not_of("0123456789", dash + 1) == std::string::npos;
  return replica ? process.substr(0, dash) : process;
}

// Counts of trace records by (action, outcome) name, and the few details a situation needs.
struct TraceCounts {
  std::map<std::pair<std::string, std::string>, std::int64_t> by_action_outcome;
  std::int64_t worker_cart_commits = 0;
  std::int64_t compensation_rows = 0;
  std::int64_t worker_compensations = 0;
  std::int64_t customer_timeouts = 0;
  std::int64_t webhooks_twice = 0;
  std::int64_t events_twice = 0;

  std::int64_t Of(std::string_view action, std::string_view outcome) const {
    auto it = by_action_outcome.find({std::string{action}, std::string{outcome}});
    return it == by_action_outcome.end() ? 0 : it->second;
  }
};

// What ReadTrace asks of a record's action, outcome or process: worked out once per interned
// name (a few hundred), not once per record (millions, each a string compare).
enum NameFlag : std::uint8_t {
  kBusDeliver = 1,
  kCheckoutCommit = 2,
  kOk = 4,
  kCompensationCall = 8,
  kCustomerCheckout = 16,
};

std::vector<std::uint8_t> NameFlags(const sim::Trace& trace) {
  std::vector<std::uint8_t> flags(trace.NameCount(), 0);
  for (std::size_t id = 0; id < flags.size(); ++id) {
    const std::string& name = trace.NameOf(static_cast<sim::NameId>(id));
    if (name == "bus.deliver") flags[id] |= kBusDeliver;
    if (name == "checkout_db.commit") flags[id] |= kCheckoutCommit;
    if (name == "ok") flags[id] |= kOk;
    if (name == "payment.void" || name == "warehouse.release" || name == "promotions.release" ||
        name == "loyalty.give_back") {
      flags[id] |= kCompensationCall;
    }
    if (name == "customer.checkout") flags[id] |= kCustomerCheckout;
  }
  CSIM_CHECK(flags.size() == trace.NameCount(), "a flag per name");
  return flags;
}

TraceCounts ReadTrace(const sim::World& world) {
  const sim::Trace& trace = world.kernel().trace();
  const auto& processes = world.kernel().ProcessNames();
  const std::vector<std::uint8_t> flags = NameFlags(trace);
  std::vector<bool> is_worker(processes.size()), is_api(processes.size());
  for (std::size_t p = 0; p < processes.size(); ++p) {
    // FailedCompensationWorker's retries come from the checkout worker or its own process
    // (SIM-40 fixed), the cleanup's cart commits from the checkout worker.
    is_worker[p] = processes[p] == "checkout-worker" || processes[p] == "compensation-worker";
    is_api[p] = processes[p] == "checkout-api";
  }
  TraceCounts counts;
  // Counted by interned ids, named once at the end: two strings per record were 5 % of a run. In a
  // table indexed by (action, outcome), since a tree search per record was 1 % more and a hash map
  // 0.5 % (callgrind, 2000 customers); a run interns a few hundred names. Past kDenseNamesMax names
  // (never seen) a hash map by the pair's 32 bits. Only summed into the ordered by_action_outcome,
  // so no order leaks.
  const std::size_t names = trace.NameCount();
  const bool dense = names <= kDenseNamesMax;
  std::vector<std::int64_t> by_ids(dense ? names * names : 0, 0);
  std::unordered_map<std::uint32_t, std::int64_t> by_ids_sparse;
  // "topic id" of every delivery with its hash, counted once sorted: by the hash first, so the
  // sort compares strings only where two hashes are equal.
  std::vector<std::pair<std::size_t, std::string_view>> delivered;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const sim::TraceRecord& record = trace.at(i);
    if (dense) {
      ++by_ids[std::size_t{record.action} * names + record.outcome];
    } else {
      ++by_ids_sparse[(std::uint32_t{record.action} << 16) | record.outcome];
    }
    const std::uint8_t action = flags[record.action];
    const bool worker = record.process < processes.size() && is_worker[record.process];
    const bool api = record.process < processes.size() && is_api[record.process];
    if ((action & kBusDeliver) != 0) {
      const std::string_view detail = trace.DetailOf(record);
      delivered.emplace_back(std::hash<std::string_view>{}(detail), detail);
    } else if ((action & kCheckoutCommit) != 0 && (flags[record.outcome] & kOk) != 0) {
      const std::string_view detail = trace.DetailOf(record);
      if (worker && detail.find("cart ") != std::string_view::npos) {
        ++counts.worker_cart_commits;
      }
      if (api && detail.find("compensation ") != std::string_view::npos) {
        ++counts.compensation_rows;
      }
    } else if (worker && (action & kCompensationCall) != 0) {
      ++counts.worker_compensations;
    } else if ((action & kCustomerCheckout) != 0 &&
               trace.DetailOf(record).find("no answer within") != std::string_view::npos) {
      ++counts.customer_timeouts;
    }
  }
  for (std::size_t ids = 0; ids < by_ids.size(); ++ids) {
    if (by_ids[ids] == 0) continue;
    counts.by_action_outcome[{trace.NameOf(static_cast<sim::NameId>(ids / names)),
                              trace.NameOf(static_cast<sim::NameId>(ids % names))}] += by_ids[ids];
  }
  for (const auto& [ids, seen] : by_ids_sparse) {
    counts.by_action_outcome[{trace.NameOf(static_cast<sim::NameId>(ids >> 16)),
                              trace.NameOf(static_cast<sim::NameId>(ids & 0xFFFFu))}] += seen;
  }
  // The same counts a map from detail to deliveries gave, without a node per delivery.
  std::sort(delivered.begin(), delivered.end());
  for (std::size_t i = 0; i < delivered.size();) {
    std::size_t j = i + 1;
    while (j < delivered.size() && delivered[j] == delivered[i]) ++j;
    if (j - i >= 2) {
      ++counts.events_twice;
      if (delivered[i].second.starts_with("payments.")) ++counts.webhooks_twice;
    }
    i = j;
  }
  CSIM_CHECK(counts.webhooks_twice <= counts.events_twice, "a webhook twice is an event twice");
  return counts;
}

// Rows that used up their retries: those still marked failed, and those an "outbox.failed" alert
// named (fixed P1-CC-03 alerts, then its drain sets the row pending again, so the end state alone
// would miss them).
std::int64_t FailedOutboxRows(const sim::World& world) {
  std::set<std::string> failed;
  for (const Alert& alert : world.alerts().Raised()) {
    if (alert.kind == "outbox.failed") failed.insert(alert.subject);
  }
  for (const auto* rows : {&world.checkout_db().Outbox(), &world.order_db().Outbox()}) {
    for (const auto& [id, row] : *rows) {
      if (row.status == OutboxStatus::kFailed) failed.insert(row.event.id);
    }
  }
  return static_cast<std::int64_t>(failed.size());
}

}  // namespace

const std::vector<std::string_view>& SagaSteps() {
  static const std::vector<std::string_view> steps = {
      "locks.acquire",   "pricing.unit_prices", "shipping.fee",      "promotions.validate",
      "loyalty.balance", "fraud.precheck",      "payment.authorize", "warehouse.reserve",
      "order.create",    "promotions.claim",    "loyalty.redeem",    "checkout_db.commit",
      "locks.put"};
  return steps;
}

const std::vector<SituationInfo>& AllSituations() {
  static const std::vector<SituationInfo> all = [] {
    std::vector<SituationInfo> list;
    for (const Named& named : kNamed)
      list.push_back({std::string{named.name}, std::string{named.what}});
    for (std::string_view step : SagaSteps()) {
      list.push_back({fmt::format("{}:{}", kFailBefore, step),
                      fmt::format("{} failed before its effect", step)});
      list.push_back({fmt::format("{}:{}", kTimeoutAfter, step),
                      fmt::format("{} timed out after its effect", step)});
      list.push_back(
          {fmt::format("{}:{}", kCrash, step), fmt::format("the caller crashed at {}", step)});
      list.push_back({fmt::format("{}:{}", kWindow, step),
                      fmt::format("{} was called inside a fault window", step)});
    }
    std::set<std::string> unique;
    for (const SituationInfo& info : list)
      CSIM_CHECK(unique.insert(info.name).second, "situation names are unique");
    return list;
  }();
  return all;
}

std::set<std::string> SituationsOutsidePlan(const sim::FaultPlan& plan) {
  std::set<std::string> outside;
  if (plan.swarm_seed.has_value()) return outside;  // each seed draws its own kinds: any may come
  std::vector<const sim::FaultRule*> rules = {&plan.default_rule};
  for (const auto& [point, rule] : plan.rules) rules.push_back(&rule);
  auto any_rule = [&rules](std::uint32_t sim::FaultRule::*ppm) {
    return std::any_of(rules.begin(), rules.end(),
                       [ppm](const auto* rule) { return rule->*ppm > 0; });
  };
  auto any_trigger = [&plan](std::initializer_list<sim::FaultKind> kinds) {
    return std::any_of(plan.triggers.begin(), plan.triggers.end(), [kinds](const auto& trigger) {
      return std::find(kinds.begin(), kinds.end(), trigger.kind) != kinds.end();
    });
  };
  // Every bad day is a window (an outage, a slow period, or the stalling host's warehouse burst).
  const bool windows = !plan.windows.empty() || plan.random_windows.count > 0 ||
                       plan.bad_day.kind != sim::BadDayKind::kNone;
  const bool crashes = any_rule(&sim::FaultRule::crash_ppm) ||
                       any_trigger({sim::FaultKind::kCrashBefore, sim::FaultKind::kCrashAfter});
  const bool pauses = plan.pauses.ppm > 0 || any_trigger({sim::FaultKind::kPauseBefore}) ||
                      plan.bad_day.kind == sim::BadDayKind::kStallingHost;
  // A window's outage fails a call before its effect, and its slow period times one out after.
  const bool fail_before = windows || any_rule(&sim::FaultRule::fail_before_ppm) ||
                           any_trigger({sim::FaultKind::kFailBefore});
  const bool timeout_after = windows || any_rule(&sim::FaultRule::fail_after_ppm) ||
                             any_trigger({sim::FaultKind::kFailAfter});
  // Drawn windows never fall on the fulfilment service (kWindowPorts); only a plan's own do.
  const bool fulfillment_windows =
      std::any_of(plan.windows.begin(), plan.windows.end(), [](const sim::FaultWindow& window) {
        return sim::PointMatches(window.points, "fulfillment.call_off");
      });
  for (const SituationInfo& info : AllSituations()) {
    const std::string_view name = info.name;
    const bool drawn = name == "fulfillment.down_at_call_off" ? fulfillment_windows
                       : name.starts_with(kCrash) || name.starts_with("process.crash:") ? crashes
                       : name.starts_with("process.paused:")                            ? pauses
                       : name.starts_with(kWindow) || name == "bus.held_while_down"     ? windows
                       : name.starts_with(kFailBefore)   ? fail_before
                       : name.starts_with(kTimeoutAfter) ? timeout_after
                                                         : true;
    if (!drawn) outside.insert(info.name);
  }
  CSIM_CHECK(outside.size() <= AllSituations().size());
  return outside;
}

std::map<std::string, std::int64_t> CountSituations(const sim::World& world) {
  CSIM_CHECK(world.settled(), "situations are counted once the world has run");
  const TraceCounts trace = ReadTrace(world);
  std::map<std::string, std::int64_t> counts;
  for (const SituationInfo& info : AllSituations()) counts[info.name] = 0;
  counts["promotion.expired_mid_checkout"] = trace.Of("promotions.claim", "failed_precondition");
  counts["promotion.budget_ran_out"] = trace.Of("promotions.claim", "insufficient");
  counts["payment.confirmed_after_reservation_lapsed"] =
      trace.Of("warehouse.confirm", "failed_precondition");
  std::int64_t lapsed = 0;
  for (const fakes::Reservation& r : world.warehouse().Reservations()) {
    lapsed += r.status == fakes::ReservationStatus::kExpired;
  }
  counts["reservation.lapsed"] = lapsed;
  counts["cleanup.moved_checkout_cart"] = trace.worker_cart_commits;
  counts["compensation.row_written"] = trace.compensation_rows;
  counts["compensation.retried_by_worker"] = trace.worker_compensations;
  counts["webhook.delivered_twice"] = trace.webhooks_twice;
  counts["event.delivered_twice"] = trace.events_twice;
  counts["customer.request_timed_out"] = trace.customer_timeouts;
  counts["outbox.row_failed"] = FailedOutboxRows(world);
  counts["capture.declined"] = trace.Of("payment.capture", "rejected");
  counts["order.cancelled_during_fulfilment"] = world.counts().cancellations_during_fulfilment;
  counts["bus.held_while_down"] = trace.Of("bus.deliver", "fault.window");
  counts["fulfillment.down_at_call_off"] = trace.Of("fulfillment.call_off", "fault.window");
  for (const auto& [process, crashes] : world.CrashCounts()) {
    const std::string name = "process.crash:" + ServiceOf(process);
    CSIM_CHECK(counts.contains(name), "a crashable process has its situation");
    counts[name] += static_cast<std::int64_t>(crashes);
  }
  for (const auto& [process, pauses] : world.PauseCounts()) {
    const std::string name = "process.paused:" + ServiceOf(process);
    CSIM_CHECK(counts.contains(name), "a pausable process has its situation");
    counts[name] += static_cast<std::int64_t>(pauses);
  }
  counts["lock.lapsed_while_held"] = world.locks().ReleasedAfterLapseCount();
  // Only the checkout lock: a coupon lock is left to its TTL on purpose once its order exists.
  for (const std::string& key : world.locks().RetakenAfterLapse()) {
    counts["lock.retaken_after_lapse"] += key.starts_with("checkout:lock:");
  }
  counts["cron.passes_overlapped"] = world.cron_counts().passes_overlapped;
  counts["cron.pass_late"] = world.cron_counts().passes_late;
  const auto& points = world.faults().points();
  for (std::string_view step : SagaSteps()) {
    auto point = points.find(std::string{step});
    if (point == points.end()) continue;  // never called
    counts[fmt::format("{}:{}", kFailBefore, step)] =
        trace.Of(step, "fault.before") + trace.Of(step, "fault.window");
    counts[fmt::format("{}:{}", kTimeoutAfter, step)] =
        static_cast<std::int64_t>(point->second.fired_after);
    counts[fmt::format("{}:{}", kCrash, step)] = static_cast<std::int64_t>(point->second.crashed);
    counts[fmt::format("{}:{}", kWindow, step)] =
        static_cast<std::int64_t>(point->second.in_window);
  }
  CSIM_CHECK(counts.size() == AllSituations().size(), "no situation outside the list");
  return counts;
}

}  // namespace csim::properties
