#include "sim/faults.h"

namespace csim::sim {

const FaultRule& FaultPlan::RuleFor(const std::string& point) const {
  auto it = rules.find(point);
  return it == rules.end() ? default_rule : it->second;
}

FaultPlan FaultPlan::Quiet() {
  return FaultPlan{};
}

FaultPlan FaultPlan::FailBefore(std::uint32_t ppm) {
  FaultPlan plan;
  plan.default_rule.fail_before_ppm = ppm;
  return plan;
}

FaultPlan FaultPlan::FailBeforeAndAfter(std::uint32_t before_ppm, std::uint32_t after_ppm) {
  FaultPlan plan = FailBefore(before_ppm);
  plan.default_rule.fail_after_ppm = after_ppm;
  return plan;
}

std::optional<FaultPlan> FaultPlan::Named(std::string_view name) {
  if (name == "none") return Quiet();
  if (name == "light") return FailBefore(20'000);
  if (name == "heavy") return FailBeforeAndAfter(50'000, 20'000);
  return std::nullopt;
}

FaultLayer::FaultLayer(Kernel& kernel, Rng rng, FaultPlan plan)
    : kernel_(kernel), rng_(rng), plan_(std::move(plan)) {
  for (int code = 0; code < kCodeCount; ++code) {
    code_outcomes_[static_cast<std::size_t>(code)] =
        kernel_.trace().Intern(CodeName(static_cast<Code>(code)));
  }
  fault_before_ = kernel_.trace().Intern("fault.before");
  fault_after_ = kernel_.trace().Intern("fault.after");
}

FaultPoint* FaultLayer::Point(const std::string& name) {
  auto it = points_.find(name);
  if (it == points_.end()) {
    FaultPoint point;
    point.name = name;
    point.rule = plan_.RuleFor(name);
    point.action = kernel_.trace().Intern(name);
    it = points_.emplace(name, std::move(point)).first;
  }
  return &it->second;
}

FaultLayer::Decision FaultLayer::Decide(FaultPoint& point) {
  if (quiet_) return Decision::kNone;
  // Two draws always, so the stream does not shift with the rule's values.
  const bool before = rng_.ChancePpm(point.rule.fail_before_ppm);
  const bool after = rng_.ChancePpm(point.rule.fail_after_ppm);
  if (before) return Decision::kBefore;
  if (after) return Decision::kAfter;
  return Decision::kNone;
}

DurationUs FaultLayer::Latency(const FaultPoint& point) {
  CSIM_CHECK(point.rule.latency_min_us >= 0);
  CSIM_CHECK(point.rule.latency_min_us <= point.rule.latency_max_us);
  return rng_.Between(point.rule.latency_min_us, point.rule.latency_max_us);
}

void FaultLayer::RecordOutcome(FaultPoint& point, NameId outcome, const std::string& detail) {
  kernel_.Record(point.action, outcome, detail);
}

}  // namespace csim::sim
