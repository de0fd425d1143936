#pragma once
// Fault points and the fault plan. Every port call passes a named fault point
// ("warehouse.reserve", "payment.authorize", ...): simulated time passes there (latency), and the
// plan may fail the call before its effect (kUnavailable), after it (kTimeout: the timeout that
// hid a success), or crash the calling process before or after the effect. Faults come in three
// shapes:
//   - coins: each call of a point flips its rule's coins (independent faults);
//   - windows: for a while, every call of a port (or of every port) is down, slow, or fails in a
//     burst (correlated faults: an outage, a slow period);
//   - triggers: exactly the Nth call of a point fails or crashes (for tests and scenarios).
// Swarm mode (FoundationDB, TigerBeetle) draws per seed which kinds and ports are on and how hot.
// Every point counts how often it was reached and fired, so a run shows what it covered. Polling
// points (a worker asking for due rows) are exempt from coins: their failures only delay the next
// pass, and they outnumber business calls a hundred to one, so coins there would spend the fault
// budget on nothing. Windows still hit them: an outage takes the whole port down.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ports/warehouse.h"
#include "core/status.h"
#include "core/task.h"
#include "sim/kernel.h"
#include "sim/rng.h"

namespace csim::sim {

struct FaultRule {
  std::uint32_t fail_before_ppm = 0;  // kUnavailable, no effect
  std::uint32_t fail_after_ppm = 0;   // kTimeout, effect applied
  std::uint32_t crash_ppm = 0;        // the caller's process crashes, before or after the effect
  DurationUs latency_min_us = 1 * kMillisecondUs;
  DurationUs latency_max_us = 5 * kMillisecondUs;
  bool operator==(const FaultRule&) const = default;
};

enum class WindowKind {
  kOutage,  // every call fails before its effect
  kSlow,    // every call takes extra_latency_us longer (past the caller's patience: a timeout)
  kBurst,   // fail_ppm of the calls fail before their effect
  // Every call goes unanswered (a server that takes connections and does nothing): the caller
  // waits its deadline out and sees a timeout; the call never took effect.
  kHang,
};
std::string_view Name(WindowKind kind);

// A correlated fault: from from_us until until_us, every call of the points `points` names
// misbehaves together. `points` is a point name, a port prefix ending in '.' ("payment."), or "*".
struct FaultWindow {
  std::string points;
  WindowKind kind = WindowKind::kOutage;
  TimeUs from_us = 0;
  TimeUs until_us = 0;
  std::uint32_t fail_ppm = 1'000'000;
  DurationUs extra_latency_us = 0;
  bool operator==(const FaultWindow&) const = default;
};

enum class FaultKind { kFailBefore, kFailAfter, kCrashBefore, kCrashAfter, kPauseBefore };

// An exact fault: call number `call` (1-based) of point `point` gets `kind`. A pause freezes the
// calling service process for `pause_us` (kPauseMinUs to kPauseMaxUs) before the call goes out, and
// the call then goes on as planned.
struct FaultTrigger {
  std::string point;
  std::uint64_t call = 1;
  FaultKind kind = FaultKind::kFailBefore;
  DurationUs pause_us = 0;
  bool operator==(const FaultTrigger&) const = default;
};

// The ports a drawn window can take down, by fault point prefix.
inline constexpr std::array<std::string_view, 12> kWindowPorts = {
    "payment.",  "warehouse.", "promotions.", "loyalty.", "locks.",    "checkout_db.",
    "order_db.", "order.",     "bus.",        "pricing.", "shipping.", "fraud."};

// How many windows the world draws at random over the faulty phase, and how long each lasts.
struct WindowDraws {
  std::int32_t count = 0;
  DurationUs duration_max_us = 5 * kMinuteUs;
  // "" spreads the windows over every port; a port prefix ("warehouse.") puts them all on it, the
  // way one dependency has a bad day while the others are fine.
  std::string focus;
  bool operator==(const WindowDraws&) const = default;
};

// How long the world outside the services keeps a payment's outcome from the bus, drawn per
// webhook (nothing here shortens a TTL): in customer_approval_ppm of the payment outcomes the
// customer takes minutes to approve (a 3-D Secure challenge, a bank app); of the other webhooks,
// late_webhook_ppm come minutes late (the gateway's retry schedule). The defaults are a normal
// day; swarm draws a bank whose step-up keeps many customers waiting, and loses some, on some
// seeds.
struct Slowness {
  std::uint32_t customer_approval_ppm = 50'000;  // 5 %
  std::uint32_t late_webhook_ppm = 10'000;       // 1 %
  // Card customers asked to approve their payment who never do (FakePaymentGateway::
  // AwaitCustomerForever): their order gets no payment outcome at all.
  std::uint32_t never_approves_ppm = 30'000;  // 3 %
  bool operator==(const Slowness&) const = default;
};

// Process pauses (Jepsen's SIGSTOP, a VM or garbage-collection stall): at a business call of one of
// the services' processes, with chance `ppm`, the process freezes (before the call goes out or
// after its answer came back) for a drawn while and then resumes with its memory intact. Most
// pauses last seconds, a few last minutes, and the rare long ones (up to kPauseMaxUs) outlast a
// lock's TTL. At most `count_max` pauses per run.
struct PauseDraws {
  std::uint32_t ppm = 0;
  std::int32_t count_max = 8;
  bool operator==(const PauseDraws&) const = default;
};
inline constexpr DurationUs kPauseMinUs = 1 * kSecondUs;
inline constexpr DurationUs kPauseMaxUs = 20 * kMinuteUs;
// A drawn pause that begins within this long of the caller's last one continues that stall
// (FaultLayer::StallStart): the stall as a whole stays within kPauseMaxUs.
inline constexpr DurationUs kPauseChainGapUs = 1 * kMinuteUs;

// How the services are deployed, as far as faults go: how many replicas each service process has
// (every worker replica runs every cron job; customers' requests are spread over the API's
// replicas), and how cron passes are scheduled. The default is today's single deployment whose
// passes run one after another, on time.
struct Deployment {
  std::int32_t checkout_api_replicas = 1;
  std::int32_t checkout_worker_replicas = 1;
  std::int32_t order_worker_replicas = 1;
  // A pass starts every period whether or not the previous one ended (a fixed-rate scheduler with
  // a pool), so passes of one job overlap; else the next pass waits a period after the last.
  bool fixed_rate_passes = false;
  // Passes that start late (the scheduler or the node under load), and by how much at most.
  std::uint32_t late_pass_ppm = 0;
  DurationUs late_pass_max_us = 0;
  // The operator's batch per order cron pass (config.order.cron_batch_size); 0 keeps the config's.
  // Varied the way FoundationDB's simulator varies its knobs: a small batch makes a backlog that
  // the services' 100 needs a shop many times bigger to build.
  std::int32_t cron_batch_size = 0;
  // The operator's reservation TTL in minutes (config.order.reservation_timeout_minutes, which the
  // saga reads once P1-CC-02 is fixed); 0 keeps the config's. A knob like the batch: the default 15
  // lapses before the cart cleanup's auto_cancel_minutes (30), and an operator who aligns the
  // config with the configmap's 30 (the review's M-03) or gives slow payers longer makes the
  // cleanup meet reservations that still hold stock. The world applies it only where the config
  // keeps the built-in TTL (WorldOptions::config_sets_reservation_ttl).
  std::int32_t reservation_ttl_minutes = 0;
  bool operator==(const Deployment&) const = default;
};
inline constexpr std::int32_t kReplicasMax = 2;
// The TTLs an operator sets, in minutes: round figures from just past the built-in 15 to two hours.
inline constexpr std::array<std::int32_t, 6> kOperatorTtlsMinutes = {20, 30, 45, 60, 90, 120};

// One bad day, drawn per swarm seed from a stream of its own: a correlated condition of the kind
// real incidents are made of, which independent coins and scattered windows almost never compose.
// At most one per seed, from from_us for duration_us (the world places it, DrawFaultWindows):
//   - kPaymentOutage: the payment provider is down, and the customers' step-up approvals it had
//     in flight never come back; on a shop whose operator runs a small cron batch, more cancelled
//     orders' voids fail than one batch covers;
//   - kSlowWarehouse: the warehouse answers past every caller's deadline; on half of such days
//     it also hangs in the middle of it (a kHang window of the plan, drawn in ForSeed);
//   - kBrokerOutage: the event broker is down: events published meanwhile (the warehouse's one
//     reservation_expired each) are lost to their publishers' retry rules;
//   - kStallingHost: the first checkout-api replica's host is overcommitted: each business call
//     costs the process sluggish_us of its own time (CPU steal), and from stall_lead_us on, at
//     stall_ppm of them it freezes for minutes (kHostStallMinUs to kPauseMaxUs, bounded like any
//     pause: a stall that begins within kPauseChainGapUs of the last continues it, and the whole
//     stays within kPauseMaxUs), at most kHostStallsMax separate stalls. The warehouse replica on
//     the same host freezes with it: while it is frozen, warehouse_fail_ppm of the warehouse's
//     calls (those routed to that replica) fail (a burst window for the stall's span). The host
//     is one of two checkout-api replicas: on a deployment of one, nothing else would serve the
//     customers, and the seed would test nothing.
enum class BadDayKind { kNone, kPaymentOutage, kSlowWarehouse, kBrokerOutage, kStallingHost };
std::string_view Name(BadDayKind kind);
inline constexpr std::int32_t kHostStallsMax = 5;
inline constexpr DurationUs kHostStallMinUs = 10 * kMinuteUs;
struct BadDay {
  BadDayKind kind = BadDayKind::kNone;
  TimeUs from_us = 0;               // when it begins (clipped to the faulty phase by the world)
  DurationUs duration_us = 0;       // how long it lasts
  DurationUs extra_latency_us = 0;  // kSlowWarehouse: added to each call (past kCallDeadlineUs)
  DurationUs sluggish_us = 0;       // kStallingHost: CPU steal per business call
  std::uint32_t stall_ppm = 0;      // kStallingHost: chance that a business call stalls the host
  DurationUs stall_lead_us = 0;     // kStallingHost: sluggish this long before the first stall
  std::uint32_t warehouse_fail_ppm = 0;  // kStallingHost: warehouse calls failing while frozen
  bool operator==(const BadDay&) const = default;
};
// A shared-infrastructure incident, drawn per swarm seed from a stream of its own, independent of
// the bad day: two dependencies that share a zone or a network path fail together, each for as
// long as its own recovery takes (ForSeed adds the incident's windows to the plan's):
//   - kZoneOutage: an availability zone drops off the network. The event broker's partition
//     leaders there are gone until the zone comes back (a broker that keeps its acknowledged
//     writes elects no leader from a stale replica), so every publish is refused for the whole
//     incident; the warehouse's primary there is replaced by its standby in another zone within
//     minutes, and until then every warehouse call fails.
//   - kEgressDegraded: the zone's egress proxies saturate: the payment provider, reached through
//     them, answers past its callers' deadline for the whole incident, and a share of the
//     warehouse's calls, routed through the same proxies, is dropped until the mesh ejects the bad
//     proxies a few minutes on.
enum class IncidentKind { kNone, kZoneOutage, kEgressDegraded };
std::string_view Name(IncidentKind kind);

// Why a service crash-loops: a bad deploy (a release that panics at boot or on its first
// requests, until the rollback), or the event broker's outage (a client whose liveness probe
// checks the broker is restarted, and then dies at boot, unable to connect, until the broker is
// back).
enum class CrashLoopCause { kNone, kBadDeploy, kBrokerOutage };
std::string_view Name(CrashLoopCause cause);

// A crash loop, drawn per swarm seed from a stream of its own: from `from_us` for `duration_us`
// every replica of one service crashes a short while after each start (a CrashLoopBackOff),
// `life_min_us` to `life_max_us` after each start; the supervisor restarts it as after any crash.
// Its cron jobs, counted from each start, may never come due meanwhile (SIM-33, SIM-35). service
// empty: no crash loop.
struct CrashLoop {
  std::string service;  // "checkout-api", "checkout-worker" or "order-worker"
  TimeUs from_us = 0;
  DurationUs duration_us = 0;
  DurationUs life_min_us = 0;
  DurationUs life_max_us = 0;
  CrashLoopCause cause = CrashLoopCause::kNone;
  bool operator==(const CrashLoop&) const = default;
};
inline constexpr std::array<std::string_view, 3> kCrashLoopServices = {
    "checkout-api", "checkout-worker", "order-worker"};
// The services that hold a connection to the event broker: both workers publish their outboxes
// to it, and the order worker consumes from it. checkout-api only writes its database.
inline constexpr std::array<std::string_view, 2> kBrokerClientServices = {"checkout-worker",
                                                                          "order-worker"};

// The most CPU steal one business call of a sluggish process costs it.
inline constexpr DurationUs kSluggishMaxUs = 30 * kSecondUs;

// A promotion campaign, drawn per swarm seed from a stream of its own: the shop mails one code
// (the workload's first promotion) with a budget of a few uses, and share_ppm of the customers
// who had no code use it. The budget runs out while other customers' checkouts that validated the
// code are still in flight, the way a flash sale's does. uses == 0: no campaign.
struct PromoCampaign {
  std::int64_t uses = 0;
  std::uint32_t share_ppm = 0;
  bool operator==(const PromoCampaign&) const = default;
};

// A flash sale, drawn per swarm seed from a stream of its own: the shop mails another code (the
// workload's second promotion) without a budget of uses to share_ppm of the customers who had no
// code, and the sale ends ends_at_us into the run, while checkouts that priced the code are still
// between their pricing and their claim (promotion.expired_mid_checkout). ends_at_us == 0: no sale.
struct FlashSale {
  TimeUs ends_at_us = 0;
  std::uint32_t share_ppm = 0;
  bool operator==(const FlashSale&) const = default;
};

// A card authorization's latency at the payment provider in swarm plans, each way (the layer waits
// it for the call and again for the answer: 0.6 to 6 s in all, as a card network and issuer take);
// the named plans keep every call at 1 to 5 ms each way. The seconds are what open the window
// between a checkout's pricing and its claims in which a promotion ends or runs out under it.
inline constexpr DurationUs kCardAuthorizationMinUs = 300 * kMillisecondUs;
inline constexpr DurationUs kCardAuthorizationMaxUs = 3 * kSecondUs;

// Swarm's hot points: on each seed, each fault point is hot with this chance, and then one fault
// kind (failure before, timeout after, or crash) fires at a rate drawn from these bounds at it.
inline constexpr std::uint32_t kHotPointPpm = 60'000;
inline constexpr std::uint32_t kHotRateMinPpm = 20'000;
inline constexpr std::uint32_t kHotRateMaxPpm = 200'000;

inline constexpr std::size_t kFaultWindowsMax = 256;
// A client's deadline on one port call (gRPC's, the database driver's): a call slowed past it
// still takes effect, but its caller sees kTimeout.
inline constexpr DurationUs kCallDeadlineUs = 10 * kSecondUs;
// A call's effect comes at most its deadline after the call, later only by a pause or stall of its
// caller (each bounded by kPauseMaxUs), so a reserve lands within the warehouse's contract.
static_assert(kCallDeadlineUs + kPauseMaxUs + kMinuteUs <= kReserveLandsWithinUs,
              "the fault model keeps the warehouse's landing bound");
inline constexpr std::size_t kFaultTriggersMax = 256;

struct FaultPlan {
  FaultRule default_rule;
  std::map<std::string, FaultRule> rules;  // by fault point name; overrides default_rule
  std::vector<FaultWindow> windows;        // explicit windows
  WindowDraws random_windows;              // and windows drawn per seed (World::Run)
  std::vector<FaultTrigger> triggers;
  PauseDraws pauses;       // process pauses at business calls (off unless ppm > 0)
  Deployment deployment;   // replicas and cron scheduling
  Slowness slowness;       // how long customers and the gateway keep payment outcomes waiting
  BadDay bad_day;          // swarm: one correlated bad day on some seeds (ForSeed)
  PromoCampaign campaign;  // swarm: a promotion mailed to many customers on some seeds (ForSeed)
  FlashSale sale;          // swarm: a second mailed promotion that ends mid-run (ForSeed)
  IncidentKind incident = IncidentKind::kNone;  // swarm: its windows are in `windows` (ForSeed)
  // Swarm: the fulfilment service is down for a while on some seeds (its window is in `windows`).
  bool fulfillment_down = false;
  CrashLoop crash_loop;  // swarm: a bad deploy, or a broker client's loop, on some seeds (ForSeed)
  // Swarm: each point's rule is drawn from (swarm_seed, point name) instead of default_rule, and
  // so are the kinds of windows drawn. nullopt: no swarm.
  std::optional<std::uint64_t> swarm_seed;

  // The rule of a point: its own, the swarm's, or the default.
  FaultRule RuleFor(const std::string& point) const;
  // Latency only: what a run without --faults uses.
  static FaultPlan Quiet();
  // Latency plus a small chance of failure before the effect at every point.
  static FaultPlan FailBefore(std::uint32_t ppm);
  // Failures before the effect and timeouts after it (the ambiguous kind) at every point.
  static FaultPlan FailBeforeAndAfter(std::uint32_t before_ppm, std::uint32_t after_ppm);
  // The heavy plan plus crashes and random outage, slow and burst windows.
  static FaultPlan Chaos();
  // Each seed draws its own plan (ForSeed): which fault kinds and ports are on, and how hot.
  static FaultPlan Swarm();
  // The plan a run of `seed` uses: a swarm plan drawn for that seed, any other plan as it is.
  FaultPlan ForSeed(std::uint64_t seed) const;
  // The named plans of the command line: "none" (Quiet), "light" (2 % of calls fail before their
  // effect), "heavy" (5 % before, 2 % time out after it), "chaos" (heavy + 0.2 % crashes + 6
  // windows), "swarm" (drawn per seed); nullopt for any other name.
  static std::optional<FaultPlan> Named(std::string_view name);
  static constexpr std::string_view kNames = "none, light, heavy, chaos, swarm";
  bool operator==(const FaultPlan&) const = default;
};

// True if `pattern` (a name, a prefix ending in '.', or "*") covers point `name`.
bool PointMatches(std::string_view pattern, std::string_view name);

class FaultLayer;

struct FaultPoint {
  std::string name;
  FaultRule rule;
  bool polling = false;    // exempt from coins (see the file comment)
  bool triggered = false;  // some trigger of the plan names this point
  // An observer's point (a monitor's read): every draw of its calls comes from this stream of its
  // own, so that adding the observer moves no draw of the run it watches. Observers poll.
  std::optional<Rng> own_rng;
  NameId action = 0;
  std::uint64_t reached = 0;
  std::uint64_t fired_before = 0;
  std::uint64_t fired_after = 0;
  std::uint64_t crashed = 0;    // callers crashed here
  std::uint64_t in_window = 0;  // calls that met a window (outage, slow or burst)
  std::uint64_t paused = 0;     // callers paused here
  // The layer that made this point: every call checks it, and comparing a pointer is cheaper than
  // looking the name up among the points (once per port call, a tenth of a run's string compares).
  const FaultLayer* layer = nullptr;
};

// Owns the fault points of one simulation and applies the plan at each call.
class FaultLayer {
 public:
  FaultLayer(Kernel& kernel, Rng rng, FaultPlan plan);

  // The point named `name`, created on first use. `polling` marks a worker's scan for due rows,
  // `observer` (which polls) a read whose draws come from the point's own stream (own_rng).
  // The pointer stays valid for the layer's life.
  FaultPoint* Point(const std::string& name, bool polling = false, bool observer = false);
  const std::map<std::string, FaultPoint>& points() const { return points_; }
  // Calls of every point but the polling ones so far: business the services did.
  std::uint64_t BusinessCalls() const;

  // Runs `effect` (a callable returning Task<R>, R a Status or Result) at `point`, with latency and
  // the plan's faults, and records one trace event with `detail`.
  template <class R, class F>
  Task<R> Call(FaultPoint* point, F effect, std::string detail);

  // The trace outcome naming `code` (interned once per layer, not per call).
  NameId OutcomeOf(Code code) const { return code_outcomes_[static_cast<std::size_t>(code)]; }

  // A fault that is not a port call (the bus duplicating or delaying a delivery): true with the
  // point's fail_before_ppm, counted as fired before. Never once faults are off.
  bool Fires(FaultPoint* point);

  // A consumer's fetch of one due delivery at `point` (the bus's side of a delivery, not a port
  // call): how much later than due a slow window on it hands the delivery over, and whether a
  // burst window's coin fails the fetch (the delivery stays unacknowledged and comes again).
  // Outages are the caller's to check first (DownUntil): a down broker hands out nothing.
  struct Fetch {
    DurationUs lag_us = 0;
    bool failed = false;
  };
  Fetch FetchAt(FaultPoint* point);

  // Adds a window (the world draws the random ones at the start of its run).
  void AddWindow(FaultWindow window);
  // When calls of `point_name` can succeed again if an outage or hang window covers it now (the
  // end of that window, or of the last window that overlaps or touches it), else nullopt. Burst and
  // slow windows do not count: some calls still get through. nullopt once faults are off.
  std::optional<TimeUs> DownUntil(std::string_view point_name) const;
  const std::vector<FaultWindow>& windows() const { return windows_; }
  // A crash injected at a call, as DisturbedTime weighs it.
  struct CrashAtCall {
    ProcessId process = kNoProcess;
    TimeUs called_us = 0;     // when the call went out
    TimeUs at_us = 0;         // when its caller crashed, before or after the call's effect
    std::string_view point;   // "warehouse.release"
    std::string_view detail;  // the call's detail, as the trace has it
  };
  // Whether a crash keeps its process away from its work until its first pass after the restart
  // (RecordPassStart), not only until the restart.
  using AwayUntilPass = std::function<bool(const CrashAtCall&)>;
  // How long, within [from_us, to_us), some window touched a point of one of `ports` (prefixes
  // such as "warehouse."), or every replica of process `stalled_service` ("checkout-worker",
  // "checkout-worker-2", ...) was paused, or down after a crash injected at a call of one of
  // `ports` until its restart (until its first pass after that for a crash `away_until_pass`
  // says so of): time in which no caller could count on them. Windows end when faults are
  // switched off.
  DurationUs DisturbedTime(std::initializer_list<std::string_view> ports, TimeUs from_us,
                           TimeUs to_us, std::string_view stalled_service = {},
                           const AwayUntilPass& away_until_pass = {}) const;
  // The first time after which more than `duration` of undisturbed time (in the sense of
  // DisturbedTime) has passed since `from_us`; the largest time while a replica is still away.
  TimeUs UndisturbedDeadline(std::initializer_list<std::string_view> ports, TimeUs from_us,
                             DurationUs duration, std::string_view stalled_service = {},
                             const AwayUntilPass& away_until_pass = {}) const;
  // Which processes a crash or a pause may hit, and what to do once one has crashed (the world
  // restarts it).
  void SetCrashPolicy(std::function<bool(ProcessId)> crashable,
                      std::function<void(ProcessId)> on_crash);
  // Called by on_crash: the crashed process comes back at `restart_at_us`. A crash this layer
  // injected at a call is then down from the call until then (DisturbedTime); a crash of the
  // world's own (a crash loop's) is not recorded.
  void RecordRestart(ProcessId process, TimeUs restart_at_us);
  // Called by the world as a scheduled pass of `process` begins: after a crash RecordRestart
  // recorded, the first one ends the process's time away from its work (AwayUntilPass). A
  // restarted worker does nothing for a waiting row before its first pass, which its replica's
  // start offset or a late pass can put a period or more after the restart.
  void RecordPassStart(ProcessId process);

  // A host's bad day (BadDay::kStallingHost): from `from_us` for `day.duration_us`, each business
  // call of `process` costs it day.sluggish_us more of its own time once the answer came back
  // (CPU steal), and at day.stall_ppm of them, before the call goes out, it stalls (StallProcess).
  void SetStallingHost(ProcessId process, TimeUs from_us, const BadDay& day);
  // Freezes service process `process` now for `duration_us` (a stall of its host), bounded as a
  // drawn pause is: the stall it continues stays within kPauseMaxUs. The frozen time, or 0 if
  // nothing froze (faults off, the process down, or its stall already at the bound).
  DurationUs StallProcess(ProcessId process, DurationUs duration_us);

  // Turns every fault off (the liveness phase); latency stays.
  void Quiesce() {
    quiet_ = true;
    quiet_since_ = std::min(quiet_since_, kernel_.now());
  }

 private:
  enum class Decision { kNone, kBefore, kAfter, kCrashBefore, kCrashAfter };
  Decision Decide(FaultPoint& point);
  // Window effects on this call now: extra latency, and whether it fails before its effect.
  struct WindowEffect {
    DurationUs extra_latency_us = 0;
    bool fail = false;
    bool hang = false;  // a kHang window: the failure is a timeout, after the deadline
  };
  WindowEffect Windows(FaultPoint& point);
  // The windows on `ports` within [from_us, to_us), merged: disjoint spans in time order.
  std::vector<std::pair<TimeUs, TimeUs>> DisturbedSpans(
      std::initializer_list<std::string_view> ports, TimeUs from_us, TimeUs to_us,
      std::string_view stalled_service, const AwayUntilPass& away_until_pass) const;
  // The spans within [from_us, to_us) in which every replica of `service` was paused, or down
  // (or away, by `away_until_pass`) after a crash injected at a call of one of `ports`.
  std::vector<std::pair<TimeUs, TimeUs>> AllStalledSpans(
      std::string_view service, std::initializer_list<std::string_view> ports, TimeUs from_us,
      TimeUs to_us, const AwayUntilPass& away_until_pass) const;
  struct PauseSpan {
    ProcessId process = kNoProcess;
    TimeUs from_us = 0;
    TimeUs until_us = 0;
  };
  // A process down from a crash injected at a call of `point` until its restart, and away from
  // its work until its first pass after that (back_us; the largest time until it comes).
  struct DownSpan {
    ProcessId process = kNoProcess;
    TimeUs from_us = 0;
    TimeUs until_us = 0;
    std::string point;
    std::string detail;
    TimeUs called_us = 0;
    TimeUs back_us = std::numeric_limits<TimeUs>::max();
  };
  // Bounds down_spans_: far more crashes than any plan injects in a run.
  static constexpr std::size_t kDownSpansMax = 100'000;
  DurationUs Latency(FaultPoint& point);
  // The stream a call of `point` draws its coins and latency from.
  Rng& StreamOf(FaultPoint& point) { return point.own_rng ? *point.own_rng : rng_; }
  bool CanCrashHere() const;
  void CrashCaller(FaultPoint& point, const std::string& detail, TimeUs called_us);
  // Flips the pause coin at a business call of a pausable process; on heads freezes the caller
  // for a drawn while (its next wait resumes after the pause).
  void MaybePauseCaller(FaultPoint& point);
  // A pause trigger naming this call of `point` freezes the caller.
  void PauseIfTriggered(FaultPoint& point);
  void PauseCaller(FaultPoint& point, DurationUs duration_us);
  void PauseProcess(ProcessId process, DurationUs duration_us);
  // Whether the running process is the stalling host, at a business call within its bad day.
  bool OnStallingHost(const FaultPoint& point) const {
    return host_.process != kNoProcess && !quiet_ && !point.polling &&
           kernel_.current() == host_.process && kernel_.now() >= host_.from_us &&
           kernel_.now() < host_.until_us;
  }
  // At a business call of the stalling host: the host's stall coin.
  void MaybeStallHost();
  struct StallingHost {
    ProcessId process = kNoProcess;
    TimeUs from_us = 0;
    TimeUs until_us = 0;
    TimeUs stalls_from_us = 0;
    DurationUs sluggish_us = 0;
    std::uint32_t stall_ppm = 0;
    std::uint32_t warehouse_fail_ppm = 0;
    std::int32_t stalls = 0;  // separate stalls begun so far (continuing one does not count)
  };
  // When the stall `process` is in (or would continue, starting now) began: pauses less than
  // kPauseChainGapUs apart make one stall.
  TimeUs StallStart(ProcessId process) const;
  DurationUs PauseDuration();
  template <class R>
  static Status StatusOf(const R& r) {
    if constexpr (std::is_same_v<R, Status>) {
      return r;
    } else {
      return r.status();
    }
  }
  void RecordOutcome(FaultPoint& point, NameId outcome, const std::string& detail);

  Kernel& kernel_;
  Rng rng_;
  const Rng streams_;  // the layer's seed, forked per observer point
  Rng pause_rng_;      // its own stream: plans without pauses draw exactly as before
  Rng host_rng_;       // a stalling host's own stream: the other draws stay as they were
  FaultPlan plan_;
  std::int32_t pauses_ = 0;
  std::vector<PauseSpan> pause_spans_;  // every pause injected, in the order drawn
  std::vector<DownSpan> down_spans_;    // every injected crash with its restart, in time order
  std::map<ProcessId, std::size_t> last_down_span_;  // each crashed process's latest down span
  const CrashAtCall* crashing_ = nullptr;            // the crash on_crash_ is handling
  StallingHost host_;
  bool quiet_ = false;
  TimeUs quiet_since_ = std::numeric_limits<TimeUs>::max();
  std::map<std::string, FaultPoint> points_;
  std::vector<FaultWindow> windows_;
  std::function<bool(ProcessId)> crashable_;
  std::function<void(ProcessId)> on_crash_;
  std::array<NameId, kCodeCount> code_outcomes_{};
  NameId fault_before_ = 0;
  NameId fault_after_ = 0;
  NameId fault_crash_ = 0;
  NameId fault_window_ = 0;
};

template <class R, class F>
Task<R> FaultLayer::Call(FaultPoint* point, F effect, std::string detail) {
  CSIM_CHECK(point != nullptr);
  CSIM_CHECK(point->layer == this, "a point of this layer");
  ++point->reached;
  const TimeUs called_us = kernel_.now();
  const WindowEffect window = Windows(*point);
  const bool past_deadline = window.extra_latency_us >= kCallDeadlineUs;
  co_await kernel_.Sleep(Latency(*point) + std::min(window.extra_latency_us, kCallDeadlineUs));
  if (point->triggered) PauseIfTriggered(*point);
  const bool on_host = OnStallingHost(*point);
  if (on_host) MaybeStallHost();
  // Observers never pause (they poll), and draw nothing from the pause stream.
  const bool pause_after = !point->own_rng && plan_.pauses.ppm > 0 && pause_rng_.ChancePpm(500'000);
  if (!pause_after) MaybePauseCaller(*point);
  if (window.fail) {
    ++point->fired_before;
    RecordOutcome(*point, fault_window_, detail);
    if (window.hang)
      co_return R{Status{Code::kTimeout, point->name + ": no answer (fault window)"}};
    co_return R{Status{Code::kUnavailable, point->name + ": down (fault window)"}};
  }
  // A call slowed past its deadline while faults were on times out even if they went off since.
  const Decision decision = past_deadline ? Decision::kAfter : Decide(*point);
  CSIM_CHECK(decision == Decision::kNone || past_deadline || !quiet_,
             "no fault fires once faults are off");
  if (decision == Decision::kBefore) {
    ++point->fired_before;
    CSIM_CHECK(point->fired_before + point->fired_after <= point->reached, "fired <= reached");
    RecordOutcome(*point, fault_before_, detail);
    co_return R{Status{Code::kUnavailable, point->name + ": injected failure before effect"}};
  }
  if (decision == Decision::kCrashBefore) {
    RecordOutcome(*point, fault_crash_, detail);
    CrashCaller(*point, detail, called_us);
    co_await kernel_.Halt();  // never resumes: the crash destroys this frame
    CSIM_CHECK(false, "a crashed caller never resumes");
    co_return R{Status{Code::kUnavailable, "crashed"}};
  }
  R result = co_await effect();
  if (on_host) co_await kernel_.Sleep(host_.sluggish_us);
  if (pause_after) MaybePauseCaller(*point);
  co_await kernel_.Sleep(Latency(*point));
  if (decision == Decision::kAfter) {
    ++point->fired_after;
    CSIM_CHECK(point->fired_before + point->fired_after <= point->reached, "fired <= reached");
    RecordOutcome(*point, fault_after_, detail);
    co_return R{Status{Code::kTimeout, point->name + ": injected timeout after effect"}};
  }
  if (decision == Decision::kCrashAfter) {
    RecordOutcome(*point, fault_crash_, detail);
    CrashCaller(*point, detail, called_us);
    co_await kernel_.Halt();
    CSIM_CHECK(false, "a crashed caller never resumes");
    co_return R{Status{Code::kUnavailable, "crashed"}};
  }
  const Status status = StatusOf(result);
  RecordOutcome(*point, OutcomeOf(status.code()), detail);
  co_return result;
}

}  // namespace csim::sim
