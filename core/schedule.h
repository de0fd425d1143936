#pragma once
// What a worker process runs: each cron job or poller as one bounded pass on a period. Core
// builds its workers' schedules from the config and the profile (which jobs exist is a finding
// switch, e.g. the drain of failed outbox rows of P1-CC-03), so whoever hosts a worker, the
// simulator or a real deployment, only runs the list.

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/task.h"
#include "core/time.h"

namespace csim {

struct ScheduledJob {
  std::string_view name;  // the review's name of the worker, e.g. "ReservationCleanupJob"
  DurationUs period_us = 0;
  // First pass at start (the outbox publishers; the workers' repair jobs, SIM-33 and SIM-35 fixed);
  // else after a period. The host starts the count again at every start of the process.
  bool run_at_start = false;
  // One pass; returns what it acted on (rows, orders, carts).
  std::function<Task<std::int32_t>()> pass;
};

using Schedule = std::vector<ScheduledJob>;

}  // namespace csim
