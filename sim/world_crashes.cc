// Crashes and correlated faults in the world. A crash (decided by the fault layer at a port call)
// destroys everything its process had in memory: sagas in flight, a consumer half way through an
// event, a cron pass. Durable state (the fakes) stays. The supervisor restarts the process after
// a delay, its start function spawns its workers anew, and the bus hands the deliveries it had
// in flight to it again (at-least-once). Fault windows (outages, slow periods, bursts) are drawn
// per seed over the faulty phase, port by port.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "sim/world_impl.h"

namespace csim::sim {
namespace {

// Restart delay of a crashed process: a pod rescheduled and its health check passed.
constexpr DurationUs kRestartMinUs = 5 * kSecondUs;
constexpr DurationUs kRestartMaxUs = 90 * kSecondUs;
// A slow period adds this much latency to each call at most: past a client's deadline.
constexpr DurationUs kSlowExtraMaxUs = 90 * kSecondUs;
constexpr DurationUs kWindowMinUs = 10 * kSecondUs;

}  // namespace

bool World::Crashable(ProcessId process) const {
  // The services' own processes; the customers, the outside world, the bus and the supervisor are
  // not this system's to crash.
  auto any_of = [process](const std::vector<ProcessId>& replicas) {
    return std::find(replicas.begin(), replicas.end(), process) != replicas.end();
  };
  return any_of(api_replicas_) || any_of(checkout_worker_replicas_) ||
         any_of(order_worker_replicas_) || any_of(compensation_worker_replicas_) ||
         any_of(order_repair_worker_replicas_);
}

ProcessId World::ProcessOfSubscriber(const std::string& subscriber) const {
  // Every subscription of the order service (its worker's consumers, the DLQ consumer, the
  // deprecated HTTP path) runs in the order worker; the outside world's run in the bus's own.
  return subscriber.starts_with("order-") ? order_worker_ : bus_process_;
}

std::map<std::string, std::uint64_t> World::CrashCounts() const {
  std::map<std::string, std::uint64_t> counts;
  for (ProcessId id = 0; id < kernel_.ProcessNames().size(); ++id) {
    if (kernel_.CrashCount(id) > 0) counts[kernel_.ProcessName(id)] = kernel_.CrashCount(id);
  }
  return counts;
}

std::map<std::string, std::uint64_t> World::PauseCounts() const {
  std::map<std::string, std::uint64_t> counts;
  for (ProcessId id = 0; id < kernel_.ProcessNames().size(); ++id) {
    if (kernel_.PauseCount(id) > 0) counts[kernel_.ProcessName(id)] = kernel_.PauseCount(id);
  }
  return counts;
}

void World::OnCrash(ProcessId process) {
  CSIM_CHECK(Crashable(process), "only the services' processes crash");
  CSIM_CHECK(!kernel_.IsUp(process), "OnCrash follows the crash");
  const DurationUs delay_us = impl_->crash_rng.Between(kRestartMinUs, kRestartMaxUs);
  faults_->RecordRestart(process, kernel_.now() + delay_us);
  kernel_.At(supervisor_, kernel_.now() + delay_us, [this, process] {
    kernel_.Restart(process);
    CSIM_CHECK(kernel_.IsUp(process), "a restarted process is up");
    ScheduleLoopCrash(process);  // a bad build crashes again once it has started
    // The crashed incarnation will never Ack or Nack what it had in flight.
    for (const auto& [topic, subscriber] : bus_->Subscriptions()) {
      if (ProcessOfSubscriber(subscriber) != process) continue;
      bus_->RequeueInFlight(subscriber, kernel_.now());
    }
    PumpBusSoon();
  });
}

void World::DrawFaultWindows(TimeUs faults_end_us) {
  const WindowDraws& draws = options_.faults.random_windows;
  CSIM_CHECK(draws.count >= 0 && static_cast<std::size_t>(draws.count) <= kFaultWindowsMax);
  CSIM_CHECK(draws.count == 0 || draws.duration_max_us >= kWindowMinUs, "windows last a while");
  Rng& rng = impl_->crash_rng;
  const NameId action = kernel_.trace().Intern("fault.window");
  for (std::int32_t i = 0; i < draws.count; ++i) {
    FaultWindow window;
    // Drawn even under a focus, so a focused seed's windows fall at the same times.
    window.points = std::string{kWindowPorts[rng.Below(kWindowPorts.size())]};
    if (!draws.focus.empty()) window.points = draws.focus;
    const std::uint64_t kind = rng.Below(10);
    window.kind = kind < 4   ? WindowKind::kOutage
                  : kind < 7 ? WindowKind::kSlow
                             : WindowKind::kBurst;
    window.from_us = rng.Between(0, faults_end_us);
    window.until_us = window.from_us + rng.Between(kWindowMinUs, draws.duration_max_us);
    window.fail_ppm = window.kind == WindowKind::kBurst
                          ? static_cast<std::uint32_t>(rng.Between(200'000, 800'000))
                          : 1'000'000;
    window.extra_latency_us =
        window.kind == WindowKind::kSlow ? rng.Between(kSecondUs, kSlowExtraMaxUs) : 0;
    kernel_.Record(
        action, kernel_.trace().Intern(Name(window.kind)),
        fmt::format("{} from_us={} until_us={} fail_ppm={} extra_us={}", window.points,
                    window.from_us, window.until_us, window.fail_ppm, window.extra_latency_us));
    faults_->AddWindow(std::move(window));
  }
  CSIM_CHECK(faults_->windows().size() >=
                 options_.faults.windows.size() + static_cast<std::size_t>(draws.count),
             "every drawn window is in force");
  StartBadDay(faults_end_us);
  StartCrashLoop(faults_end_us);
}

void World::StartCrashLoop(TimeUs faults_end_us) {
  const CrashLoop& loop = options_.faults.crash_loop;
  if (loop.service.empty()) return;
  CSIM_CHECK(loop.from_us >= 0 && loop.duration_us > 0, "a crash loop lies in the run");
  CSIM_CHECK(loop.life_min_us > 0 && loop.life_min_us < loop.life_max_us, "a crash loop's lives");
  CSIM_CHECK(loop.service == "checkout-api" || loop.service == "checkout-worker" ||
                 loop.service == "order-worker",
             "a crash loop names one of kCrashLoopServices");
  const std::vector<ProcessId>& replicas = loop.service == "checkout-api" ? api_replicas_
                                           : loop.service == "checkout-worker"
                                               ? checkout_worker_replicas_
                                               : order_worker_replicas_;
  impl_->loop_processes = replicas;
  // A bad build of the checkout worker is also the compensation worker's (one image, two roles;
  // SIM-40's fix split the processes, not the build). A broker client's loop is not: the
  // compensation worker holds no connection to the broker.
  if (loop.service == "checkout-worker" && loop.cause == CrashLoopCause::kBadDeploy) {
    impl_->loop_processes.insert(impl_->loop_processes.end(), compensation_worker_replicas_.begin(),
                                 compensation_worker_replicas_.end());
  }
  // The same of the order worker and its stock repairs (SIM-42's fix), which call the warehouse
  // and the order database only.
  if (loop.service == "order-worker" && loop.cause == CrashLoopCause::kBadDeploy) {
    impl_->loop_processes.insert(impl_->loop_processes.end(), order_repair_worker_replicas_.begin(),
                                 order_repair_worker_replicas_.end());
  }
  impl_->loop_from_us = std::min(loop.from_us, faults_end_us);
  impl_->loop_until_us = std::min(loop.from_us + loop.duration_us, faults_end_us);
  impl_->loop_crash_action = kernel_.trace().Intern("process.crash_loop");
  impl_->loop_crash_outcome = kernel_.trace().Intern("fault.crash");
  kernel_.Record(kernel_.trace().Intern("fault.crash_loop"), kernel_.trace().Intern(loop.service),
                 fmt::format("from_us={} until_us={} life_min_us={} life_max_us={} cause={}",
                             impl_->loop_from_us, impl_->loop_until_us, loop.life_min_us,
                             loop.life_max_us, Name(loop.cause)));
  // From from_us every replica runs the bad build: it crashes a drawn life later, and again a
  // drawn life after each restart (ScheduleLoopCrash, called by OnCrash's restart).
  for (const ProcessId process : impl_->loop_processes) {
    kernel_.At(supervisor_, impl_->loop_from_us, [this, process] { ScheduleLoopCrash(process); });
  }
}

void World::ScheduleLoopCrash(ProcessId process) {
  const CrashLoop& loop = options_.faults.crash_loop;
  const auto& looping = impl_->loop_processes;
  if (std::find(looping.begin(), looping.end(), process) == looping.end()) return;
  if (kernel_.now() < impl_->loop_from_us || kernel_.now() >= impl_->loop_until_us ||
      !kernel_.IsUp(process)) {
    return;
  }
  const TimeUs crash_at =
      kernel_.now() + impl_->loop_rng.Between(loop.life_min_us, loop.life_max_us);
  if (crash_at >= impl_->loop_until_us) return;  // rolled back before this life ends
  const std::uint64_t generation = kernel_.CrashCount(process);
  kernel_.At(supervisor_, crash_at, [this, process, generation] {
    // Only the life it was drawn for: a crash at a port call may have ended it first.
    if (!kernel_.IsUp(process) || kernel_.CrashCount(process) != generation) return;
    kernel_.RecordFor(process, impl_->loop_crash_action, impl_->loop_crash_outcome);
    kernel_.Crash(process);
    CSIM_CHECK(!kernel_.IsUp(process), "a crashed process is down");
    OnCrash(process);
  });
}

void World::StartBadDay(TimeUs faults_end_us) {
  const BadDay& day = options_.faults.bad_day;
  if (day.kind == BadDayKind::kNone) return;
  CSIM_CHECK(day.from_us >= 0 && day.duration_us >= 0, "a bad day lies in the run");
  const TimeUs from_us = std::min(day.from_us, faults_end_us);
  kernel_.Record(
      kernel_.trace().Intern("fault.bad_day"), kernel_.trace().Intern(Name(day.kind)),
      fmt::format("from_us={} until_us={} extra_us={} sluggish_us={} stall_ppm={}", from_us,
                  from_us + day.duration_us, day.extra_latency_us, day.sluggish_us, day.stall_ppm));
  const auto add_window = [&](std::string_view port, WindowKind kind) {
    FaultWindow window;
    window.points = std::string{port};
    window.kind = kind;
    window.from_us = from_us;
    window.until_us = from_us + day.duration_us;
    window.extra_latency_us = day.extra_latency_us;
    faults_->AddWindow(std::move(window));
  };
  switch (day.kind) {
    case BadDayKind::kNone:
      return;
    case BadDayKind::kPaymentOutage:
      return add_window("payment.", WindowKind::kOutage);
    case BadDayKind::kSlowWarehouse:
      CSIM_CHECK(day.extra_latency_us >= kCallDeadlineUs, "slow past the callers' deadline");
      return add_window("warehouse.", WindowKind::kSlow);
    case BadDayKind::kBrokerOutage:
      return add_window("bus.", WindowKind::kOutage);
    case BadDayKind::kStallingHost:
      break;
  }
  faults_->SetStallingHost(api_replicas_.front(), from_us, day);
}

}  // namespace csim::sim
