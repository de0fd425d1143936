#pragma once
// Fault points and the fault plan. Every port call passes a named fault point
// ("warehouse.reserve", "payment.authorize", ...): simulated time passes there (latency), and the
// plan may fail the call before its effect (kUnavailable) or after it (kTimeout: the timeout that
// hid a success). Every point counts how often it was reached and how often it fired, so a run
// can show what it covered.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/task.h"
#include "sim/kernel.h"
#include "sim/rng.h"

namespace csim::sim {

struct FaultRule {
  std::uint32_t fail_before_ppm = 0;  // kUnavailable, no effect
  std::uint32_t fail_after_ppm = 0;   // kTimeout, effect applied
  DurationUs latency_min_us = 1 * kMillisecondUs;
  DurationUs latency_max_us = 5 * kMillisecondUs;
};

struct FaultPlan {
  FaultRule default_rule;
  std::map<std::string, FaultRule> rules;  // by fault point name; overrides default_rule

  const FaultRule& RuleFor(const std::string& point) const;
  // Latency only: what a run without --faults uses.
  static FaultPlan Quiet();
  // Latency plus a small chance of failure before the effect at every point.
  static FaultPlan FailBefore(std::uint32_t ppm);
  // Failures before the effect and timeouts after it (the ambiguous kind) at every point.
  static FaultPlan FailBeforeAndAfter(std::uint32_t before_ppm, std::uint32_t after_ppm);
  // The named plans of the command line: "none" (Quiet), "light" (2 % of calls fail before their
  // effect), "heavy" (5 % before, 2 % time out after it); nullopt for any other name.
  static std::optional<FaultPlan> Named(std::string_view name);
  static constexpr std::string_view kNames = "none, light, heavy";
};

struct FaultPoint {
  std::string name;
  FaultRule rule;
  NameId action = 0;
  std::uint64_t reached = 0;
  std::uint64_t fired_before = 0;
  std::uint64_t fired_after = 0;
};

// Owns the fault points of one simulation and applies the plan at each call.
class FaultLayer {
 public:
  FaultLayer(Kernel& kernel, Rng rng, FaultPlan plan);

  // The point named `name`, created on first use. The pointer stays valid for the layer's life.
  FaultPoint* Point(const std::string& name);
  const std::map<std::string, FaultPoint>& points() const { return points_; }

  // Runs `effect` (a callable returning Task<R>, R a Status or Result) at `point`, with latency and
  // the plan's faults, and records one trace event with `detail`.
  template <class R, class F>
  Task<R> Call(FaultPoint* point, F effect, std::string detail);

  // The trace outcome naming `code` (interned once per layer, not per call).
  NameId OutcomeOf(Code code) const { return code_outcomes_[static_cast<std::size_t>(code)]; }

  // Turns every fault off (the drain phase); latency stays.
  void Quiesce() { quiet_ = true; }

 private:
  enum class Decision { kNone, kBefore, kAfter };
  Decision Decide(FaultPoint& point);
  DurationUs Latency(const FaultPoint& point);
  template <class R>
  static Status StatusOf(const R& r) {
    if constexpr (std::is_same_v<R, Status>) {
      return r;
    } else {
      return r.status();
    }
  }
  void RecordOutcome(FaultPoint& point, NameId outcome, const std::string& detail);

  Kernel& kernel_;
  Rng rng_;
  FaultPlan plan_;
  bool quiet_ = false;
  std::map<std::string, FaultPoint> points_;
  std::array<NameId, kCodeCount> code_outcomes_{};
  NameId fault_before_ = 0;
  NameId fault_after_ = 0;
};

template <class R, class F>
Task<R> FaultLayer::Call(FaultPoint* point, F effect, std::string detail) {
  CSIM_CHECK(point != nullptr);
  CSIM_CHECK(points_.contains(point->name), "a point of this layer");
  ++point->reached;
  co_await kernel_.Sleep(Latency(*point));
  const Decision decision = Decide(*point);
  CSIM_CHECK(decision == Decision::kNone || !quiet_, "no fault fires once faults are off");
  if (decision == Decision::kBefore) {
    ++point->fired_before;
    CSIM_CHECK(point->fired_before + point->fired_after <= point->reached, "fired <= reached");
    RecordOutcome(*point, fault_before_, detail);
    co_return R{Status{Code::kUnavailable, point->name + ": injected failure before effect"}};
  }
  R result = co_await effect();
  co_await kernel_.Sleep(Latency(*point));
  if (decision == Decision::kAfter) {
    ++point->fired_after;
    CSIM_CHECK(point->fired_before + point->fired_after <= point->reached, "fired <= reached");
    RecordOutcome(*point, fault_after_, detail);
    co_return R{Status{Code::kTimeout, point->name + ": injected timeout after effect"}};
  }
  const Status status = StatusOf(result);
  RecordOutcome(*point, OutcomeOf(status.code()), detail);
  co_return result;
}

}  // namespace csim::sim
