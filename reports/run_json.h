#pragma once
// The JSON result of one run: the machine format every report is made from.
//   {"seed":7,"profile":"fixed","trace_hash":"…16 hex…","events":1234,"end_time_us":…,
//    "counts":{…},"violations":[{"invariant":"NO-OVERSELL","entity":…,"expected":…,
//    "actual":…,"time_us":…}],"fault_points":[{"name":…,"reached":…,"fired_before":…,
//    "fired_after":…}],"reproduce":"checkout-sim run --seed 7 …"}

#include <string>

#include <nlohmann/json.hpp>

#include "properties/run_check.h"
#include "sim/world.h"

namespace csim::reports {

nlohmann::json RunToJson(const properties::CheckedRun& run, const sim::World& world,
                         const std::string& reproduce);

// A short human summary, a few lines.
std::string RunSummary(const properties::CheckedRun& run, const std::string& reproduce);

}  // namespace csim::reports
