#pragma once
// Test helper: the cron passes a crash-looping worker process makes. A process's jobs are
// scheduled from each start (at once when `run_at_start`, else a period later) and die with it, so
// lives shorter than a job's period leave that job without a pass (SIM-33, SIM-35).

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/schedule.h"
#include "core/time.h"

namespace csim::test_ports {

struct ProcessLife {
  DurationUs from_us;   // its start, relative to the test's origin
  DurationUs until_us;  // its crash
};

struct DuePass {
  DurationUs at_us;
  std::string_view name;    // the job's (a literal: it outlives the schedule)
  const ScheduledJob* job;  // valid while the schedule is
};

// Every pass of the named jobs made in `lives` before `end_us`, in time order (a job's name breaks
// ties, as lives do not overlap).
inline std::vector<DuePass> PassesOfLives(const Schedule& jobs,
                                          std::span<const std::string_view> names,
                                          std::span<const ProcessLife> lives, DurationUs end_us) {
  constexpr std::int32_t kPassesPerLifeMax = 1000;
  std::vector<DuePass> due;
  for (const ProcessLife& life : lives) {
    CSIM_CHECK(life.from_us < life.until_us, "a life ends after it starts");
    for (const ScheduledJob& job : jobs) {
      if (std::find(names.begin(), names.end(), job.name) == names.end()) continue;
      DurationUs at = life.from_us + (job.run_at_start ? 0 : job.period_us);
      for (std::int32_t n = 0; n < kPassesPerLifeMax && at < std::min(life.until_us, end_us);
           ++n, at += job.period_us) {
        due.push_back({at, job.name, &job});
      }
    }
  }
  std::sort(due.begin(), due.end(), [](const DuePass& a, const DuePass& b) {
    return a.at_us != b.at_us ? a.at_us < b.at_us : a.name < b.name;
  });
  return due;
}

// How many of `passes` were passes of job `name` made before `before_us`.
inline std::int32_t PassesBefore(std::span<const DuePass> passes, std::string_view name,
                                 DurationUs before_us) {
  return static_cast<std::int32_t>(
      std::count_if(passes.begin(), passes.end(),
                    [&](const DuePass& p) { return p.name == name && p.at_us < before_us; }));
}

}  // namespace csim::test_ports
