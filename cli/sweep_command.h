#pragma once
// `checkout-sim sweep`: many seeds of one configuration in parallel, each a whole checked run.

#include <cstdint>
#include <string>

#include "properties/sweep.h"

namespace csim::cli {

struct SweepRequest {
  properties::SweepOptions options;
  std::string replay_flags;  // the run flags after --seed that replay one seed of it
  std::string json_file;     // "" none, "-" standard output
  bool progress_on_terminal = true;
  // Exit 1 when a situation (properties/situations.h) was never reached: a coverage gap.
  bool require_coverage = false;
  // Failing seeds of earlier sweeps with the same flags, run before the range; this sweep's
  // failing seeds are appended to it. "" none.
  std::string regressions_file;
};

// Parses "A..B" (inclusive, A <= B, at most kSweepSeedsMax seeds) into `first`/`last`; returns ""
// or what is wrong with it.
std::string ParseSeedRange(const std::string& text, std::uint64_t& first, std::uint64_t& last);

// Runs the regression seeds, then the sweep, with progress on standard error (a bar on a terminal,
// plain lines otherwise), Ctrl-C keeping what finished, prints the summary and writes the JSON.
// Returns the exit code: 0 every seed held, 1 a seed broke an invariant, failed an internal check
// or was not deterministic (or, with require_coverage, a situation was never reached), 2 the JSON
// or the regression file could not be read or written.
// A regression file has one line per failing seed: "<seed> <replay flags>"; lines of other flags
// are kept and skipped.
int RunSweepCommand(const SweepRequest& request);

}  // namespace csim::cli
