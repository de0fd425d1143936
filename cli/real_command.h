#pragma once
// `checkout-sim run --backend real --redis URL --postgres URL`: the flags only the real backend
// takes, their checks, and the command (realrun/real_run.h). Exit codes as for a simulation: 0
// every invariant held, 1 a violation, 2 bad flags or a server that could not be reached (or was
// lost mid-run), 3 an internal check failed.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/findings.h"

namespace csim::cli {

struct RealBackendFlags {
  std::string backend = "sim";  // sim | real
  std::string redis_url;
  std::string postgres_url;
  bool reset = false;
  // Flags of `run` given on the command line that only a simulation has (filled by
  // NoteSimOnlyFlags; --backend real refuses them by name).
  std::vector<std::string> sim_only_given;
};

// Adds --backend, --redis, --postgres and --reset to `run`.
void AddBackendFlags(CLI::App& run, RealBackendFlags& flags);
// Records which simulation-only flags (--faults, --trace, --json, --deprecated-http-path) were
// given. REQUIRES: `run` was parsed.
void NoteSimOnlyFlags(const CLI::App& run, RealBackendFlags& flags);
// "" if the combination is valid, else the message (exit 2): an unknown backend, --backend real
// without both URLs or with a simulation-only flag, --redis/--postgres/--reset without it.
std::string CheckBackendFlags(const RealBackendFlags& flags);
// Runs the workload of (seed, orders) on the real backend and prints its summary.
int RunRealCommand(const RealBackendFlags& flags, std::uint64_t seed, std::int32_t orders,
                   const Profile& profile, const Config& config, bool legacy_warehouse);

}  // namespace csim::cli
