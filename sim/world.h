#pragma once
// One simulation: the kernel, the fakes (ground truth), the fault layer over every port, the core
// services wired to the wrapped ports, and the processes that run them:
//   customers        the shoppers, each a task of its own, calling checkout-api over the network
//   checkout-api     customers' requests (the ConfirmCheckout sagas)
//   checkout-worker  checkout outbox publisher, CartCleanupWorker (and, SIM-40 as written, the
//                    compensation jobs)
//   compensation-worker  FailedCompensationWorker and its cleanup (SIM-40 fixed; idle otherwise)
//   order-worker     order outbox publisher, the event consumers and the order crons (and, SIM-42
//                    as written, the stock repairs)
//   order-repair-worker  ReservationCleanupJob and DLQRetryWorker (SIM-42 fixed; idle otherwise)
//   payment-gateway  webhooks (payments.payment.confirmed, ...)
//   warehouse        reservation-expired events
//   bus              delivery of published events to subscribers
//   supervisor       restarts crashed processes (Kubernetes' part)
// Everything is derived from the seed, the workload and the options; nothing else.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/checkout/checkout_service.h"
#include "core/config.h"
#include "core/findings.h"
#include "core/order/order_service.h"
#include "core/ports/event_bus.h"
#include "core/schedule.h"
#include "fakes/change_journal.h"
#include "sim/faults.h"
#include "sim/kernel.h"
#include "sim/workload.h"

namespace csim::fakes {
class FakeWarehouse;
class FakePaymentGateway;
class FakeCheckoutStore;
class FakeOrderStore;
class FakePromotions;
class FakeLoyalty;
class FakeLockStore;
class FakeEventBus;
class FakeAlerts;
}  // namespace csim::fakes

namespace csim::sim {

class SimClock;

struct WorldOptions {
  std::uint64_t seed = 1;
  Profile profile = Profile::AllFixed();
  Config config = DefaultConfig();
  FaultPlan faults = FaultPlan::Quiet();
  DurationUs drain_us = 3 * kHourUs;
  // Liveness: while the drain's last hour still saw a business call (a worker voiding, releasing,
  // publishing), the drain runs one more hour, at most this many times: the settled invariants
  // judge a world whose workers are done, not one cut off mid-backlog.
  std::int32_t drain_hours_more_max = 24;
  // The order service deployed without warehouseInventoryService, so it falls back to its
  // second interface (EC-14's "second path").
  bool order_uses_legacy_warehouse = false;
  // The deployment re-enables the order service's deprecated Dapr HTTP subscription to
  // payments.payment.confirmed beside the worker's consumer (R-3.3's risk exists only then).
  bool deprecated_http_subscription = false;
  // The config's order.reservation_timeout_minutes is the user's own (a --config that names it):
  // a swarm seed's drawn TTL (Deployment::reservation_ttl_minutes) does not replace it. A config
  // whose TTL is not the built-in one keeps it anyway; this says so for a user who names the
  // built-in 15 as well.
  bool config_sets_reservation_ttl = false;
  KernelLimits limits;
};

// Cron passes as the world ran them (FaultPlan::deployment): passes started, those that started
// while another pass of the same job (on any replica) was still in progress, those that started
// late, and fixed-rate ticks skipped because kPassesInFlightMax passes of the job were running.
struct CronCounts {
  std::int64_t passes_started = 0;
  std::int64_t passes_overlapped = 0;
  std::int64_t passes_late = 0;
  std::int64_t ticks_skipped = 0;
  std::int32_t in_flight_max = 0;  // the most passes of one job of one service in progress at once
};

// What happened to the customers, counted by the world as it ran.
struct RunCounts {
  std::int64_t checkouts_started = 0;
  std::int64_t orders_placed = 0;
  std::int64_t checkouts_failed = 0;
  std::int64_t deliveries = 0;
  std::int64_t cancellations_requested = 0;
  // Of those, the ones made once the fulfilment service had started on the order.
  std::int64_t cancellations_during_fulfilment = 0;
  std::int64_t shipments_delivered = 0;
  std::int64_t world_changes = 0;
};

class World {
 public:
  World(WorldOptions options, Workload workload);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs the workload, then the fault-free drain. `after_event`, if set, runs after every
  // dispatch that recorded a trace event (so "always" invariants can be checked at each step).
  void Run(const std::function<void()>& after_event = {});
  // True once Run has drained the world.
  bool settled() const { return settled_; }
  // True when the drain stopped at drain_hours_more_max with workers still making business calls
  // in its last hour: the settled invariants then judge a world that may not have settled.
  bool drain_still_busy() const { return drain_still_busy_; }
  // When Run ends: an hour after the last customer starts (faults stop then), plus the drain.
  TimeUs EndTimeUs() const;

  Kernel& kernel() { return kernel_; }
  const Kernel& kernel() const { return kernel_; }
  const WorldOptions& options() const { return options_; }
  const Workload& workload() const { return workload_; }
  const RunCounts& counts() const { return counts_; }
  // Order id -> when the fulfilment service shipped the order's goods: the outside world's own
  // record of what it did, whatever the order service made of its events (ORDER-SETTLES).
  const std::map<std::string, TimeUs>& fulfilment_shipped() const;
  // checkout attempt ("<session>:v<previewed version>") -> every total its customer saw and sent
  // a confirm for, one per tab or click that confirmed (PRICE-AS-CONFIRMED's truth). Only looked
  // up by attempt (at every order change), never iterated: a hash map.
  const std::unordered_map<std::string, std::set<Money>>& confirmed_totals() const {
    return confirmed_totals_;
  }
  // The key (in confirmed_totals()) of every attempt, noted when its first total was: a checker
  // finds the attempts confirmed since it last looked without rescanning what is still waiting.
  const fakes::ChangeJournal<const std::string*>& ConfirmedAttemptChanges() const {
    return confirmed_attempt_changes_;
  }
  const FaultLayer& faults() const { return *faults_; }
  // Job name -> the services whose processes run it ("checkout-worker", "compensation-worker",
  // ...; both workers have an "OutboxWorker"), as core's schedules put them; empty before Run.
  const std::map<std::string, std::set<std::string>, std::less<>>& job_services() const {
    return job_services_;
  }
  // Crashes injected so far, per process name (a process that never crashed is absent).
  std::map<std::string, std::uint64_t> CrashCounts() const;
  // Pauses injected so far, per process name (a process never paused is absent).
  std::map<std::string, std::uint64_t> PauseCounts() const;
  const CronCounts& cron_counts() const { return cron_; }

  // ---- ground truth, read-only ----
  const fakes::FakeWarehouse& warehouse() const { return *warehouse_; }
  const fakes::FakePaymentGateway& payment() const { return *payment_; }
  const fakes::FakeCheckoutStore& checkout_db() const { return *checkout_db_; }
  const fakes::FakeOrderStore& order_db() const { return *order_db_; }
  const fakes::FakePromotions& promotions() const { return *promotions_; }
  const fakes::FakeLoyalty& loyalty() const { return *loyalty_; }
  const fakes::FakeEventBus& bus() const { return *bus_; }
  const fakes::FakeLockStore& locks() const { return *locks_; }
  const fakes::FakeAlerts& alerts() const { return *alerts_; }
  // For an invariant's failing-case test only: plants in the order database what the services
  // never write. The explorer never calls it.
  fakes::FakeOrderStore& order_db_for_tests() { return *order_db_; }
  fakes::FakeWarehouse& warehouse_for_tests() { return *warehouse_; }
  fakes::FakeAlerts& alerts_for_tests() { return *alerts_; }
  fakes::FakePaymentGateway& payment_for_tests() { return *payment_; }
  fakes::FakeLockStore& locks_for_tests() { return *locks_; }

 private:
  struct Impl;
  struct CustomerTabs;
  Task<void> Customer(const CustomerScript& script, std::size_t index);
  // One visit of a customer: the cart made (or found again), the items `added` lacks added, and
  // preview and confirm as the script says. Returns whether the visit ended on a failure that may
  // pass (a page that failed or timed out), the kind a customer comes back after.
  Task<bool> Visit(std::shared_ptr<CustomerTabs> tabs, std::vector<bool>& added, bool first_visit);
  // One confirm beside the customer's main path: the second click of a double click, or a second
  // tab's preview (after `think_us`) and confirm.
  Task<void> ExtraConfirm(std::shared_ptr<CustomerTabs> tabs, ConfirmRequest request,
                          DurationUs think_us);
  // A confirm's answer as the customer takes it: the first order placed counts, a failure is
  // recorded (as the main path's own, or as an extra tab's).
  void TakeConfirmResult(CustomerTabs& tabs, const Result<ConfirmResult>& result, bool main_path);
  // The customer's path or tab is done: the last one to finish counts a failed checkout.
  void FinishTab(CustomerTabs& tabs);
  // Notes that the customer sent a confirm of `attempt` for `total` (confirmed_totals()).
  void NoteConfirmedTotal(std::string attempt, Money total);
  // One of core's scheduled jobs in `process` (one replica of a worker), first after `offset_us`,
  // then pass after pass (or, fixed-rate, a pass every period), for as long as its process is up.
  // `service` names the worker ("order-worker") whatever the replica: passes of one job of one
  // service overlap across replicas.
  // A pass is skipped when `finds_nothing` (if set) says it would find nothing to do: an idle
  // poll has no effect, and costing nothing it leaves the run's time to what happens in it.
  // `idle_until` (set with finds_nothing, or null) bounds the idle polls (Kernel::SleepPolling).
  struct IdleQuestions {
    std::function<bool()> finds_nothing;
    std::function<TimeUs()> idle_until;
  };
  Task<void> RunJob(std::string service, std::shared_ptr<const ScheduledJob> job, ProcessId process,
                    DurationUs offset_us, IdleQuestions idle);
  // One pass of `job`, after `late_us`, counted in cron_ while it runs (or until a crash ends it).
  Task<void> RunPass(std::string service, std::shared_ptr<const ScheduledJob> job,
                     DurationUs late_us, std::shared_ptr<std::int32_t> loop_in_flight,
                     std::function<bool()> finds_nothing);
  // How late the next pass starts (0 unless the deployment has late passes).
  DurationUs LatePass(const ScheduledJob& job);
  // A job that only watches and alerts (SIM-37's OutboxLagMonitor): its passes are scheduled from
  // a stream of their own and read through observer points (FaultLayer::Point), so a run with it
  // does everything else exactly as a run without it.
  static bool IsMonitor(const ScheduledJob& job) { return job.name == "OutboxLagMonitor"; }
  Rng& CronRng(const ScheduledJob& job);
  // Spawns every job of a worker into replica `replica` (0: the first) of its process.
  void StartJobs(Schedule jobs, std::string_view service, ProcessId process, std::size_t replica,
                 const std::function<IdleQuestions(const ScheduledJob&)>& idle_poll);
  // The idle test of core's pollers of `store`'s outbox (OutboxWorker, DLQRetryWorker); else
  // none.
  template <typename Store>
  IdleQuestions IdlePoll(const ScheduledJob& job, const Store& store);
  void StartCheckoutWorker(std::size_t replica);
  void StartCompensationWorker(std::size_t replica);
  void StartOrderRepairWorker(std::size_t replica);
  using StartWorker = void (World::*)(std::size_t replica);
  // The worker services' replicas, each with the function that starts one of them (at the run's
  // start and at each restart), in the order the run starts them.
  std::array<std::pair<const std::vector<ProcessId>*, StartWorker>, 4> Workers() const;
  void StartOrderWorker(std::size_t replica);
  // Adds the second replicas the deployment asks for, after every other process.
  void AddReplicas();
  // `first` and count - 1 more processes named after it ("<name>-2", ...), into `replicas`.
  void AddReplicasOf(std::vector<ProcessId>& replicas, ProcessId first, std::int32_t count);
  void PumpBus();
  void PumpBusSoon();
  // Pumps the bus at `at_us` unless a pump is already due by then: one pump pending at a time.
  void PumpBusAt(TimeUs at_us);
  void PumpWebhooks();
  // True when PumpWebhooks would do nothing now (no webhook to take, none due to publish).
  bool WebhooksIdle() const;
  // Before this time, while nothing changes, WebhooksIdle stays true (now if it is false now).
  TimeUs WebhooksIdleUntil() const;
  void SweepExpired();
  // The outside world (sim/world_actors.cc): fulfillment and shipping, the loyalty and
  // promotion services' reactions to order events, and changes no service controls.
  void StartOutsideWorld();
  Task<Status> FulfillmentSawStatusChange(const Event& event);
  Task<void> FulfillOrder(std::string order_id);
  // Whether fulfilment takes the order's next step: not once it was stopped; a call-off's hold is
  // waited out first.
  Task<bool> FulfillmentGoesOn(const std::string& order_id);
  Task<void> PublishWithRetry(Event event);
  Task<Status> LoyaltyAndPromotionsSawOrderEvent(const Event& event);
  void ApplyWorldChange(const WorldChange& change);
  Task<void> CancelLater(std::string order_id, DurationUs after_us);
  // Runs one delivery of the bus's shared copy of `event`, `lag_us` after it fell due.
  Task<void> Deliver(std::int64_t delivery_id, EventHandler handler,
                     std::shared_ptr<const Event> event, DurationUs lag_us);
  // Crashes (sim/world_crashes.cc): the processes a fault may crash, what a crash does to the
  // world around it (restart after a delay; the bus hands a crashed subscriber's in-flight
  // deliveries out again once it is back), and the correlated fault windows drawn per seed.
  bool Crashable(ProcessId process) const;
  void OnCrash(ProcessId process);
  void DrawFaultWindows(TimeUs faults_end_us);
  // Puts the plan's bad day (FaultPlan::bad_day) into the run: its window, or its host's stalls.
  void StartBadDay(TimeUs faults_end_us);
  // Puts the plan's crash loop (FaultPlan::crash_loop) into the run: each replica of its service
  // crashes a drawn life after its start, and after every restart, until the loop ends.
  void StartCrashLoop(TimeUs faults_end_us);
  // Schedules `process`'s next crash of the loop, a drawn life from now, if the loop still runs.
  void ScheduleLoopCrash(ProcessId process);
  // The process that runs `subscriber`'s handlers.
  ProcessId ProcessOfSubscriber(const std::string& subscriber) const;

  WorldOptions options_;
  Workload workload_;
  Kernel kernel_;
  Rng rng_;
  std::unique_ptr<FaultLayer> faults_;
  std::unique_ptr<SimClock> fake_clock_;
  std::unique_ptr<fakes::FakeWarehouse> warehouse_;
  std::unique_ptr<fakes::FakePaymentGateway> payment_;
  std::unique_ptr<fakes::FakeCheckoutStore> checkout_db_;
  std::unique_ptr<fakes::FakeOrderStore> order_db_;
  std::unique_ptr<fakes::FakePromotions> promotions_;
  std::unique_ptr<fakes::FakeLoyalty> loyalty_;
  std::unique_ptr<fakes::FakeLockStore> locks_;
  std::unique_ptr<fakes::FakeEventBus> bus_;
  std::unique_ptr<fakes::FakeAlerts> alerts_;
  std::unique_ptr<Impl> impl_;
  RunCounts counts_;
  std::unordered_map<std::string, std::set<Money>> confirmed_totals_;
  fakes::ChangeJournal<const std::string*> confirmed_attempt_changes_;
  bool settled_ = false;
  bool drain_still_busy_ = false;
  CronCounts cron_;
  // Passes in progress by job name, over every replica (shared with each pass's guard).
  std::map<std::string, std::shared_ptr<std::int32_t>> passes_in_flight_;
  // Every replica of each service's process: the first is checkout_api_ (and so on); a second
  // ("<name>-2") is added after every other process when FaultPlan::deployment asks for it.
  std::vector<ProcessId> api_replicas_, checkout_worker_replicas_, order_worker_replicas_;
  ProcessId fulfillment_ = 0, services_ = 0, customers_ = 0, supervisor_ = 0;
  ProcessId checkout_monitor_ = 0, order_monitor_ = 0;
  // FailedCompensationWorker's own process (SIM-40 fixed), as many replicas as the checkout
  // worker; added after every other process, so that each of them keeps its id.
  std::vector<ProcessId> compensation_worker_replicas_;
  // ReservationCleanupJob's and DLQRetryWorker's own process (SIM-42 fixed), as many replicas as
  // the order worker; added after the compensation worker's.
  std::vector<ProcessId> order_repair_worker_replicas_;
  // Job name -> the service that runs it (ServiceRunning), from StartJobs.
  std::map<std::string, std::set<std::string>, std::less<>> job_services_;
  ProcessId checkout_api_ = 0, checkout_worker_ = 0, order_worker_ = 0, gateway_ = 0,
            warehouse_process_ = 0, bus_process_ = 0;
};

}  // namespace csim::sim
