#pragma once
// Situations: named moments the explorer must reach for its verdicts to mean anything (the
// "sometimes" assertions of Antithesis, the code probes of FoundationDB). A sweep in which a
// situation was never reached did not test what that situation stands for: "all held" says
// nothing about a promotion expiring mid-checkout if no promotion ever did.
//
// Each situation is counted after a run from what the world recorded (the trace of port calls
// and deliveries, the fault layer's counters) and from the fakes' ground truth; none reads core's
// own records or a finding switch. The list is fixed, so one never reached shows as a 0.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/faults.h"
#include "sim/world.h"

namespace csim::properties {

struct SituationInfo {
  std::string name;  // "promotion.expired_mid_checkout", "crash.after:order.create", ...
  std::string what;  // one line for the coverage table
};

// Every situation, in report order: the named moments, then the saga step x fault kind matrix.
const std::vector<SituationInfo>& AllSituations();

// How often each situation of AllSituations() was reached in `world` (every name present).
// REQUIRES: the world has run.
std::map<std::string, std::int64_t> CountSituations(const sim::World& world);

// The situations `plan` can produce on no seed: those of a fault kind it never draws (crashes,
// process pauses, fault windows, failures before or timeouts after an effect). A sweep lists them
// apart from its coverage gaps; reaching one anyway stops the sweep (the list would be wrong).
std::set<std::string> SituationsOutsidePlan(const sim::FaultPlan& plan);

// The saga's port calls, in the order ConfirmCheckout makes them (the matrix's rows).
const std::vector<std::string_view>& SagaSteps();

}  // namespace csim::properties
