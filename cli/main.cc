// checkout-sim: the command line. Exit codes: 0 every invariant held, 1 a violation was found,
// 2 bad usage or bad input (nothing run, nothing written) or an output that could not be written
// (after the summary), 3 an internal check failed (a bug in checkout-sim; the message and the
// reproducing command are printed).

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/output_path.h"
#include "cli/real_command.h"
#include "cli/sweep_command.h"
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
  std::string seed_text = "1";  // parsed by ParseSeed: CLI11 would wrap "-1" into 2^64-1
  std::string orders_text = "20";
  std::string arrivals_text = std::to_string(sim::kArrivalsPerMinuteDefault);
  std::uint64_t seed = 1;
  std::int32_t orders = 20;
  std::int32_t arrivals_per_minute = sim::kArrivalsPerMinuteDefault;
  std::string profile = "fixed";
  std::vector<std::string> as_reviewed;
  std::string config_file;
  std::string faults = "light";
  std::string trace_file;
  std::string json_file;
  bool legacy_warehouse = false;
  bool deprecated_http = false;  // the deployment re-enables the deprecated HTTP path
  cli::RealBackendFlags real;    // --backend and what only --backend real takes
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

std::string ReadConfigFile(const RunFlags& flags) {
  std::ifstream in(flags.config_file);
  if (!in) throw BadInput{"--config: cannot read '" + flags.config_file + "'"};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Config MakeConfig(const RunFlags& flags) {
  if (flags.config_file.empty()) return DefaultConfig();
  auto config = LoadConfigJson(ReadConfigFile(flags));
  if (!config.ok()) throw BadInput{flags.config_file + ": " + config.status().message()};
  return config.value();
}

// True if --config names order.reservation_timeout_minutes: the user's TTL then holds on every
// swarm seed, the built-in 15 included (WorldOptions::config_sets_reservation_ttl). Called after
// MakeConfig, which has rejected a file that is not a valid config.
bool ConfigSetsReservationTtl(const RunFlags& flags) {
  if (flags.config_file.empty()) return false;
  const nlohmann::json json = nlohmann::json::parse(ReadConfigFile(flags), nullptr, false);
  return json.is_object() && json.contains("order") && json["order"].is_object() &&
         json["order"].contains("reservation_timeout_minutes");
}

sim::FaultPlan MakeFaults(const std::string& name) {
  if (auto plan = sim::FaultPlan::Named(name)) return *plan;
  throw BadInput{"--faults: unknown fault plan '" + name +
                 "' (valid: " + std::string{sim::FaultPlan::kNames} + ")"};
}

std::string ReproduceLine(const RunFlags& flags) {
  std::string line = fmt::format("checkout-sim run --seed {} --orders {} --profile {} --faults {}",
                                 flags.seed, flags.orders, flags.profile, flags.faults);
  if (flags.arrivals_per_minute != sim::kArrivalsPerMinuteDefault) {
    line += fmt::format(" --arrivals-per-minute {}", flags.arrivals_per_minute);
  }
  for (const auto& id : flags.as_reviewed) line += " --as-reviewed " + id;
  if (!flags.config_file.empty()) line += " --config " + flags.config_file;
  if (flags.legacy_warehouse) line += " --legacy-warehouse";
  if (flags.deprecated_http) line += " --deprecated-http-path";
  return line;
}

constexpr std::string_view kStdout = "-";

// --seed: a whole number in [0, 2^64-1], digits only (no sign, no spaces).
std::uint64_t ParseSeed(const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::result_out_of_range && ptr == end) {
    throw BadInput{fmt::format("--seed: must be at most {} (2^64-1), got '{}'",
                               std::numeric_limits<std::uint64_t>::max(), text)};
  }
  if (text.empty() || error != std::errc{} || ptr != end) {
    throw BadInput{fmt::format("--seed: must be a whole number between 0 and {}, got '{}'",
                               std::numeric_limits<std::uint64_t>::max(), text)};
  }
  return value;
}

// `flag`'s value: a whole number in [low, high], digits only.
std::int32_t ParseWholeNumber(std::string_view flag, const std::string& text, std::int32_t low,
                              std::int32_t high) {
  CSIM_CHECK(low <= high);
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  const std::string range = fmt::format("{}: must be between {} and {}", flag, low, high);
  if (text.empty() || ptr != end ||
      (error != std::errc{} && error != std::errc::result_out_of_range)) {
    throw BadInput{range + " (a whole number), got '" + text + "'"};
  }
  if (error != std::errc{} || value < low || value > high) {
    throw BadInput{range + ", got '" + text + "'"};
  }
  return static_cast<std::int32_t>(value);
}

// --orders: a whole number in [0, kWorkloadCustomersMax].
std::int32_t ParseOrders(const std::string& text) {
  return ParseWholeNumber("--orders", text, 0, sim::kWorkloadCustomersMax);
}

// --arrivals-per-minute: the traffic level, at most the whole workload in one minute.
std::int32_t ParseArrivalsPerMinute(const std::string& text) {
  return ParseWholeNumber("--arrivals-per-minute", text, 1, sim::kWorkloadCustomersMax);
}

// Where one output goes: "-" is standard output; a regular file (or a new one) is written under
// a temporary name in the same folder and renamed into place once complete; anything else that
// exists (/dev/full, /dev/null, a pipe) is written directly.
struct Output {
  std::string flag;  // "--json" or "--trace"
  std::string path;
  std::function<void(std::ostream&)> write;
};

bool IsStdout(const std::string& path) {
  return path == kStdout;
}

// The file a regular output replaces: through a symbolic link, the file it points to (so the
// link stays a link).
std::filesystem::path ReplacedFile(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_symlink(std::filesystem::symlink_status(path, error))) return path;
  std::filesystem::path target = std::filesystem::weakly_canonical(path, error);
  return error ? std::filesystem::path{path} : target;
}

// An output path is usable if its folder exists and it is not a folder, and if what will be
// written (the device itself, or the folder the file is created in) is writable; checked before
// the run so a bad path never leaves a run half written.
void CheckOutputPath(const std::string& path, const std::string& flag) {
  if (path.empty() || IsStdout(path)) return;
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw BadInput{flag + ": folder '" + folder.string() + "' does not exist"};
  }
  if (std::filesystem::is_directory(path)) throw BadInput{flag + ": '" + path + "' is a folder"};
  if (cli::IsSpecialFile(path)) {
    if (::access(path.c_str(), W_OK) != 0) {
      throw BadInput{flag + ": cannot write '" + path + "': " + std::strerror(errno)};
    }
    return;
  }
  std::filesystem::path replaced_folder = ReplacedFile(path).parent_path();
  if (replaced_folder.empty()) replaced_folder = ".";
  if (::access(replaced_folder.c_str(), W_OK | X_OK) != 0) {
    throw BadInput{flag + ": cannot write in folder '" + replaced_folder.string() +
                   "': " + std::strerror(errno)};
  }
}

// The two outputs must go to different places, and at most one of them to standard output.
void CheckOutputsDistinct(const RunFlags& flags) {
  if (flags.trace_file.empty() || flags.json_file.empty()) return;
  if (IsStdout(flags.trace_file) && IsStdout(flags.json_file)) {
    throw BadInput{"--json - and --trace -: only one output can go to standard output"};
  }
  if (IsStdout(flags.trace_file) || IsStdout(flags.json_file)) return;
  std::error_code trace_error;
  std::error_code json_error;
  const auto trace = std::filesystem::weakly_canonical(flags.trace_file, trace_error);
  const auto json = std::filesystem::weakly_canonical(flags.json_file, json_error);
  if (flags.trace_file == flags.json_file || (!trace_error && !json_error && trace == json)) {
    throw BadInput{"--json and --trace: both name '" + flags.json_file +
                   "'; give them different files"};
  }
}

// A temporary name next to `path`, in the same folder so the rename cannot cross file systems.
std::filesystem::path TemporaryNameFor(const std::filesystem::path& path) {
  std::filesystem::path name = path;
  name.replace_filename("." + path.filename().string() + fmt::format(".tmp-{}", ::getpid()));
  return name;
}

// Writes one output; returns "" or what went wrong. A regular file is left at `temporary` (set
// here) for WriteOutputs to rename.
std::string WriteOutput(const Output& output, std::filesystem::path& temporary) {
  const auto cannot = [&](const std::string& why) {
    return output.flag + ": cannot write '" + output.path + "'" + (why.empty() ? "" : ": " + why);
  };
  if (IsStdout(output.path)) {
    output.write(std::cout);
    std::cout.flush();
    return std::cout ? "" : output.flag + ": cannot write to standard output";
  }
  const bool direct = cli::IsSpecialFile(output.path);
  if (!direct) temporary = TemporaryNameFor(ReplacedFile(output.path));
  const std::filesystem::path written = direct ? std::filesystem::path{output.path} : temporary;
  std::ofstream out(written, std::ios::binary | std::ios::trunc);
  if (!out) {
    const std::string why = std::strerror(errno);
    temporary.clear();
    return cannot(direct ? why : "cannot create '" + written.string() + "': " + why);
  }
  output.write(out);
  out.flush();
  const bool flushed = static_cast<bool>(out);
  const std::string why = flushed ? "" : std::strerror(errno);
  out.close();
  if (!flushed || !out) {
    std::error_code ignored;
    if (!direct) std::filesystem::remove(temporary, ignored);
    temporary.clear();
    return cannot(flushed ? "closing failed" : why);
  }
  return "";
}

// Writes every output; only when all are complete are the temporary files renamed into place,
// so a failure leaves none of them half written (or written at all, for regular files).
void WriteOutputs(const std::vector<Output>& outputs) {
  std::vector<std::filesystem::path> temporaries(outputs.size());
  const auto remove_temporaries = [&] {
    for (const auto& temporary : temporaries) {
      std::error_code ignored;
      if (!temporary.empty()) std::filesystem::remove(temporary, ignored);
    }
  };
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (std::string failure = WriteOutput(outputs[i], temporaries[i]); !failure.empty()) {
      remove_temporaries();
      throw BadInput{failure};
    }
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (temporaries[i].empty()) continue;
    std::error_code error;
    std::filesystem::rename(temporaries[i], ReplacedFile(outputs[i].path), error);
    if (error) {
      remove_temporaries();
      throw BadInput{outputs[i].flag + ": cannot write '" + outputs[i].path +
                     "': " + error.message()};
    }
    temporaries[i].clear();
  }
}

// A run's progress on standard error, only on a terminal: the simulated time reached, redrawn
// every properties::kProgressEveryEvents trace events (no wall clock outside adapters/).
properties::RunProgress ProgressOnTerminal() {
  if (isatty(STDERR_FILENO) != 1) return {};
  return [](TimeUs now_us, TimeUs end_us, std::size_t events) {
    std::cerr << fmt::format("\rrun: simulated {} of {} min ({} %), {} events ", now_us / kMinuteUs,
                             end_us / kMinuteUs, end_us > 0 ? 100 * now_us / end_us : 100, events)
              << std::flush;
  };
}

int Run(RunFlags& flags) {
  // Everything that can be wrong with the input is checked before anything runs or is written.
  sim::WorldOptions options;
  flags.seed = ParseSeed(flags.seed_text);
  flags.orders = ParseOrders(flags.orders_text);
  flags.arrivals_per_minute = ParseArrivalsPerMinute(flags.arrivals_text);
  if (std::string problem = cli::CheckBackendFlags(flags.real); !problem.empty()) {
    throw BadInput{problem};
  }
  if (flags.real.backend == "real") {
    if (flags.arrivals_per_minute != sim::kArrivalsPerMinuteDefault) {
      throw BadInput{
          "--arrivals-per-minute: --backend real has no traffic level (it runs its "
          "customers one after another)"};
    }
    return cli::RunRealCommand(flags.real, flags.seed, flags.orders, MakeProfile(flags),
                               MakeConfig(flags), flags.legacy_warehouse);
  }
  options.seed = flags.seed;
  options.profile = MakeProfile(flags);
  options.config = MakeConfig(flags);
  options.config_sets_reservation_ttl = ConfigSetsReservationTtl(flags);
  options.faults = MakeFaults(flags.faults);
  options.order_uses_legacy_warehouse = flags.legacy_warehouse;
  options.deprecated_http_subscription = flags.deprecated_http;
  sim::WorkloadOptions workload_options;
  workload_options.orders = flags.orders;
  workload_options.arrivals_per_minute_max = flags.arrivals_per_minute;
  CheckOutputPath(flags.trace_file, "--trace");
  CheckOutputPath(flags.json_file, "--json");
  CheckOutputsDistinct(flags);
  const std::string reproduce = ReproduceLine(flags);
  if (const std::string too_big = properties::RunTooBig(
          flags.orders, properties::AvailableMemoryBytes(), options.limits.trace_events_max);
      !too_big.empty()) {
    throw BadInput{"--orders: " + too_big};
  }

  sim::World world(options, sim::GenerateWorkload(flags.seed, workload_options));
  properties::CheckedRun run;
  try {
    const properties::RunProgress progress = ProgressOnTerminal();
    run = properties::RunChecked(world, true, properties::CheckMode::kIncremental, progress);
    if (progress) std::cerr << "\r\033[K" << std::flush;  // the summary replaces the line
  } catch (const CheckFailure& failure) {
    std::cerr << "internal check failed: " << failure.what() << "\nreproduce: " << reproduce
              << "\n";
    // The trace up to the failed check is what a developer needs to see how the run got there.
    if (!flags.trace_file.empty()) {
      std::cerr << "the trace up to the failed check goes to " << flags.trace_file << "\n";
      WriteOutputs({{"--trace", flags.trace_file, [&](std::ostream& out) {
                       world.kernel().trace().WriteJsonLines(out, world.kernel().ProcessNames());
                     }}});
    }
    return kExitInternal;
  }
  // The summary first, so a failed write below never hides what the run found. With an output
  // on standard output, the summary goes to standard error and standard output stays valid.
  const bool output_on_stdout = IsStdout(flags.trace_file) || IsStdout(flags.json_file);
  std::ostream& summary = output_on_stdout ? std::cerr : std::cout;
  summary << reports::RunSummary(run, reproduce);
  summary.flush();
  std::vector<Output> outputs;
  if (!flags.trace_file.empty()) {
    outputs.push_back({"--trace", flags.trace_file, [&](std::ostream& out) {
                         world.kernel().trace().WriteJsonLines(out, world.kernel().ProcessNames());
                       }});
  }
  if (!flags.json_file.empty()) {
    outputs.push_back({"--json", flags.json_file, [&](std::ostream& out) {
                         out << reports::RunToJson(run, world, reproduce).dump(2) << "\n";
                       }});
  }
  WriteOutputs(outputs);
  return run.violation_counts.empty() ? kExitHeld : kExitViolation;
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

// The flags only `sweep` has.
struct SweepFlags {
  bool require_coverage = false;
  std::string regressions_file;
};

// `sweep`: the run flags' profile, config, faults and orders, over a range of seeds in parallel.
int Sweep(const RunFlags& flags, const std::string& seeds, std::int32_t jobs,
          const SweepFlags& sweep_only) {
  cli::SweepRequest request;
  request.require_coverage = sweep_only.require_coverage;
  request.regressions_file = sweep_only.regressions_file;
  properties::SweepOptions& options = request.options;
  const std::string range_problem =
      cli::ParseSeedRange(seeds, options.first_seed, options.last_seed);
  if (!range_problem.empty()) throw BadInput{"--seeds: " + range_problem};
  if (jobs < 1 || jobs > properties::kSweepJobsMax) {
    throw BadInput{fmt::format("--jobs: must be between 1 and {}", properties::kSweepJobsMax)};
  }
  options.jobs = jobs;
  options.world.profile = MakeProfile(flags);
  options.world.config = MakeConfig(flags);
  options.world.config_sets_reservation_ttl = ConfigSetsReservationTtl(flags);
  options.world.faults = MakeFaults(flags.faults);
  options.world.order_uses_legacy_warehouse = flags.legacy_warehouse;
  options.world.deprecated_http_subscription = flags.deprecated_http;
  const std::int32_t orders = ParseOrders(flags.orders_text);
  options.workload.orders = orders;
  const std::int32_t arrivals_per_minute = ParseArrivalsPerMinute(flags.arrivals_text);
  options.workload.arrivals_per_minute_max = arrivals_per_minute;
  if (!flags.json_file.empty() && flags.json_file != kStdout) {
    CheckOutputPath(flags.json_file, "--json");
  }
  request.json_file = flags.json_file;
  RunFlags replay = flags;
  replay.orders = orders;
  replay.arrivals_per_minute = arrivals_per_minute;
  // The replay line of one seed: the reproduce line of `run` after its seed.
  const std::string line = ReproduceLine(replay);
  const std::string after_seed = line.substr(line.find(" --orders ") + 1);
  request.replay_flags = after_seed;
  return cli::RunSweepCommand(request);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"checkout-sim: deterministic simulation of the checkout and order saga"};
  app.require_subcommand(1);
  RunFlags flags;
  CLI::App* run = app.add_subcommand("run", "run one simulation and check the invariants");
  run->add_option("--seed", flags.seed_text, "seed of the simulation, 0 to 2^64-1")
      ->capture_default_str();
  run->add_option("--orders", flags.orders_text, "customers, each checking out one cart")
      ->capture_default_str();
  run->add_option("--arrivals-per-minute", flags.arrivals_text,
                  "traffic level: customers arrive within 10 minutes, or at this rate if more")
      ->capture_default_str();
  run->add_option("--profile", flags.profile, "fixed or as-reviewed")->capture_default_str();
  run->add_option("--as-reviewed", flags.as_reviewed,
                  "turn one finding back to its as-reviewed behaviour (repeatable)");
  run->add_option("--config", flags.config_file, "JSON config overlaid on the built-in default");
  run->add_option("--faults", flags.faults, "fault plan: none, light, heavy, chaos or swarm")
      ->capture_default_str();
  run->add_flag("--legacy-warehouse", flags.legacy_warehouse,
                "deploy the order service on its second warehouse interface (EC-14)");
  run->add_flag("--deprecated-http-path", flags.deprecated_http,
                "re-enable the deprecated HTTP subscription to payment confirmations (R-3.3)");
  run->add_option("--trace", flags.trace_file,
                  "write the JSON-lines trace here ('-': standard output)");
  run->add_option("--json", flags.json_file, "write the JSON result here ('-': standard output)");
  cli::AddBackendFlags(*run, flags.real);
  RunFlags sweep_flags;
  std::string seeds_text = "1..100";
  std::int32_t jobs = static_cast<std::int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App* sweep = app.add_subcommand("sweep", "run many seeds in parallel, check every one");
  sweep->add_option("--seeds", seeds_text, "seeds A..B, inclusive")->capture_default_str();
  sweep->add_option("--jobs", jobs, "seeds run at once (default: every core)")
      ->capture_default_str();
  sweep->add_option("--orders", sweep_flags.orders_text, "customers per seed")
      ->capture_default_str();
  sweep
      ->add_option("--arrivals-per-minute", sweep_flags.arrivals_text,
                   "traffic level: customers arrive within 10 minutes, or at this rate if more")
      ->capture_default_str();
  sweep->add_option("--profile", sweep_flags.profile, "fixed or as-reviewed")
      ->capture_default_str();
  sweep->add_option("--as-reviewed", sweep_flags.as_reviewed,
                    "turn one finding back to its as-reviewed behaviour (repeatable)");
  sweep->add_option("--config", sweep_flags.config_file,
                    "JSON config overlaid on the built-in default");
  sweep
      ->add_option("--faults", sweep_flags.faults, "fault plan: none, light, heavy, chaos or swarm")
      ->capture_default_str();
  sweep->add_flag("--legacy-warehouse", sweep_flags.legacy_warehouse,
                  "deploy the order service on its second warehouse interface (EC-14)");
  sweep->add_flag("--deprecated-http-path", sweep_flags.deprecated_http,
                  "re-enable the deprecated HTTP subscription to payment confirmations (R-3.3)");
  sweep->add_option("--json", sweep_flags.json_file,
                    "write the sweep's JSON here ('-': standard output)");
  SweepFlags sweep_only;
  bool swarm = false;
  sweep->add_flag("--swarm", swarm, "same as --faults swarm: each seed draws its own fault plan");
  sweep->add_flag("--require-coverage", sweep_only.require_coverage,
                  "exit 1 if some situation was never reached (a coverage gap)");
  sweep->add_option("--regressions", sweep_only.regressions_file,
                    "run this file's failing seeds first, append new failing seeds to it");
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
    if (run->parsed()) {
      cli::NoteSimOnlyFlags(*run, flags.real);
      return Run(flags);
    }
    if (sweep->parsed()) {
      if (swarm) {
        if (sweep->count("--faults") > 0 && sweep_flags.faults != "swarm") {
          throw BadInput{"--swarm: conflicts with --faults " + sweep_flags.faults};
        }
        sweep_flags.faults = "swarm";
      }
      return Sweep(sweep_flags, seeds_text, jobs, sweep_only);
    }
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
