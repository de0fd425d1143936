#pragma once
// The deterministic kernel: virtual clock, a scheduler ordered by (time, sequence), processes that
// own their running work, and the trace. One Kernel runs one simulation on one thread; nothing in
// it reads the OS clock or depends on pointer values or unordered iteration.
//
// Work is C++20 coroutines (csim::Task). A process owns its root tasks; Crash destroys them, and
// with them every frame they were suspended in, so only durable state (the fakes) survives.
// Wake-ups carry the process's generation: a wake-up for a crashed incarnation is dropped.
// A paused process (SIGSTOP, a VM or GC stall) keeps its memory: wake-ups that fall due while it is
// paused are held and dispatched, in their order, when the pause ends.

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/task.h"
#include "core/time.h"
#include "sim/trace.h"

namespace csim::sim {

using ProcessId = std::uint32_t;
inline constexpr ProcessId kNoProcess = ~ProcessId{0};

struct KernelLimits {
  std::uint64_t dispatches_max = 200'000'000;  // steps per seed
  std::size_t queue_max = 4'000'000;           // scheduled wake-ups at once
  std::size_t processes_max = 64;
  std::size_t tasks_per_process_max = 1'000'000;
  std::size_t trace_events_max = Trace::kEventsMaxDefault;
};

class Kernel {
 public:
  explicit Kernel(KernelLimits limits = {});
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  ~Kernel();

  TimeUs now() const { return now_us_; }
  Trace& trace() { return trace_; }
  const Trace& trace() const { return trace_; }

  // ---- processes ----
  ProcessId AddProcess(std::string name);
  const std::string& ProcessName(ProcessId id) const { return processes_.at(id).name; }
  const std::vector<std::string>& ProcessNames() const { return process_names_; }
  bool IsUp(ProcessId id) const { return processes_.at(id).up; }
  std::uint64_t CrashCount(ProcessId id) const { return processes_.at(id).crashes; }
  ProcessId current() const { return current_; }

  // Runs `task` in `process`, starting at the current time after work already due now.
  void Spawn(ProcessId process, Task<void> task);
  // Runs `fn` in `process` at `at_us` (>= now), unless the process crashed meanwhile.
  void At(ProcessId process, TimeUs at_us, std::function<void()> fn);
  // Resumes `handle`, suspended in `process`, at the current time after work already due now;
  // dropped if the process crashed since. For replies between processes (World::CallApi).
  void Wake(ProcessId process, std::coroutine_handle<> handle);
  // Destroys every task of `process` and drops its pending wake-ups; the process is down until
  // Restart. Called from inside that process, it takes effect when the running step yields.
  void Crash(ProcessId process);
  // Brings a crashed process back and runs its start function (which spawns its workers anew).
  void Restart(ProcessId process);
  void SetStartFunction(ProcessId process, std::function<void()> start);
  // Freezes `process` until `until_us` (> now): none of its work runs before then, and every
  // wake-up due meanwhile runs after it, in order; its memory stays. A later pause extends an
  // earlier one. Called from inside `process` (a stall at one of its calls), it takes effect when
  // the running step yields. A crash ends the pause (the process is gone). Recorded as
  // `process.pause` in the trace.
  void Pause(ProcessId process, TimeUs until_us);
  // True while `process` is paused.
  bool IsPaused(ProcessId process) const {
    return processes_.at(process).paused_until_us > now_us_;
  }
  std::uint64_t PauseCount(ProcessId process) const { return processes_.at(process).pauses; }

  // ---- waiting (only from inside a process) ----
  struct SleepAwaiter {
    Kernel* kernel;
    TimeUs wake_us;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle) { kernel->WakeCurrentAt(handle, wake_us); }
    void await_resume() const noexcept {}
  };
  SleepAwaiter Sleep(DurationUs duration_us);
  SleepAwaiter SleepUntil(TimeUs at_us);
  // A poller's sleep: `period_us`, then again and again while `finds_nothing` (asked at the moment
  // the poller would wake, in its process) says the poller would find nothing to do. Exactly a
  // loop of Sleep(period_us) whose body does nothing when `finds_nothing()` is true: the same
  // wake-up times, places in the (time, seq) order, dispatch count and pauses; only the poller's
  // frame is not resumed for a poll that finds nothing, and the poll costs no entry in the main
  // heap. `finds_nothing` must outlive the sleep (the poller's frame owns it), read nothing but
  // state (and now()), and change nothing.
  //
  // `idle_until`, if not null, lets the kernel pass over many idle polls at once: it answers a time
  // before which `finds_nothing` would answer true whenever asked, as long as the state it reads
  // does not change (a time at or before now if a poll may find work now). Between two steps of
  // the rest of the world nothing changes, so the kernel jumps every poller past the polls that
  // fall before the first step, the first poll that may find work or the run's limit, with the
  // wake-up times, sequence numbers and dispatch count that one poll after another would leave:
  // the same order of everything after. Like `finds_nothing`, it must outlive the sleep and
  // change nothing.
  struct PollAwaiter {
    Kernel* kernel;
    DurationUs period_us;
    const std::function<bool()>* finds_nothing;
    const std::function<TimeUs()>* idle_until;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle) {
      kernel->PollCurrent(handle, period_us, finds_nothing, idle_until);
    }
    void await_resume() const noexcept {}
  };
  PollAwaiter SleepPolling(DurationUs period_us, const std::function<bool()>* finds_nothing,
                           const std::function<TimeUs()>* idle_until = nullptr);
  // A suspension that never resumes: a process that crashed itself waits here to be destroyed.
  std::suspend_always Halt() { return {}; }

  // ---- running ----
  // Dispatches every wake-up due at or before `end_us`, then sets the clock to `end_us`.
  void RunUntil(TimeUs end_us);
  // Dispatches until nothing is scheduled or the clock would pass `limit_us`. True if idle.
  bool RunUntilIdle(TimeUs limit_us);
  // Dispatches the next wake-up if it is due at or before `limit_us`; false if none is.
  bool RunOne(TimeUs limit_us);
  bool idle() const {
    return queue_.size() == (top_free_ ? 1u : 0u) && lane_head_ == lane_.size() && polls_.empty();
  }
  std::uint64_t dispatches() const { return dispatches_; }
  // Sequence numbers taken so far: one per wake-up queued, idle polls passed over included.
  std::uint64_t sequenced() const { return seq_; }

  // Records a trace event at the current time in the current process.
  void Record(NameId action, NameId outcome, std::string_view detail = {}) {
    trace_.Record(now_us_, current_, action, outcome, detail);
  }
  // The same, recorded as `process`'s (what happened to it, done by another: a crash it suffered).
  void RecordFor(ProcessId process, NameId action, NameId outcome, std::string_view detail = {}) {
    CSIM_CHECK(process < processes_.size(), "a known process");
    trace_.Record(now_us_, process, action, outcome, detail);
  }

 private:
  static constexpr std::size_t kReapMin = 64;                 // finished roots worth a reap
  static constexpr std::int32_t kIdlePollsPerCallMax = 4096;  // see DispatchPoll
  // 32 bytes: the heap moves entries on every push and pop.
  struct Entry {
    TimeUs time_us;
    std::uint64_t seq;
    // What the step runs: the address of a suspended coroutine's frame (even: frames come from
    // operator new, aligned to at least 8), or 2 * slot + 1 for the At timer in timers_[slot].
    std::uintptr_t target;
    ProcessId process;
    std::uint32_t generation;
    bool is_timer() const { return (target & 1) != 0; }
    std::uint32_t timer() const { return static_cast<std::uint32_t>(target >> 1); }
    std::coroutine_handle<> handle() const {
      return std::coroutine_handle<>::from_address(reinterpret_cast<void*>(target));
    }
  };
  static std::uintptr_t TargetOf(std::coroutine_handle<> handle) {
    const auto target = reinterpret_cast<std::uintptr_t>(handle.address());
    CSIM_CHECK(target != 0 && (target & 1) == 0, "a coroutine frame's address is even");
    return target;
  }
  static std::uintptr_t TimerTarget(std::uint32_t slot) {
    return (static_cast<std::uintptr_t>(slot) << 1) | 1;
  }
  // An At timer, run without a coroutine: a timer used to be a coroutine that slept until its time,
  // two frames and a root task per timer (1.7 % of a run's instructions, callgrind). It keeps that
  // coroutine's schedule exactly: one step at the time At was called, which (like the sleep) queues
  // the second step at `at_us`, where `fn` runs.
  struct Timer {
    TimeUs at_us = 0;
    bool armed = false;  // its first step ran: the next one runs fn
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time_us != b.time_us ? a.time_us > b.time_us : a.seq > b.seq;
    }
  };
  // A poller asleep in SleepPolling: its frame, its period and its question.
  struct Poller {
    std::coroutine_handle<> handle;
    DurationUs period_us = 0;
    const std::function<bool()>* finds_nothing = nullptr;
    const std::function<TimeUs()>* idle_until = nullptr;  // may be null
  };
  struct Process {
    std::string name;
    std::uint32_t generation = 0;
    bool up = true;
    std::uint64_t crashes = 0;
    std::uint64_t pauses = 0;
    TimeUs paused_until_us = 0;  // paused while now < paused_until_us
    std::vector<Task<void>> roots;
    std::size_t reap_mark = 64;
    // Roots finished since the last reap. A process that spawns all its work at the start (the
    // customers) never spawns again to trigger a reap, and held every finished customer's frames
    // until the end of the run (about 1 KiB per customer).
    std::size_t roots_done = 0;
    std::function<void()> start;
  };

  void WakeCurrentAt(std::coroutine_handle<> handle, TimeUs wake_us);
  void PollCurrent(std::coroutine_handle<> handle, DurationUs period_us,
                   const std::function<bool()>* finds_nothing,
                   const std::function<TimeUs()>* idle_until);
  // The next wake-up in (time, seq) order, from the main heap, the lane or the pollers' (nullptr
  // if none).
  const Entry* Next() const;
  // True if the lane's front comes before the main heap's top (or the heap is empty).
  bool LaneFirst() const;
  // The next of the main heap's and the lane's wake-ups (nullptr if none).
  const Entry* NextMain() const;
  // Removes and returns the lane's front.
  Entry TakeLaneFront();
  // Dispatches the top of polls_: a poll that finds nothing sleeps again without a resume, and so
  // do the polls due after it, by `limit_us` and before the main heap's next wake-up, that find
  // nothing either (at most kIdlePollsPerCallMax): no other step runs between them, so the
  // caller sees the steps it would have seen, less the idle ones. A poll that finds work is
  // resumed only as the first step of a call.
  bool DispatchPoll(TimeUs limit_us);
  // Passes over, at once, every poll due before the first moment at which something else may
  // happen: a step of the main heap, `limit_us` passed, a poll that may find work (by its
  // idle_until; a poller without one stops the jump at its next poll), a paused or crashed
  // poller's next poll. Each of those polls would have found nothing and slept again; the pollers
  // are left where those sleeps would have left them. True if it passed over any poll.
  bool SkipIdlePolls(TimeUs limit_us);
  // Dispatches the next wake-up, which is due by `limit_us`.
  void DispatchNext(TimeUs limit_us);
  // What every step that ran ends with: deferred crashes, a reap, a failure rethrown.
  void EndStep(ProcessId process);
  void DestroyDeferredCrashes();
  [[noreturn]] void RethrowFailure();
  void Push(TimeUs time_us, std::uintptr_t target, ProcessId process);
  // Drops the top entry, whose step has run (see top_free_).
  void PopFreeTop();
  // Dispatches the lane's front (kFromLane) or the heap's top, the run's next wake-up.
  template <bool kFromLane>
  bool DispatchOne();
  // Runs the step of the timer that `entry` dispatches (in the entry's process).
  void RunTimer(const Entry& entry);
  // Frees the slot of a timer that will never run (its process crashed).
  void DropTimer(std::uint32_t slot);
  void DestroyProcessWork(ProcessId process);
  // Destroys the finished root tasks of `process` (their frames are done: nothing runs or
  // resumes them, and destroying them has no effect on the world).
  void Reap(Process& process);
  Task<void> Guard(Task<void> inner);

  KernelLimits limits_;
  TimeUs now_us_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t dispatches_ = 0;
  ProcessId current_ = kNoProcess;
  std::vector<Entry> queue_;  // a binary heap under Later
  // True while the step of queue_.front() runs: that entry is spent, and the step's first Push
  // takes its place and sinks once (most steps sleep or wake someone), instead of a pop before the
  // step and a push in it. (time, seq) orders entries totally, so the heap's shape cannot change
  // which entry comes next.
  bool top_free_ = false;
  // Wake-ups due now, queued while the heap's top is not free (a step's second Push at the
  // current time, or one between steps): a Push at now would rise through every level of the heap,
  // since it comes before everything there but the entries due now. Queued at the current time
  // with ever larger seqs, they are in (time, seq) order as they come; the next wake-up is the
  // earlier of the lane's front and the heap's top. Entries from lane_head_ on are queued.
  std::vector<Entry> lane_;
  std::size_t lane_head_ = 0;
  std::vector<Process> processes_;
  std::vector<std::string> process_names_;
  std::vector<ProcessId> deferred_crashes_;
  // Pollers asleep (SleepPolling), a binary heap under Later apart from queue_: a poll that finds
  // nothing sinks through these few entries, not through the whole world's wake-ups. Their
  // entries' target is the poller's slot in pollers_.
  std::vector<Entry> polls_;
  std::vector<Poller> pollers_;              // by slot; a slot is free when its handle is null
  std::vector<std::uint32_t> free_pollers_;  // free slots
  // SkipIdlePolls' working space, kept between calls (about one call per 20 steps).
  std::vector<std::uint64_t> skip_counts_;
  std::vector<Entry> skip_polls_;
  std::vector<Timer> timers_;               // by slot; a slot is free when its fn is empty
  std::vector<std::uint32_t> free_timers_;  // free slots, reused last freed first
  std::exception_ptr failure_;
  Trace trace_;
  NameId pause_action_ = 0;
  NameId pause_outcome_ = 0;
};

}  // namespace csim::sim
