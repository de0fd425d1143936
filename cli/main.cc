// checkout-sim: the command line. Exit codes: 0 every invariant held, 1 a violation was found,
// 2 bad usage or bad input (nothing run, nothing written), 3 an internal check failed (a bug in
// checkout-sim; the message and the reproducing command are printed).

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/config.h"
#include "core/findings.h"
#include "properties/run_check.h"
#include "reports/run_json.h"
#include "sim/world.h"

namespace {

using namespace csim;

constexpr int kExitHeld = 0;
constexpr int kExitViolation = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitInternal = 3;

struct BadInput {
  std::string message;
};

struct RunFlags {
  std::uint64_t seed = 1;
  std::int32_t orders = 20;
  std::string profile = "fixed";
  std::vector<std::string> as_reviewed;
  std::string config_file;
  std::string faults = "light";
  std::string trace_file;
  std::string json_file;
  bool legacy_warehouse = false;
};

Profile MakeProfile(const RunFlags& flags) {
  Profile profile;
  if (flags.profile == "fixed") {
    profile = Profile::AllFixed();
  } else if (flags.profile == "as-reviewed") {
    profile = Profile::AsReviewed();
  } else {
    throw BadInput{"--profile: unknown profile '" + flags.profile +
                   "' (valid: fixed, as-reviewed)"};
  }
  for (const std::string& id : flags.as_reviewed) {
    auto finding = LookupFinding(id);
    if (!finding) {
      throw BadInput{"--as-reviewed: unknown finding ID '" + id + "' (valid: " + ValidFindingIds() +
                     ")"};
    }
    profile.SetAsReviewed(*finding);
  }
  return profile;
}

Config MakeConfig(const RunFlags& flags) {
  if (flags.config_file.empty()) return DefaultConfig();
  std::ifstream in(flags.config_file);
  if (!in) throw BadInput{"--config: cannot read '" + flags.config_file + "'"};
  std::stringstream text;
  text << in.rdbuf();
  auto config = LoadConfigJson(text.str());
  if (!config.ok()) throw BadInput{flags.config_file + ": " + config.status().message()};
  return config.value();
}

sim::FaultPlan MakeFaults(const std::string& name) {
  if (name == "none") return sim::FaultPlan::Quiet();
  if (name == "light") return sim::FaultPlan::FailBefore(20'000);  // 2 % of port calls fail
  if (name == "heavy") {
    // 5 % fail before their effect, 2 % time out after it (the effect applied, the caller unsure).
    return sim::FaultPlan::FailBeforeAndAfter(50'000, 20'000);
  }
  throw BadInput{"--faults: unknown fault plan '" + name + "' (valid: none, light, heavy)"};
}

std::string ReproduceLine(const RunFlags& flags) {
  std::string line = fmt::format("checkout-sim run --seed {} --orders {} --profile {} --faults {}",
                                 flags.seed, flags.orders, flags.profile, flags.faults);
  for (const auto& id : flags.as_reviewed) line += " --as-reviewed " + id;
  if (!flags.config_file.empty()) line += " --config " + flags.config_file;
  if (flags.legacy_warehouse) line += " --legacy-warehouse";
  return line;
}

void WriteFile(const std::string& path, const std::string& what, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw BadInput{what + ": cannot write '" + path + "'"};
  out << content;
}

// An output path is usable if its folder exists; checked before the run so a bad path never
// leaves a run half written.
void CheckOutputPath(const std::string& path, const std::string& flag) {
  if (path.empty()) return;
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw BadInput{flag + ": folder '" + folder.string() + "' does not exist"};
  }
  if (std::filesystem::is_directory(path)) throw BadInput{flag + ": '" + path + "' is a folder"};
}

int Run(const RunFlags& flags) {
  // Everything that can be wrong with the input is checked before anything runs or is written.
  sim::WorldOptions options;
  options.seed = flags.seed;
  options.profile = MakeProfile(flags);
  options.config = MakeConfig(flags);
  options.faults = MakeFaults(flags.faults);
  options.order_uses_legacy_warehouse = flags.legacy_warehouse;
  if (flags.orders < 0 || flags.orders > sim::kWorkloadCustomersMax) {
    throw BadInput{fmt::format("--orders: must be between 0 and {}", sim::kWorkloadCustomersMax)};
  }
  sim::WorkloadOptions workload_options;
  workload_options.orders = flags.orders;
  CheckOutputPath(flags.trace_file, "--trace");
  CheckOutputPath(flags.json_file, "--json");
  const std::string reproduce = ReproduceLine(flags);

  sim::World world(options, sim::GenerateWorkload(flags.seed, workload_options));
  properties::CheckedRun run;
  try {
    run = properties::RunChecked(world);
  } catch (const CheckFailure& failure) {
    std::cerr << "internal check failed: " << failure.what() << "\nreproduce: " << reproduce
              << "\n";
    return kExitInternal;
  }
  if (!flags.trace_file.empty()) {
    std::ostringstream trace;
    world.kernel().trace().WriteJsonLines(trace, world.kernel().ProcessNames());
    WriteFile(flags.trace_file, "--trace", trace.str());
  }
  if (!flags.json_file.empty()) {
    WriteFile(flags.json_file, "--json", reports::RunToJson(run, world, reproduce).dump(2) + "\n");
  }
  std::cout << reports::RunSummary(run, reproduce);
  return run.violations.empty() ? kExitHeld : kExitViolation;
}

// The config in force (the built-in default, or it overlaid with --config), every key shown.
int PrintConfig(const RunFlags& flags) {
  std::cout << ConfigToJson(MakeConfig(flags)) << "\n";
  return kExitHeld;
}

int ListFindings() {
  for (const FindingInfo& f : kFindings) {
    std::string ids{f.id};
    if (!f.aliases.empty()) ids += " (" + std::string{f.aliases} + ")";
    std::cout << fmt::format("{:<40} {}\n", ids, f.summary);
  }
  return kExitHeld;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"checkout-sim: deterministic simulation of the checkout and order saga"};
  app.require_subcommand(1);
  RunFlags flags;
  CLI::App* run = app.add_subcommand("run", "run one simulation and check the invariants");
  run->add_option("--seed", flags.seed, "seed of the simulation")->capture_default_str();
  run->add_option("--orders", flags.orders, "customers, each checking out one cart")
      ->capture_default_str();
  run->add_option("--profile", flags.profile, "fixed or as-reviewed")->capture_default_str();
  run->add_option("--as-reviewed", flags.as_reviewed,
                  "turn one finding back to its as-reviewed behaviour (repeatable)");
  run->add_option("--config", flags.config_file, "JSON config overlaid on the built-in default");
  run->add_option("--faults", flags.faults, "fault plan: none, light or heavy")
      ->capture_default_str();
  run->add_flag("--legacy-warehouse", flags.legacy_warehouse,
                "deploy the order service on its second warehouse interface (EC-14)");
  run->add_option("--trace", flags.trace_file, "write the JSON-lines trace here");
  run->add_option("--json", flags.json_file, "write the JSON result here");
  CLI::App* findings = app.add_subcommand("findings", "list the findings and their IDs");
  CLI::App* config = app.add_subcommand("config", "print the config in force, every key");
  config->add_option("--config", flags.config_file, "JSON config overlaid on the built-in default");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? kExitHeld : kExitBadInput;
  }
  try {
    if (run->parsed()) return Run(flags);
    if (findings->parsed()) return ListFindings();
    if (config->parsed()) return PrintConfig(flags);
  } catch (const BadInput& bad) {
    std::cerr << "checkout-sim: " << bad.message << "\n";
    return kExitBadInput;
  } catch (const CheckFailure& failure) {
    std::cerr << "internal check failed: " << failure.what() << "\n";
    return kExitInternal;
  }
  return kExitBadInput;
}
