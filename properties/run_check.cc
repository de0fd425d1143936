#include "properties/run_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "properties/change_tracker.h"
#include "properties/situations.h"
#include "sim/trace.h"

namespace csim::properties {
namespace {

// The trace record last written, or 0 before the first.
std::uint64_t LastSeq(const sim::World& world) {
  const std::size_t size = world.kernel().trace().size();
  return size == 0 ? 0 : static_cast<std::uint64_t>(size - 1);
}

}  // namespace

std::int64_t CheckedRun::violations_found() const {
  std::int64_t total = 0;
  for (const auto& [name, count] : violation_counts) total += count;
  return total;
}

CheckedRun RunChecked(sim::World& world, bool check_every_event, CheckMode mode) {
  return RunChecked(world, check_every_event, mode, {});
}

RunEstimate EstimateRun(std::int64_t customers) {
  CSIM_CHECK(customers >= 0);
  // Measured (seed 1, light and heavy faults, since idle polls are skipped): about 1.5 k events
  // whatever the size (the cron passes of the drain), and 60 to 80 per customer.
  constexpr std::int64_t kFixedEvents = 5'000;
  constexpr std::int64_t kEventsPerCustomer = 90;
  RunEstimate estimate;
  estimate.events = kFixedEvents + kEventsPerCustomer * customers;
  estimate.bytes = estimate.events * kRunBytesPerEvent;
  CSIM_CHECK(estimate.bytes > 0);
  return estimate;
}

std::string RunTooBig(std::int64_t customers, std::int64_t available_bytes,
                      std::size_t trace_events_max) {
  const RunEstimate estimate = EstimateRun(customers);
  if (static_cast<std::uint64_t>(estimate.events) > trace_events_max) {
    return fmt::format("{} customers make about {} trace events, over the trace's limit of {}",
                       customers, estimate.events, trace_events_max);
  }
  if (available_bytes >= 0 && estimate.bytes > available_bytes) {
    return fmt::format(
        "{} customers need about {} MB of memory ({} trace events at {} bytes each, the whole "
        "trace and world are kept), and {} MB are available",
        customers, estimate.bytes >> 20, estimate.events, kRunBytesPerEvent, available_bytes >> 20);
  }
  return "";
}

std::int64_t AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kilobytes = 0;
  std::string unit;
  // Bounded by the file's few dozen lines.
  while (meminfo >> key >> kilobytes >> unit) {
    if (key == "MemAvailable:") return kilobytes * 1024;
  }
  return -1;
}

CheckedRun RunChecked(sim::World& world, bool check_every_event, CheckMode mode,
                      const RunProgress& progress) {
  CheckedRun run;
  run.seed = world.options().seed;
  run.profile = world.options().profile.Name();
  run.customers = static_cast<std::int64_t>(world.workload().customers.size());
  std::set<std::pair<std::string, std::string>> seen;
  // Keeps the first occurrence of each (invariant, entity); `always_pass` says the violations
  // were found right after an event, so they are stamped with that event's time.
  auto keep = [&](std::vector<Violation> found, bool always_pass) {
    const std::uint64_t seq = LastSeq(world);
    for (Violation& v : found) {
      if (!seen.emplace(v.invariant, v.entity).second) continue;
      ++run.violation_counts[v.invariant];
      if (run.violations.size() >= kViolationsKeptMax) {
        ++run.violations_dropped[v.invariant];
        continue;
      }
      if (always_pass) v.time_us = world.kernel().now();
      v.seq = seq;
      run.violations.push_back(std::move(v));
    }
  };
  const TimeUs end_us = world.EndTimeUs();
  std::size_t next_progress = kProgressEveryEvents;
  auto tell = [&] {
    if (!progress || world.kernel().trace().size() < next_progress) return;
    next_progress = world.kernel().trace().size() + kProgressEveryEvents;
    progress(world.kernel().now(), end_us, world.kernel().trace().size());
  };
  if (check_every_event && mode == CheckMode::kIncremental) {
    ChangeTracker tracker;
    world.Run([&] {
      // Most events name no row and find nothing: nothing to keep.
      if (std::vector<Violation> found = CheckChangedInvariants(world, tracker); !found.empty()) {
        keep(std::move(found), true);
      }
      tell();
    });
  } else if (check_every_event) {
    world.Run([&] {
      keep(CheckInvariants(world, false), true);
      tell();
    });
  } else {
    world.Run(tell);
  }
  keep(CheckInvariants(world, true), false);
  // Found order is time order for "always" checks; settled ones may report an earlier time (when
  // the broken row was written), so sort, keeping the found order among equal times.
  std::stable_sort(run.violations.begin(), run.violations.end(),
                   [](const Violation& a, const Violation& b) { return a.time_us < b.time_us; });
  run.trace_hash = world.kernel().trace().hash();
  run.events = world.kernel().trace().size();
  run.end_time_us = world.kernel().now();
  run.counts = world.counts();
  run.checkout_outcomes = ReadCheckoutOutcomes(world);
  run.crashes = world.CrashCounts();
  run.drain_still_busy = world.drain_still_busy();
  run.situations = CountSituations(world);
  return run;
}

CheckoutOutcomes ReadCheckoutOutcomes(const sim::World& world) {
  // Each customer's records (sim/world.cc, World::Customer) have the detail
  // "<customer_id> <what>": cart_failed (what = the cart id), preview_failed and confirm_failed
  // (what = the status, "<code>" or "<code>: <message>"), order_placed (what = the order id), and
  // extra_confirm (a second tab's or click's answer, or any answer after the order came back).
  // A customer's checkout failed when its last record other than extra_confirm is a failed
  // preview or confirm.
  enum class Last { kCartFailed, kFailed, kPlaced };
  struct CustomerEnd {
    Last last = Last::kPlaced;
    std::string code;
  };
  const sim::Trace& trace = world.kernel().trace();
  std::unordered_map<std::string_view, CustomerEnd> ends;
  std::vector<std::string_view> order;  // customers in first-seen order (deterministic output)
  std::vector<signed char> is_customer_action;  // by action NameId: -1 unknown, 0 no, 1 yes
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const sim::TraceRecord& record = trace.at(i);
    if (record.action >= is_customer_action.size())
      is_customer_action.resize(record.action + 1u, -1);
    signed char& known = is_customer_action[record.action];
    if (known < 0) known = trace.NameOf(record.action) == "customer.checkout" ? 1 : 0;
    if (known == 0) continue;
    const std::string_view detail = trace.DetailOf(record);
    const std::size_t space = detail.find(' ');
    const std::string_view customer = detail.substr(0, space);
    const std::string_view what =
        space == std::string_view::npos ? std::string_view{} : detail.substr(space + 1);
    const std::string& outcome = trace.NameOf(record.outcome);
    if (outcome == "extra_confirm") continue;  // a second tab or click: never the customer's end
    auto [it, inserted] = ends.try_emplace(customer);
    if (inserted) order.push_back(customer);
    if (outcome == "cart_failed") {
      it->second = {Last::kCartFailed, {}};
    } else if (outcome == "preview_failed" || outcome == "confirm_failed") {
      it->second = {Last::kFailed, std::string{what.substr(0, what.find(':'))}};
    } else {
      it->second = {Last::kPlaced, {}};
    }
  }
  CheckoutOutcomes outcomes;
  std::int64_t failed = 0;
  for (std::string_view customer : order) {
    const CustomerEnd& end = ends.at(customer);
    if (end.last == Last::kCartFailed) ++outcomes.carts_not_created;
    if (end.last != Last::kFailed) continue;
    ++outcomes.failed_by_code[end.code.empty() ? std::string{"unknown"} : end.code];
    ++failed;
  }
  // A customer with no confirm attempt fails without a record; count it so the reasons add up.
  if (const std::int64_t unrecorded = world.counts().checkouts_failed - failed; unrecorded > 0) {
    outcomes.failed_by_code["no attempt recorded"] += unrecorded;
  }
  return outcomes;
}

}  // namespace csim::properties
