// The first properties: random workloads run in the simulator under the fixed profile, with
// faults, and the invariants hold after every event and once drained.
// clang-format off: rapidcheck's GoogleTest glue needs gtest first.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
// clang-format on

#include <string>

#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_warehouse.h"
#include "properties/run_check.h"
#include "properties/workload_gen.h"

namespace csim::properties {
namespace {

std::string Describe(const std::vector<Violation>& violations) {
  std::string text;
  for (const auto& v : violations) {
    text += v.invariant + " " + v.entity + ": expected " + v.expected + ", got " + v.actual + "\n";
  }
  return text;
}

RC_GTEST_PROP(CheckoutProperty, FixedProfileKeepsStockOrdersAndMoneyUnderFaults, ()) {
  const sim::Workload workload = *GenWorkload();
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000);
  sim::WorldOptions options;
  options.seed = seed;
  options.faults = sim::FaultPlan::FailBefore(*rc::gen::element(0u, 20'000u, 100'000u));
  sim::World world(options, workload);
  const CheckedRun run = RunChecked(world);
  RC_LOG() << "seed " << seed << "\n";
  if (!run.violations.empty()) RC_FAIL(Describe(run.violations));
  // The run did real work: every placed order exists, and nothing was left pending with money.
  RC_ASSERT(run.counts.orders_placed <= static_cast<std::int64_t>(workload.customers.size()));
  std::int64_t orders = static_cast<std::int64_t>(world.order_db().Orders().size());
  RC_ASSERT(orders >= run.counts.orders_placed);
}

// The same seed and workload twice give the same trace, event for event.
RC_GTEST_PROP(CheckoutProperty, SameSeedSameTrace, ()) {
  const sim::Workload workload = *GenWorkload(6);
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000);
  sim::WorldOptions options;
  options.seed = seed;
  options.faults = sim::FaultPlan::FailBefore(50'000);
  sim::World first(options, workload);
  sim::World second(options, workload);
  first.Run();
  second.Run();
  RC_ASSERT(first.kernel().trace().size() == second.kernel().trace().size());
  RC_ASSERT(first.kernel().trace().hash() == second.kernel().trace().hash());
}

}  // namespace
}  // namespace csim::properties
