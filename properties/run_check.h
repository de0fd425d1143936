#pragma once
// One simulation with its invariants checked: "always" ones after every event that touched the
// world, "settled" ones after the drain. The first occurrence of each (invariant, entity) is a
// violation; every one is counted, the first kViolationsKeptMax are kept, sorted by time.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "properties/invariant.h"
#include "sim/world.h"

namespace csim::properties {

inline constexpr std::size_t kViolationsKeptMax = 200;

// Why customers did not get an order, read from the trace's "customer.checkout" records.
struct CheckoutOutcomes {
  // Checkouts that failed (sim::RunCounts::checkouts_failed), by the status code name of the
  // customer's last failed preview or confirm ("insufficient", "rejected", ...).
  std::map<std::string, std::int64_t> failed_by_code;
  std::int64_t carts_not_created = 0;  // customers whose cart could not be created
  bool operator==(const CheckoutOutcomes&) const = default;
};

struct CheckedRun {
  std::uint64_t seed = 0;
  std::string profile;
  std::uint64_t trace_hash = 0;
  std::size_t events = 0;
  TimeUs end_time_us = 0;
  std::int64_t customers = 0;  // the workload's size (--orders)
  sim::RunCounts counts;
  CheckoutOutcomes checkout_outcomes;
  std::map<std::string, std::uint64_t> crashes;    // by process name; restarted every time
  bool drain_still_busy = false;                   // sim::World::drain_still_busy
  std::map<std::string, std::int64_t> situations;  // properties/situations.h, every name
  // Kept violations (at most kViolationsKeptMax), by time_us, then in the order they were found.
  std::vector<Violation> violations;
  // Every violation found, kept or not, per invariant name; and how many of them were not kept.
  // An invariant with none found is absent from both; one with none dropped is absent from
  // violations_dropped.
  std::map<std::string, std::int64_t> violation_counts;
  std::map<std::string, std::int64_t> violations_dropped;

  // True when the run placed no order, so the invariants had nothing to test.
  bool vacuous() const { return counts.orders_placed == 0; }
  std::int64_t violations_found() const;
};

// How the "always" invariants are checked after each event: over the rows the event changed
// (properties/change_tracker.h), or over the whole world (the reference; its cost grows with the
// world, so a run's with the square of its orders). Both find the same violations.
enum class CheckMode { kIncremental, kFullRescan };

// Runs `world` to the end. `check_every_event` false checks always-invariants only at the end
// (for benchmarks of the world alone).
CheckedRun RunChecked(sim::World& world, bool check_every_event = true,
                      CheckMode mode = CheckMode::kIncremental);

// Told every kProgressEveryEvents trace events how far the run is: the simulated time reached,
// the time it ends (sim::World::EndTimeUs) and the trace events so far.
inline constexpr std::size_t kProgressEveryEvents = 16'384;
using RunProgress = std::function<void(TimeUs now_us, TimeUs end_us, std::size_t events)>;
CheckedRun RunChecked(sim::World& world, bool check_every_event, CheckMode mode,
                      const RunProgress& progress);

// What a run of `customers` customers needs, estimated before it starts (a run keeps its whole
// trace and world in memory): trace events, and heap bytes at kRunBytesPerEvent each.
// scaling_bench measures the bytes per event (docs/speed.md).
inline constexpr std::int64_t kRunBytesPerEvent = 400;
struct RunEstimate {
  std::int64_t events = 0;
  std::int64_t bytes = 0;
};
RunEstimate EstimateRun(std::int64_t customers);
// Why a run of `customers` cannot fit (`available_bytes` of memory, the trace's limit of
// `trace_events_max` events), or "" if it can.
std::string RunTooBig(std::int64_t customers, std::int64_t available_bytes,
                      std::size_t trace_events_max);
// The memory this machine has available now (Linux: MemAvailable), or -1 if unknown. Read by the
// command line before a run, never inside one.
std::int64_t AvailableMemoryBytes();

// The customers' checkout outcomes as the trace recorded them.
CheckoutOutcomes ReadCheckoutOutcomes(const sim::World& world);

}  // namespace csim::properties
