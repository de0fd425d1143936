#pragma once
// Truth: what an invariant may read, and nothing else. The ground-truth views of the fakes, the
// time of the check, the config in force and the totals customers confirmed. A simulation's truth
// is its sim::World (the implicit conversion below, so every caller passes a World as before); the
// real backend (realrun/) builds one from the fakes it kept for the services without a real
// counterpart and from snapshots of what PostgreSQL and Redis hold, loaded into fakes' views.

#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "core/check.h"
#include "core/config.h"
#include "core/money.h"
#include "core/time.h"
#include "sim/world.h"

namespace csim::properties {

class Truth {
 public:
  // Every view a checker reads; each must outlive the Truth.
  struct Views {
    TimeUs now = 0;
    const Config* config = nullptr;
    const std::unordered_map<std::string, std::set<Money>>* confirmed_totals = nullptr;
    const fakes::FakeWarehouse* warehouse = nullptr;
    const fakes::FakePaymentGateway* payment = nullptr;
    const fakes::FakeCheckoutStore* checkout_db = nullptr;
    const fakes::FakeOrderStore* order_db = nullptr;
    const fakes::FakePromotions* promotions = nullptr;
    const fakes::FakeLoyalty* loyalty = nullptr;
    const fakes::FakeEventBus* bus = nullptr;
    const fakes::FakeAlerts* alerts = nullptr;
    const sim::FaultLayer* faults = nullptr;  // the fault windows; nullptr where there are none
    // The simulated lock store and the simulator's trace (which process called what, with which
    // fault, and which process crashed or paused when); nullptr in a real run.
    const fakes::FakeLockStore* locks = nullptr;
    const sim::Trace* trace = nullptr;
    // Job name -> the services that run it (sim::World::job_services); nullptr in a real run.
    const std::map<std::string, std::set<std::string>, std::less<>>* job_services = nullptr;
    // Order id -> when the simulated fulfilment service shipped it; nullptr in a real run.
    const std::map<std::string, TimeUs>* fulfilment_shipped = nullptr;
  };

  // The simulation's truth at the kernel's current time. Implicit on purpose: a World is a Truth.
  Truth(const sim::World& world)  // NOLINT(google-explicit-constructor)
      : Truth(Views{world.kernel().now(), &world.options().config, &world.confirmed_totals(),
                    &world.warehouse(), &world.payment(), &world.checkout_db(), &world.order_db(),
                    &world.promotions(), &world.loyalty(), &world.bus(), &world.alerts(),
                    &world.faults(), &world.locks(), &world.kernel().trace(), &world.job_services(),
                    &world.fulfilment_shipped()}) {}
  // REQUIRES: every pointer of `views` is set.
  explicit Truth(const Views& views) : v_(views) {
    CSIM_CHECK(v_.config && v_.confirmed_totals && v_.warehouse && v_.payment && v_.checkout_db,
               "a truth has every view");
    CSIM_CHECK(v_.order_db && v_.promotions && v_.loyalty && v_.bus && v_.alerts,
               "a truth has every view");
    CSIM_CHECK(!v_.locks == !v_.trace, "the simulation's lock view comes with its trace");
    CSIM_CHECK(!v_.job_services == !v_.trace, "the simulation's job services come with its trace");
    CSIM_CHECK(!v_.fulfilment_shipped == !v_.trace,
               "the simulation's fulfilment record comes with its trace");
  }

  // When the check runs (the kernel's time, or the wall clock of a real run).
  TimeUs now() const { return v_.now; }
  const Config& config() const { return *v_.config; }
  // checkout attempt -> every total its customer confirmed (PRICE-AS-CONFIRMED).
  const std::unordered_map<std::string, std::set<Money>>& confirmed_totals() const {
    return *v_.confirmed_totals;
  }
  const fakes::FakeWarehouse& warehouse() const { return *v_.warehouse; }
  const fakes::FakePaymentGateway& payment() const { return *v_.payment; }
  const fakes::FakeCheckoutStore& checkout_db() const { return *v_.checkout_db; }
  const fakes::FakeOrderStore& order_db() const { return *v_.order_db; }
  const fakes::FakePromotions& promotions() const { return *v_.promotions; }
  const fakes::FakeLoyalty& loyalty() const { return *v_.loyalty; }
  const fakes::FakeEventBus& bus() const { return *v_.bus; }
  const fakes::FakeAlerts& alerts() const { return *v_.alerts; }
  // The simulation's fault windows (STOCK-NO-LEAK's undisturbed bound); nullptr in a real run.
  const sim::FaultLayer* faults() const { return v_.faults; }
  // The simulation's lock store and trace (SAGA-SETTLES's lock rule); both or neither are set,
  // and neither in a real run.
  const fakes::FakeLockStore* locks() const { return v_.locks; }
  const sim::Trace* trace() const { return v_.trace; }
  // Order id -> when the simulated fulfilment service shipped it; nullptr in a real run, whose
  // fulfilment is not modelled.
  const std::map<std::string, TimeUs>* fulfilment_shipped() const { return v_.fulfilment_shipped; }
  // The one service whose processes run core's job `job` in the simulation ("" if none or
  // several do, or in a real run): which workers an invariant waits on is where core put the job,
  // not a switch.
  std::string_view ServiceRunning(std::string_view job) const {
    if (v_.job_services == nullptr) return {};
    const auto it = v_.job_services->find(job);
    if (it == v_.job_services->end() || it->second.size() != 1) return {};
    return *it->second.begin();
  }

 private:
  Views v_;
};

}  // namespace csim::properties
