#include "cli/sweep_command.h"

#include "cli/output_path.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fmt/ranges.h>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace csim::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnInterrupt(int) {
  g_stop = true;
}

std::string Replay(const SweepRequest& request, std::uint64_t seed) {
  return fmt::format("checkout-sim run --seed {} {}", seed, request.replay_flags);
}

nlohmann::json ToJson(const SweepRequest& request, const properties::SweepResult& result) {
  const properties::SweepOptions& o = request.options;
  nlohmann::json json;
  json["seeds"] = fmt::format("{}..{}", o.first_seed, o.last_seed);
  json["seeds_run"] = result.seeds_run;
  json["interrupted"] = result.interrupted;
  json["profile"] = o.world.profile.Name();
  json["orders"] = o.workload.orders;
  json["failures"] = nlohmann::json::array();
  for (const properties::SeedOutcome& f : result.failures) {
    json["failures"].push_back({{"seed", f.seed},
                                {"invariants", f.invariants},
                                {"violations", f.violations},
                                {"internal_error", f.internal_error},
                                {"nondeterministic", f.nondeterministic},
                                {"trace_hash", fmt::format("{:016x}", f.trace_hash)},
                                {"replay", Replay(request, f.seed)}});
  }
  json["seeds_per_invariant"] = result.seeds_per_invariant;
  json["vacuous_seeds"] = result.vacuous_seeds;
  json["drain_still_busy_seeds"] = result.drain_still_busy_seeds;
  json["determinism"] = {{"rechecked", result.rechecked},
                         {"nondeterministic", result.nondeterministic}};
  json["coverage"] = nlohmann::json::object();
  for (const auto& [name, totals] : result.situations) {
    json["coverage"][name] = {{"count", totals.count}, {"seeds", totals.seeds}};
  }
  json["unreached_situations"] = result.UnreachedSituations();
  json["outside_plan_situations"] = result.outside_plan;
  nlohmann::json points = nlohmann::json::array();
  for (const auto& [name, totals] : result.fault_points) {
    points.push_back({{"name", name},
                      {"reached", totals.reached},
                      {"fired_before", totals.fired_before},
                      {"fired_after", totals.fired_after},
                      {"crashed", totals.crashed},
                      {"in_window", totals.in_window}});
  }
  json["fault_points"] = std::move(points);
  return json;
}

// Progress on standard error, serialized across the sweep's threads.
class Progress {
 public:
  Progress(std::uint64_t total, bool terminal) : total_(total), terminal_(terminal) {}
  void Seed(const properties::SeedOutcome& outcome) {
    std::lock_guard lock(mutex_);
    ++done_;
    if (outcome.failed()) ++failing_;
    if (terminal_) {
      constexpr std::size_t kWidth = 30;
      const std::size_t filled = static_cast<std::size_t>(done_ * kWidth / total_);
      std::cerr << fmt::format("\r[{}{}] {}/{} seeds, {} failing", std::string(filled, '#'),
                               std::string(kWidth - filled, ' '), done_, total_, failing_)
                << std::flush;
    } else if (outcome.failed() || done_ * 20 / total_ != (done_ - 1) * 20 / total_) {
      std::cerr << fmt::format("sweep: {}/{} seeds, {} failing{}\n", done_, total_, failing_,
                               outcome.failed() ? fmt::format(" (seed {})", outcome.seed) : "");
    }
  }
  void End() {
    if (terminal_) std::cerr << "\n";
  }

 private:
  std::mutex mutex_;
  const std::uint64_t total_;
  const bool terminal_;
  std::uint64_t done_ = 0;
  std::uint64_t failing_ = 0;
};

}  // namespace

std::string ParseSeedRange(const std::string& text, std::uint64_t& first, std::uint64_t& last) {
  const std::size_t dots = text.find("..");
  if (dots == std::string::npos) return "expected A..B, e.g. 1..1000";
  auto parse = [](const std::string& part, std::uint64_t& out) {
    if (part.empty() || part.size() > 20) return false;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
    }
    try {
      std::size_t used = 0;
      out = std::stoull(part, &used);
      return used == part.size();
    } catch (const std::exception&) {
      return false;  // past 2^64 - 1
    }
  };
  if (!parse(text.substr(0, dots), first) || !parse(text.substr(dots + 2), last)) {
    return "'" + text + "' is not A..B of seeds between 0 and 2^64-1";
  }
  if (first > last) return fmt::format("'{}': {} is after {}", text, first, last);
  if (last - first >= properties::kSweepSeedsMax) {
    return fmt::format("'{}': at most {} seeds per sweep", text, properties::kSweepSeedsMax);
  }
  return "";
}

namespace {

// Seeds of `file` whose flags are `flags` (a missing file has none). nullopt if unreadable.
std::optional<std::vector<std::uint64_t>> ReadRegressions(const std::string& file,
                                                          const std::string& flags) {
  std::vector<std::uint64_t> seeds;
  std::error_code error;
  if (!std::filesystem::exists(file, error) && !error) return seeds;  // none yet
  std::ifstream in(file);
  if (!in || std::filesystem::is_directory(file, error)) return std::nullopt;
  constexpr std::size_t kRegressionSeedsMax = 10'000;
  std::string line;
  while (std::getline(in, line) && seeds.size() < kRegressionSeedsMax) {
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || line.substr(space + 1) != flags) continue;
    std::uint64_t seed = 0, last = 0;
    const std::string range = line.substr(0, space) + ".." + line.substr(0, space);
    if (!ParseSeedRange(range, seed, last).empty()) return std::nullopt;
    if (std::find(seeds.begin(), seeds.end(), seed) == seeds.end()) seeds.push_back(seed);
  }
  if (in.bad()) return std::nullopt;
  return seeds;
}

// Appends the failing seeds not yet in the file. False if the file cannot be written.
bool AppendRegressions(const std::string& file, const std::string& flags,
                       const std::vector<std::uint64_t>& known,
                       const std::vector<properties::SeedOutcome>& failures) {
  std::ofstream out(file, std::ios::app);
  for (const properties::SeedOutcome& f : failures) {
    if (std::find(known.begin(), known.end(), f.seed) != known.end()) continue;
    out << f.seed << ' ' << flags << '\n';
  }
  out.close();
  return static_cast<bool>(out);
}

}  // namespace

int RunSweepCommand(const SweepRequest& request) {
  const properties::SweepOptions& o = request.options;
  const std::uint64_t total = o.last_seed - o.first_seed + 1;
  Progress progress(total, request.progress_on_terminal && isatty(STDERR_FILENO) == 1);
  std::ostream& out = request.json_file == "-" ? std::cerr : std::cout;
  std::vector<std::uint64_t> regressions;
  if (!request.regressions_file.empty()) {
    auto seeds = ReadRegressions(request.regressions_file, request.replay_flags);
    if (!seeds) {
      std::cerr << "checkout-sim: --regressions: cannot read '" << request.regressions_file
                << "'\n";
      return 2;
    }
    regressions = std::move(*seeds);
  }
  g_stop = false;
  auto previous = std::signal(SIGINT, OnInterrupt);
  // Seeds that failed before run first: a fix is checked where it broke before anything new.
  std::vector<properties::SeedOutcome> regression_failures;
  for (std::uint64_t seed : regressions) {
    if (g_stop) break;
    properties::SweepOptions one = o;
    one.first_seed = one.last_seed = seed;
    one.jobs = 1;
    const properties::SweepResult again = properties::RunSweep(one);
    for (const properties::SeedOutcome& f : again.failures) regression_failures.push_back(f);
  }
  if (!regressions.empty()) {
    out << fmt::format("regressions: {} seeds from {} run first, {} failing\n", regressions.size(),
                       request.regressions_file, regression_failures.size());
    for (const properties::SeedOutcome& f : regression_failures) {
      out << fmt::format("  seed {}: {}\n    replay: {}\n", f.seed, fmt::join(f.invariants, " "),
                         Replay(request, f.seed));
    }
  }
  const properties::SweepResult result = properties::RunSweep(
      o, [&](const properties::SeedOutcome& outcome) { progress.Seed(outcome); }, &g_stop);
  std::signal(SIGINT, previous);
  progress.End();

  out << fmt::format(
      "sweep {}..{} profile {}: {} of {} seeds run{}, {} failing, {} tested "
      "nothing (no order placed), {} re-run for determinism, {} nondeterministic\n",
      o.first_seed, o.last_seed, o.world.profile.Name(), result.seeds_run, total,
      result.interrupted ? " (interrupted)" : "", result.failures.size(),
      result.vacuous_seeds.size(), result.rechecked, result.nondeterministic);
  for (const auto& [name, seeds] : result.seeds_per_invariant) {
    out << fmt::format("  {}: {} seeds\n", name, seeds);
  }
  constexpr std::size_t kFailuresPrintedMax = 20;
  for (std::size_t i = 0; i < result.failures.size() && i < kFailuresPrintedMax; ++i) {
    const properties::SeedOutcome& f = result.failures[i];
    std::string what = fmt::format("{}", fmt::join(f.invariants, " "));
    if (!f.internal_error.empty()) what += " internal check failed: " + f.internal_error;
    if (f.nondeterministic) what += " NONDETERMINISTIC";
    out << fmt::format("  seed {}: {}\n    replay: {}\n", f.seed, what, Replay(request, f.seed));
  }
  if (result.failures.size() > kFailuresPrintedMax) {
    out << fmt::format("  ... and {} more failing seeds (all in the JSON)\n",
                       result.failures.size() - kFailuresPrintedMax);
  }
  if (!result.drain_still_busy_seeds.empty()) {
    out << fmt::format(
        "note: {} seeds' drains stopped at their limit with workers still busy "
        "(drain_still_busy_seeds in the JSON)\n",
        result.drain_still_busy_seeds.size());
  }
  const std::vector<std::string> unreached = result.UnreachedSituations();
  const std::size_t plan_can_reach = result.situations.size() - result.outside_plan.size();
  out << fmt::format("coverage: {} of {} situations reached", plan_can_reach - unreached.size(),
                     plan_can_reach);
  if (!result.outside_plan.empty()) {
    out << fmt::format(" ({} more are of fault kinds this plan never draws)",
                       result.outside_plan.size());
  }
  if (unreached.empty()) {
    out << "\n";
  } else {
    constexpr std::size_t kUnreachedPrintedMax = 12;
    out << fmt::format("; never reached: {}{}\n",
                       fmt::join(unreached.begin(),
                                 unreached.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                         unreached.size(), kUnreachedPrintedMax)),
                                 ", "),
                       unreached.size() > kUnreachedPrintedMax ? ", ..." : "");
  }
  if (!request.regressions_file.empty() &&
      !AppendRegressions(request.regressions_file, request.replay_flags, regressions,
                         result.failures)) {
    std::cerr << "checkout-sim: --regressions: cannot write '" << request.regressions_file << "'\n";
    return 2;
  }
  if (!request.json_file.empty()) {
    const std::string text = ToJson(request, result).dump(2) + "\n";
    if (request.json_file == "-") {
      std::cout << text << std::flush;
    } else if (IsSpecialFile(request.json_file)) {
      std::ofstream file(request.json_file, std::ios::binary);
      file << text;
      file.close();
      if (!file) {
        std::cerr << "checkout-sim: --json: cannot write '" << request.json_file << "'\n";
        return 2;
      }
    } else {
      const std::string temp = request.json_file + ".tmp";
      std::ofstream file(temp, std::ios::binary | std::ios::trunc);
      file << text;
      file.close();
      if (!file || std::rename(temp.c_str(), request.json_file.c_str()) != 0) {
        std::remove(temp.c_str());
        std::cerr << "checkout-sim: --json: cannot write '" << request.json_file << "'\n";
        return 2;
      }
    }
  }
  if (!result.failures.empty() || !regression_failures.empty()) return 1;
  if (request.require_coverage && !unreached.empty()) {
    out << "coverage required: failing for the situations never reached\n";
    return 1;
  }
  return 0;
}

}  // namespace csim::cli
