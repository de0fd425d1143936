#include "cli/real_command.h"

#include <fmt/format.h>

#include <iostream>

#include "core/check.h"
#include "realrun/real_run.h"

namespace csim::cli {
namespace {

constexpr int kExitHeld = 0;
constexpr int kExitViolation = 1;
constexpr int kExitBadInput = 2;

}  // namespace

void AddBackendFlags(CLI::App& run, RealBackendFlags& flags) {
  run.add_option("--backend", flags.backend,
                 "sim (the simulated world) or real (Redis and PostgreSQL, needs --redis and "
                 "--postgres)")
      ->capture_default_str();
  run.add_option("--redis", flags.redis_url, "--backend real: redis://host[:port][/db]");
  run.add_option("--postgres", flags.postgres_url,
                 "--backend real: postgresql://[user@]host[:port]/dbname");
  run.add_flag("--reset", flags.reset,
               "--backend real: first delete the csim: keys and empty the checkout and orders "
               "schemas");
}

void NoteSimOnlyFlags(const CLI::App& run, RealBackendFlags& flags) {
  for (const char* name : {"--faults", "--trace", "--json", "--deprecated-http-path"}) {
    if (run.count(name) > 0) flags.sim_only_given.emplace_back(name);
  }
}

std::string CheckBackendFlags(const RealBackendFlags& flags) {
  if (flags.backend != "sim" && flags.backend != "real") {
    return "--backend: unknown backend '" + flags.backend + "' (valid: sim, real)";
  }
  if (flags.backend == "sim") {
    if (!flags.redis_url.empty()) return "--redis: only with --backend real";
    if (!flags.postgres_url.empty()) return "--postgres: only with --backend real";
    if (flags.reset) return "--reset: only with --backend real";
    return "";
  }
  if (flags.redis_url.empty() || flags.postgres_url.empty()) {
    return "--backend real: needs --redis URL and --postgres URL (missing: " +
           std::string{flags.redis_url.empty() ? "--redis" : ""} +
           (flags.redis_url.empty() && flags.postgres_url.empty() ? " " : "") +
           (flags.postgres_url.empty() ? "--postgres" : "") + ")";
  }
  if (!flags.sim_only_given.empty()) {
    return flags.sim_only_given.front() +
           ": only a simulation has it, not --backend real (no injected faults, no trace)";
  }
  return "";
}

int RunRealCommand(const RealBackendFlags& flags, std::uint64_t seed, std::int32_t orders,
                   const Profile& profile, const Config& config, bool legacy_warehouse) {
  CSIM_CHECK(CheckBackendFlags(flags).empty(), "flags checked before the run");
  realrun::RealRunOptions options;
  options.redis_url = flags.redis_url;
  options.postgres_url = flags.postgres_url;
  options.seed = seed;
  options.orders = orders;
  options.profile = profile;
  options.config = config;
  options.order_uses_legacy_warehouse = legacy_warehouse;
  options.reset = flags.reset;
  // A CheckFailure (a bug in checkout-sim) reaches main's handler: exit 3.
  Result<realrun::RealRunResult> result = realrun::RunReal(options);
  if (!result.ok()) {
    // The status names the backend and the server ("redis at 127.0.0.1:1: cannot connect: ...").
    std::cerr << "checkout-sim: --backend real: " << result.status().message() << "\n";
    return kExitBadInput;
  }
  std::cout << realrun::RealRunSummary(options, result.value());
  if (!result->violation_counts.empty()) {
    std::cout << fmt::format(
        "reproduce: checkout-sim run --backend real --redis {} --postgres {} --reset --seed {} "
        "--orders {} --profile {}\n",
        flags.redis_url, flags.postgres_url, seed, orders, profile.Name());
  }
  return result->violation_counts.empty() ? kExitHeld : kExitViolation;
}

}  // namespace csim::cli
