#pragma once
// The JSON result of one run: the machine format every report is made from.
//   {"seed":7,"profile":"fixed","trace_hash":"…16 hex…","events":1234,"end_time_us":…,
//    "customers":20,"counts":{…,"checkout_failures":{"insufficient":2},"carts_not_created":0},
//    "vacuous":false,
//    "violations":[{"invariant":"NO-OVERSELL","entity":…,"expected":…,"actual":…,"time_us":…,
//    "seq":…}],"violation_counts":{"NO-OVERSELL":1},"violations_dropped":{},
//    "fault_points":[{"name":…,"reached":…,"fired_before":…,"fired_after":…,"crashed":…,
//    "in_window":…}],"crashes":{"checkout-api":1},"fault_windows":[…],
//    "reproduce":"checkout-sim run --seed 7 …"}

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "properties/run_check.h"
#include "reports/format.h"
#include "sim/world.h"

namespace csim::reports {

nlohmann::json RunToJson(const properties::CheckedRun& run, const sim::World& world,
                         const std::string& reproduce);

// A short human summary, a few lines.
std::string RunSummary(const properties::CheckedRun& run, const std::string& reproduce);

// The IDs of the catalogue's findings (csim::kFindings) that `invariant` detects: the rows whose
// detected_by lists it.
std::vector<std::string_view> FindingsDetectedBy(std::string_view invariant);

}  // namespace csim::reports
