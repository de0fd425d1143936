// SAGA-SETTLES's lock half: a checkout attempt compensated without an order leaves no lock behind.
// The one lock the services keep on purpose past a saga is a single-use coupon's once its order
// exists; every other coupon lock is released by the attempt's compensation. Its TTL would end it
// too, which is why the settled state alone cannot see the leak: meanwhile a shopper who tries
// again with the same coupon hears "coupon in use" for the rest of the 15 minutes. So the rule
// reads the lock store's history of holdings, not its keys after the drain.
//
// A holding that lapsed unreleased is excused when its holder could not release it: its process
// crashed or paused while holding it; a Release of the key failed (a fault before its effect, a
// window) and, fixed, the code leaves the rest to the TTL; the acquisition itself timed out after
// its effect, so the holder never knew it held the key; the process running the attempt's saga (the
// one that took its idempotency lock) crashed or paused while the key was held, which covers an
// acquisition still in flight when its caller crashed (a call is recorded when it returns, so that
// one has no record); or the attempt's order creation timed out,
// so the saga cannot know whether its order exists and leaves every hold to CartCleanupWorker
// (SIM-08's fix), which settles the attempt from durable state long after the lock has lapsed.
// Those are read from the simulator's trace, which records every port call with its process, key
// and fault, and every crash and pause.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <string_view>

#include "core/checkout/checkout_service.h"
#include "fakes/fake_locks.h"
#include "fakes/fake_order_store.h"
#include "properties/invariant.h"
#include "sim/trace.h"

namespace csim::properties {
namespace {

bool InSpan(const std::vector<TimeUs>& times, TimeUs from, TimeUs to) {
  auto it = std::lower_bound(times.begin(), times.end(), from);
  return it != times.end() && *it <= to;
}

// What the trace says about the keys in question and the processes that held them.
struct LockTrace {
  // key -> (time, process, outcome) of each locks.acquire of it, in trace order.
  struct Acquire {
    TimeUs at = 0;
    std::size_t process = 0;
    std::string outcome;
  };
  std::map<std::string, std::vector<Acquire>> acquires;
  std::map<std::string, std::vector<TimeUs>> failed_releases;  // key -> times
  std::map<std::size_t, std::vector<TimeUs>> stopped;          // process -> crash or pause times
  std::map<std::string, std::vector<TimeUs>> unknown_orders;   // session -> order.create timeouts
  // session -> acquisitions of its idempotency lock: the process that runs the attempt's saga.
  std::map<std::string, std::vector<Acquire>> saga_runs;
};

// The idempotency lock's key begins with this, then the session and ':' (IdempotencyLockKey).
constexpr std::string_view kSagaLockPrefix = "checkout:lock:";

// The session an idempotency lock key names ("checkout:lock:sess-12:cust-12:v3"), or "".
std::string_view SessionOfSagaLock(std::string_view key) {
  if (!key.starts_with(kSagaLockPrefix)) return {};
  key.remove_prefix(kSagaLockPrefix.size());
  return key.substr(0, key.find(':'));
}

// The session an order.create record names ("session=sess-18 total=95100000").
std::string_view SessionOfCreate(std::string_view detail) {
  constexpr std::string_view kField = "session=";
  if (!detail.starts_with(kField)) return {};
  detail.remove_prefix(kField.size());
  return detail.substr(0, detail.find(' '));
}

LockTrace ReadLockTrace(const sim::Trace& trace, const std::set<std::string>& keys) {
  Cart probe;
  probe.session_id = "sess-probe";
  CSIM_CHECK(SessionOfSagaLock(IdempotencyLockKey(probe)) == "sess-probe",
             "kSagaLockPrefix follows IdempotencyLockKey");
  LockTrace read;
  TimeUs last = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const sim::TraceRecord& record = trace.at(i);
    CSIM_CHECK(record.time_us >= last, "the trace is in time order (InSpan relies on it)");
    last = record.time_us;
    const std::string& action = trace.NameOf(record.action);
    const std::string& outcome = trace.NameOf(record.outcome);
    if (outcome == "fault.crash" || action == "process.pause") {
      read.stopped[record.process].push_back(record.time_us);
    }
    // A timeout the deadline gave, or one injected after the effect: either way the caller saw
    // kTimeout and cannot know whether the order exists.
    if (action == "order.create" && (outcome == "timeout" || outcome == "fault.after")) {
      const std::string_view session = SessionOfCreate(trace.DetailOf(record));
      if (!session.empty()) read.unknown_orders[std::string{session}].push_back(record.time_us);
    }
    if (action != "locks.acquire" && action != "locks.release") continue;
    if (action == "locks.acquire") {
      const std::string_view session = SessionOfSagaLock(trace.DetailOf(record));
      if (!session.empty()) {
        read.saga_runs[std::string{session}].push_back({record.time_us, record.process, outcome});
      }
    }
    const std::string key{trace.DetailOf(record)};
    if (!keys.contains(key)) continue;
    if (action == "locks.acquire") {
      read.acquires[key].push_back({record.time_us, record.process, outcome});
    } else if (outcome.starts_with("fault.") && outcome != "fault.after") {
      read.failed_releases[key].push_back(record.time_us);
    }
  }
  return read;
}

// Why `hold` may have lapsed unreleased under working code, or "" if nothing explains it. A holding
// the trace has no acquisition for (planted by a test) has no holder to excuse.
std::string Excuse(const LockTrace& trace, const fakes::LockHold& hold) {
  auto failed = trace.failed_releases.find(hold.key);
  if (failed != trace.failed_releases.end() &&
      InSpan(failed->second, hold.acquired_at, hold.expires_at)) {
    return "a release of it failed";
  }
  auto unknown = trace.unknown_orders.find(hold.value);
  if (unknown != trace.unknown_orders.end() &&
      InSpan(unknown->second, hold.acquired_at, hold.expires_at)) {
    return "its order's creation timed out: the attempt was left to the cart cleanup";
  }
  // The saga's process: the last to take the attempt's idempotency lock before the key.
  auto runs = trace.saga_runs.find(hold.value);
  if (runs != trace.saga_runs.end()) {
    auto after =
        std::upper_bound(runs->second.begin(), runs->second.end(), hold.acquired_at,
                         [](TimeUs at, const LockTrace::Acquire& run) { return at < run.at; });
    if (after != runs->second.begin()) {
      auto owner = trace.stopped.find(std::prev(after)->process);
      if (owner != trace.stopped.end() &&
          InSpan(owner->second, hold.acquired_at, hold.expires_at)) {
        return "the process running its saga crashed or paused";
      }
    }
  }
  auto acquires = trace.acquires.find(hold.key);
  if (acquires == trace.acquires.end()) return "";
  // The call returns at or after its effect: the first record of the key from then on is it.
  auto acquire =
      std::find_if(acquires->second.begin(), acquires->second.end(),
                   [&](const LockTrace::Acquire& a) { return a.at >= hold.acquired_at; });
  if (acquire == acquires->second.end()) return "";
  if (acquire->outcome != "ok") return "its holder never heard it held the key";
  auto stopped = trace.stopped.find(acquire->process);
  if (stopped != trace.stopped.end() &&
      InSpan(stopped->second, hold.acquired_at, hold.expires_at)) {
    return "its holder crashed or paused";
  }
  return "";
}

}  // namespace

std::string CouponLockExcuse(const sim::Trace& trace, const fakes::LockHold& hold) {
  return Excuse(ReadLockTrace(trace, {hold.key}), hold);
}

void CheckCouponLocksReleased(const Truth& world, std::vector<Violation>& out) {
  if (world.locks() == nullptr) return;  // a real run: Redis keeps no history of holdings
  const std::string prefix = CouponLockKey("");
  const TimeUs now = world.now();
  // Lapsed unreleased coupon holdings whose session created no order while holding them.
  std::map<std::string, TimeUs> order_created;  // cart session -> its order's creation
  for (const auto& [id, order] : world.order_db().Orders()) {
    order_created[order.cart_session_id] = order.created_at;
  }
  std::vector<const fakes::LockHold*> lapsed;
  std::set<std::string> keys;
  for (const fakes::LockHold& hold : world.locks()->Holds()) {
    if (!hold.key.starts_with(prefix) || hold.released_at || hold.expires_at > now) continue;
    auto order = order_created.find(hold.value);
    if (order != order_created.end() && order->second >= hold.acquired_at &&
        order->second <= hold.expires_at) {
      continue;  // kept on purpose: the coupon's order exists
    }
    lapsed.push_back(&hold);
    keys.insert(hold.key);
  }
  if (lapsed.empty()) return;
  // The trace is written in simulated-time order, so every list of times it gives is sorted.
  const LockTrace trace = ReadLockTrace(*world.trace(), keys);
  for (const fakes::LockHold* hold : lapsed) {
    if (!Excuse(trace, *hold).empty()) continue;
    out.push_back(
        {"SAGA-SETTLES", "lock=" + hold->key,
         fmt::format("released by the compensation of session {} (no order of it)", hold->value),
         fmt::format("left to its TTL: held from {} us until it lapsed at {} us, no "
                     "crash, pause or failed release",
                     hold->acquired_at, hold->expires_at),
         hold->expires_at});
  }
}

}  // namespace csim::properties
