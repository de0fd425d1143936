#include "sim/kernel.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "core/check.h"

namespace csim::sim {
namespace {

// Sinks heap[0] (changed in place to a later entry) to its place in the binary heap under
// `later`: at most the heap's depth levels.
template <typename Entry, typename Later>
void SinkTopOf(std::vector<Entry>& heap, Later later) {
  const std::size_t size = heap.size();
  CSIM_CHECK(size > 0, "a top to sink");
  const Entry entry = heap[0];
  std::size_t hole = 0;
  for (std::size_t child = 1; child < size; child = 2 * hole + 1) {
    if (child + 1 < size && later(heap[child], heap[child + 1])) ++child;  // the earlier
    if (!later(entry, heap[child])) break;
    heap[hole] = heap[child];
    hole = child;
  }
  heap[hole] = entry;
}

}  // namespace

// Every step ends here, so the common case (nothing deferred, no reap due, no failure) is inline
// in the dispatchers; the rest is out of line.
inline void Kernel::EndStep(ProcessId process) {
  if (!deferred_crashes_.empty()) [[unlikely]] {
    DestroyDeferredCrashes();
  }
  // Once half of a process's roots (and at least kReapMin) have finished, free their frames:
  // amortized, each finished root is visited a bounded number of times.
  if (Process& p = processes_[process];
      p.roots_done >= kReapMin && 2 * p.roots_done >= p.roots.size()) [[unlikely]] {
    Reap(p);
  }
  if (failure_) [[unlikely]] {
    RethrowFailure();
  }
}

void Kernel::DestroyDeferredCrashes() {
  auto crashed = std::move(deferred_crashes_);
  deferred_crashes_.clear();
  for (ProcessId id : crashed) DestroyProcessWork(id);
}

void Kernel::RethrowFailure() {
  std::rethrow_exception(std::exchange(failure_, nullptr));
}

Kernel::Kernel(KernelLimits limits) : limits_(limits), trace_(limits.trace_events_max) {
  queue_.reserve(1024);
  pause_action_ = trace_.Intern("process.pause");
  pause_outcome_ = trace_.Intern("frozen");
}

Kernel::~Kernel() {
  // Frames may refer to each other across processes only through the queue, which holds no
  // ownership; destroying roots process by process is safe.
  for (auto& process : processes_) process.roots.clear();
  timers_.clear();
}

ProcessId Kernel::AddProcess(std::string name) {
  CSIM_CHECK(processes_.size() < limits_.processes_max, "too many processes");
  processes_.push_back(Process{});
  processes_.back().name = name;
  process_names_.push_back(std::move(name));
  return static_cast<ProcessId>(processes_.size() - 1);
}

Task<void> Kernel::Guard(Task<void> inner) {
  try {
    co_await inner;
  } catch (...) {
    // A broken assumption anywhere stops the whole run; RunUntil rethrows it.
    if (!failure_) failure_ = std::current_exception();
  }
  // A root runs only in steps of its own process, so the current one is the root's.
  if (current_ != kNoProcess) ++processes_[current_].roots_done;
}

void Kernel::Reap(Process& process) {
  const std::size_t before = process.roots.size();
  std::erase_if(process.roots, [](const Task<void>& t) { return t.done(); });
  process.roots_done = 0;
  CSIM_CHECK(process.roots.size() <= before, "a reap only removes");
}

void Kernel::Spawn(ProcessId process, Task<void> task) {
  Process& p = processes_.at(process);
  CSIM_CHECK(task.valid());
  if (!p.up) return;  // a crashed process starts nothing until Restart
  if (p.roots.size() >= p.reap_mark) {
    Reap(p);
    p.reap_mark = std::max<std::size_t>(64, 2 * p.roots.size());
  }
  CSIM_CHECK(p.roots.size() < limits_.tasks_per_process_max,
             "a process holds more running tasks than its limit");
  p.roots.push_back(Guard(std::move(task)));
  Push(now_us_, TargetOf(p.roots.back().handle()), process);
}

void Kernel::At(ProcessId process, TimeUs at_us, std::function<void()> fn) {
  CSIM_CHECK(at_us >= now_us_, "a timer cannot fire in the past");
  CSIM_CHECK(static_cast<bool>(fn), "a timer runs something");
  if (!processes_.at(process).up) return;  // as Spawn: a crashed process starts nothing
  std::uint32_t slot;
  if (free_timers_.empty()) {
    CSIM_CHECK(timers_.size() < limits_.queue_max, "more timers than the queue holds");
    slot = static_cast<std::uint32_t>(timers_.size());
    timers_.emplace_back();
  } else {
    slot = free_timers_.back();
    free_timers_.pop_back();
  }
  timers_[slot] = Timer{at_us, false, std::move(fn)};
  // The first step runs now, after work already due, as a spawned task's first step would.
  Push(now_us_, TimerTarget(slot), process);
}

void Kernel::RunTimer(const Entry& entry) {
  Timer& timer = timers_.at(entry.timer());
  CSIM_CHECK(static_cast<bool>(timer.fn), "a pending timer");
  if (!timer.armed) {
    // What the sleep did: queue the next step at the timer's time (not before now).
    timer.armed = true;
    Push(std::max(timer.at_us, now_us_), entry.target, entry.process);
    return;
  }
  std::function<void()> fn = std::move(timer.fn);
  timer.fn = nullptr;
  free_timers_.push_back(entry.timer());  // before fn: fn may set another timer
  try {
    fn();
  } catch (...) {
    // As a task's failure: the whole run stops, after this step (DispatchOne rethrows it).
    if (!failure_) failure_ = std::current_exception();
  }
}

void Kernel::DropTimer(std::uint32_t slot) {
  Timer& timer = timers_.at(slot);
  CSIM_CHECK(static_cast<bool>(timer.fn), "a pending timer is dropped once");
  timer.fn = nullptr;
  free_timers_.push_back(slot);
}

void Kernel::Wake(ProcessId process, std::coroutine_handle<> handle) {
  CSIM_CHECK(static_cast<bool>(handle), "a handle to wake");
  CSIM_CHECK(process < processes_.size(), "a known process");
  if (!processes_[process].up) return;
  Push(now_us_, TargetOf(handle), process);
}

void Kernel::Crash(ProcessId process) {
  Process& p = processes_.at(process);
  if (!p.up) return;
  p.up = false;
  ++p.crashes;
  p.paused_until_us = 0;  // a killed process is no longer frozen: it is gone
  ++p.generation;         // every pending wake-up of the old incarnation is now stale
  if (process == current_) {
    deferred_crashes_.push_back(process);  // its frame is running: destroy it after the step
  } else {
    DestroyProcessWork(process);
  }
}

void Kernel::DestroyProcessWork(ProcessId process) {
  std::vector<Task<void>> doomed;
  doomed.swap(processes_.at(process).roots);
  processes_[process].roots_done = 0;
  doomed.clear();
}

void Kernel::Restart(ProcessId process) {
  Process& p = processes_.at(process);
  if (p.up) return;
  p.up = true;
  p.reap_mark = 64;
  if (p.start) p.start();
}

void Kernel::Pause(ProcessId process, TimeUs until_us) {
  CSIM_CHECK(process < processes_.size(), "a known process");
  CSIM_CHECK(until_us > now_us_, "a pause ends in the future");
  Process& p = processes_[process];
  if (!p.up) return;  // nothing to freeze
  ++p.pauses;
  p.paused_until_us = std::max(p.paused_until_us, until_us);
  trace_.Record(now_us_, process, pause_action_, pause_outcome_,
                fmt::format("until_us={}", p.paused_until_us));
  CSIM_CHECK(IsPaused(process), "a paused process is paused");
}

void Kernel::SetStartFunction(ProcessId process, std::function<void()> start) {
  processes_.at(process).start = std::move(start);
}

Kernel::SleepAwaiter Kernel::Sleep(DurationUs duration_us) {
  CSIM_CHECK(duration_us >= 0, "cannot sleep a negative duration");
  return SleepAwaiter{this, now_us_ + duration_us};
}

Kernel::SleepAwaiter Kernel::SleepUntil(TimeUs at_us) {
  return SleepAwaiter{this, std::max(at_us, now_us_)};
}

void Kernel::WakeCurrentAt(std::coroutine_handle<> handle, TimeUs wake_us) {
  CSIM_CHECK(current_ != kNoProcess, "only a process can wait");
  Push(wake_us, TargetOf(handle), current_);
}

Kernel::PollAwaiter Kernel::SleepPolling(DurationUs period_us,
                                         const std::function<bool()>* finds_nothing,
                                         const std::function<TimeUs()>* idle_until) {
  CSIM_CHECK(period_us > 0, "a poller sleeps a while between polls");
  CSIM_CHECK(finds_nothing != nullptr && static_cast<bool>(*finds_nothing), "a poller's question");
  CSIM_CHECK(idle_until == nullptr || static_cast<bool>(*idle_until), "an idle bound, if any");
  return PollAwaiter{this, period_us, finds_nothing, idle_until};
}

void Kernel::PollCurrent(std::coroutine_handle<> handle, DurationUs period_us,
                         const std::function<bool()>* finds_nothing,
                         const std::function<TimeUs()>* idle_until) {
  CSIM_CHECK(current_ != kNoProcess, "only a process can wait");
  CSIM_CHECK(pollers_.size() - free_pollers_.size() < limits_.queue_max, "pollers over the limit");
  std::uint32_t slot;
  if (free_pollers_.empty()) {
    slot = static_cast<std::uint32_t>(pollers_.size());
    pollers_.emplace_back();
  } else {
    slot = free_pollers_.back();
    free_pollers_.pop_back();
  }
  pollers_[slot] = Poller{handle, period_us, finds_nothing, idle_until};
  // The seq the Sleep's Push would take, at the same moment of the step.
  polls_.push_back(
      Entry{now_us_ + period_us, seq_++, slot, current_, processes_[current_].generation});
  std::push_heap(polls_.begin(), polls_.end(), Later{});
}

bool Kernel::LaneFirst() const {
  if (lane_head_ == lane_.size()) return false;
  return queue_.size() == (top_free_ ? 1u : 0u) || Later{}(queue_.front(), lane_[lane_head_]);
}

const Kernel::Entry* Kernel::NextMain() const {
  if (LaneFirst()) return &lane_[lane_head_];
  return queue_.size() > (top_free_ ? 1u : 0u) ? &queue_.front() : nullptr;
}

const Kernel::Entry* Kernel::Next() const {
  const Entry* main = NextMain();
  if (polls_.empty()) return main;
  if (main == nullptr || Later{}(*main, polls_.front())) return &polls_.front();
  return main;
}

bool Kernel::SkipIdlePolls(TimeUs limit_us) {
  // Nothing at or after stop_us is passed over. A poll after the main heap's next step (even at
  // its time, where the sequence numbers decide) is left to the caller.
  TimeUs stop_us = limit_us < std::numeric_limits<TimeUs>::max() ? limit_us + 1 : limit_us;
  if (const Entry* main = NextMain(); main != nullptr) stop_us = std::min(stop_us, main->time_us);
  for (const Entry& poll : polls_) {  // a few pollers
    const Process& process = processes_[poll.process];
    const Poller& poller = pollers_.at(static_cast<std::uint32_t>(poll.target));
    if (process.generation != poll.generation || poll.time_us < process.paused_until_us ||
        poller.idle_until == nullptr) {
      stop_us = std::min(stop_us, poll.time_us);  // stale, held or unbounded: polled as before
      continue;
    }
    current_ = poll.process;
    const TimeUs idle_until = (*poller.idle_until)();
    current_ = kNoProcess;
    if (idle_until >= stop_us) continue;
    // This poller's first poll at or after idle_until may find work: the jump stops there.
    const TimeUs polls_before =
        idle_until <= poll.time_us
            ? 0
            : (idle_until - poll.time_us + poller.period_us - 1) / poller.period_us;
    stop_us = std::min(stop_us, poll.time_us + polls_before * poller.period_us);
  }
  if (polls_.front().time_us >= stop_us) return false;
  // Polls passed over, per poller: those due before stop_us, at time_us + n * period_us for n in
  // [0, count). One poll after another, they are dispatched in (time, seq) order, each taking the
  // next seq for its poller's next entry; a later call would see nothing else happen meanwhile.
  const std::size_t pollers = polls_.size();
  std::vector<std::uint64_t>& counts = skip_counts_;  // kept from call to call: no allocation
  counts.assign(pollers, 0);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < pollers; ++i) {
    const Entry& poll = polls_[i];
    if (poll.time_us >= stop_us) continue;
    const DurationUs period_us = pollers_[static_cast<std::uint32_t>(poll.target)].period_us;
    counts[i] = static_cast<std::uint64_t>((stop_us - poll.time_us + period_us - 1) / period_us);
    total += counts[i];
  }
  // Over the budget, one poll after another stops where the budget runs out, as before.
  if (total == 0 || dispatches_ + total > limits_.dispatches_max) return false;
  const auto period_of = [&](std::size_t i) {
    return pollers_[static_cast<std::uint32_t>(polls_[i].target)].period_us;
  };
  // Whether poll n of poller j is dispatched before poll m of poller i. At equal times the seqs
  // decide: poll 0's is the entry's own (older than any taken while passing over), poll n's was
  // taken when poll n - 1 was dispatched, so the order of the polls before decides. With equal
  // periods the times stay equal all the way back; with unequal ones they can be equal at most
  // once in a row.
  const auto before = [&](std::size_t j, std::uint64_t n, std::size_t i, std::uint64_t m) {
    for (int step = 0; step < 4; ++step) {
      const TimeUs time_j = polls_[j].time_us + static_cast<TimeUs>(n) * period_of(j);
      const TimeUs time_i = polls_[i].time_us + static_cast<TimeUs>(m) * period_of(i);
      if (time_j != time_i) return time_j < time_i;
      if (j == i) return n < m;
      if (period_of(j) == period_of(i)) {
        const std::uint64_t back = std::min(n, m);
        n -= back;
        m -= back;
      }
      if (n == 0 && m == 0) return polls_[j].seq < polls_[i].seq;
      if (n == 0 || m == 0) return n == 0;
      --n;
      --m;
    }
    CSIM_CHECK(false, "unequal periods tie at most once in a row");
    return false;
  };
  const std::uint64_t first_seq = seq_;
  std::vector<Entry>& moved = skip_polls_;
  moved.assign(polls_.begin(), polls_.end());
  TimeUs last_us = now_us_;
  for (std::size_t i = 0; i < pollers; ++i) {
    if (counts[i] == 0) continue;
    // The seq its last poll passed over took: first_seq plus the polls dispatched before that one.
    const std::uint64_t last = counts[i] - 1;
    const TimeUs last_poll_us = polls_[i].time_us + static_cast<TimeUs>(last) * period_of(i);
    std::uint64_t earlier = last;  // its own
    for (std::size_t j = 0; j < pollers; ++j) {
      if (j == i || counts[j] == 0 || polls_[j].time_us > last_poll_us) continue;
      // Polls of j strictly before last_poll_us, then the one at that time, if any, by seq.
      std::uint64_t n = std::min<std::uint64_t>(
          counts[j], static_cast<std::uint64_t>(
                         (last_poll_us - polls_[j].time_us + period_of(j) - 1) / period_of(j)));
      if (n < counts[j] &&
          polls_[j].time_us + static_cast<TimeUs>(n) * period_of(j) == last_poll_us &&
          before(j, n, i, last)) {
        ++n;
      }
      earlier += n;
    }
    CSIM_CHECK(earlier < total, "a poll's rank among those passed over");
    moved[i].time_us = last_poll_us + period_of(i);
    moved[i].seq = first_seq + earlier;
    last_us = std::max(last_us, last_poll_us);
  }
  polls_.swap(moved);
  std::make_heap(polls_.begin(), polls_.end(), Later{});
  seq_ += total;
  dispatches_ += total;
  now_us_ = last_us;  // the time of the last poll passed over, as after the last of them
  return true;
}

bool Kernel::DispatchPoll(TimeUs limit_us) {
  CSIM_CHECK(!top_free_ && !polls_.empty(), "a poll to dispatch");
  CSIM_CHECK(polls_.front().time_us <= limit_us, "a poll due by the limit");
  if (SkipIdlePolls(limit_us)) return true;
  for (std::int32_t polled = 0;; ++polled) {
    Entry& top = polls_.front();
    CSIM_CHECK(top.time_us >= now_us_, "time never goes backwards");
    const auto slot = static_cast<std::uint32_t>(top.target);
    const ProcessId process = top.process;
    const bool stale = processes_[process].generation != top.generation;
    const TimeUs resume_us = processes_[process].paused_until_us;
    const Poller& poller = pollers_.at(slot);
    if (polled > 0) {
      // A later poll in the same call: only if it is the run's next wake-up, due by the limit, and
      // finds nothing (asked at its own time); anything else is left to the caller's next call.
      if (polled >= kIdlePollsPerCallMax || top.time_us > limit_us || stale ||
          top.time_us < resume_us || (NextMain() != nullptr && !Later{}(*NextMain(), top))) {
        return true;
      }
      const TimeUs before_us = std::exchange(now_us_, top.time_us);
      current_ = process;
      const bool idle = (*poller.finds_nothing)();
      current_ = kNoProcess;
      if (!idle) {
        now_us_ = before_us;  // not dispatched: the next call runs it at its time
        return true;
      }
    }
    now_us_ = top.time_us;
    if (stale) {  // crashed since: the entry leaves the heap and its slot is free
      pollers_[slot] = Poller{};
      free_pollers_.push_back(slot);
      std::pop_heap(polls_.begin(), polls_.end(), Later{});
      polls_.pop_back();
      return false;
    }
    // Held until the pause ends, in order (see DispatchOne): pushed again at its end.
    if (now_us_ < resume_us) {
      top.time_us = resume_us;
      top.seq = seq_++;
      SinkTopOf(polls_, Later{});
      return false;
    }
    CSIM_CHECK(++dispatches_ <= limits_.dispatches_max, "dispatch budget of the run exhausted");
    if (polled == 0) {
      current_ = process;
      const bool idle = (*poller.finds_nothing)();
      current_ = kNoProcess;
      if (!idle) {
        const std::coroutine_handle<> handle = poller.handle;
        pollers_[slot] = Poller{};
        free_pollers_.push_back(slot);
        std::pop_heap(polls_.begin(), polls_.end(), Later{});
        polls_.pop_back();
        current_ = process;
        handle.resume();
        current_ = kNoProcess;
        EndStep(process);
        return true;
      }
    }
    // What the poller's step would have done: nothing, then Sleep(period) again, which takes the
    // next seq; the entry sinks from the top through the few pollers.
    top.time_us = now_us_ + poller.period_us;
    top.seq = seq_++;
    SinkTopOf(polls_, Later{});
  }
}

void Kernel::DispatchNext(TimeUs limit_us) {
  const bool lane_first = LaneFirst();
  const Entry* main = lane_first ? &lane_[lane_head_] : queue_.empty() ? nullptr : &queue_.front();
  if (!polls_.empty() && (main == nullptr || Later{}(*main, polls_.front()))) {
    DispatchPoll(limit_us);
  } else {
    if (lane_first) {
      DispatchOne<true>();
    } else {
      DispatchOne<false>();
    }
  }
}

void Kernel::Push(TimeUs time_us, std::uintptr_t target, ProcessId process) {
  CSIM_CHECK(time_us >= now_us_, "time never goes backwards");
  CSIM_CHECK(queue_.size() - (top_free_ ? 1 : 0) + (lane_.size() - lane_head_) < limits_.queue_max,
             "scheduler queue over its limit");
  const Entry entry{time_us, seq_++, target, process, processes_[process].generation};
  if (!top_free_) {
    if (time_us == now_us_) {  // after everything queued: the lane's end, not the heap
      lane_.push_back(entry);
      return;
    }
    queue_.push_back(entry);
    std::push_heap(queue_.begin(), queue_.end(), Later{});
    return;
  }
  // Sink the new entry from the spent top's place; each level halves what is left below, so the
  // loop runs at most the heap's depth.
  top_free_ = false;
  const std::size_t size = queue_.size();
  std::size_t hole = 0;
  for (std::size_t child = 1; child < size; child = 2 * hole + 1) {
    if (child + 1 < size && Later{}(queue_[child], queue_[child + 1])) ++child;  // the earlier
    if (!Later{}(entry, queue_[child])) break;
    queue_[hole] = queue_[child];
    hole = child;
  }
  queue_[hole] = entry;
  CSIM_CHECK(hole == 0 || !Later{}(queue_[(hole - 1) / 2], queue_[hole]), "heap order kept");
}

void Kernel::PopFreeTop() {
  CSIM_CHECK(top_free_ && !queue_.empty(), "a spent top to drop");
  std::pop_heap(queue_.begin(), queue_.end(), Later{});
  queue_.pop_back();
  top_free_ = false;
}

Kernel::Entry Kernel::TakeLaneFront() {
  CSIM_CHECK(lane_head_ < lane_.size(), "a lane entry to take");
  const Entry entry = lane_[lane_head_++];
  if (lane_head_ == lane_.size()) {  // drained: it fills from the start again
    lane_.clear();
    lane_head_ = 0;
  }
  return entry;
}

template <bool kFromLane>
bool Kernel::DispatchOne() {
  // The caller found the lane's front (kFromLane) or the heap's top the run's next wake-up.
  CSIM_CHECK(!top_free_ && (kFromLane || !queue_.empty()), "a step to dispatch");
  const Entry entry = kFromLane ? TakeLaneFront() : queue_.front();
  // A heap top is spent: the step's first Push takes its place, or PopFreeTop drops it.
  top_free_ = !kFromLane;
  CSIM_CHECK(entry.time_us >= now_us_, "time never goes backwards");
  now_us_ = entry.time_us;
  if (processes_[entry.process].generation != entry.generation) {  // crashed since
    if (entry.is_timer()) DropTimer(entry.timer());  // as the crash destroyed its frame
    if (top_free_) PopFreeTop();
    return false;
  }
  if (const TimeUs resume_us = processes_[entry.process].paused_until_us;
      entry.time_us < resume_us) {
    // Due while its process is frozen: held until the pause ends. Entries leave the heap in
    // (time, seq) order and are pushed again in that order, so held work keeps its order.
    // (The generation matched above, so Push stamps the entry's own.)
    Push(resume_us, entry.target, entry.process);
    return false;
  }
  CSIM_CHECK(++dispatches_ <= limits_.dispatches_max, "dispatch budget of the run exhausted");
  current_ = entry.process;
  if (entry.is_timer()) {
    RunTimer(entry);
  } else {
    entry.handle().resume();
  }
  current_ = kNoProcess;
  if (top_free_) PopFreeTop();  // the step queued nothing
  EndStep(entry.process);
  return true;
}

void Kernel::RunUntil(TimeUs end_us) {
  CSIM_CHECK(end_us >= now_us_);
  for (const Entry* next = Next(); next != nullptr && next->time_us <= end_us; next = Next()) {
    DispatchNext(end_us);
  }
  now_us_ = end_us;
}

bool Kernel::RunOne(TimeUs limit_us) {
  // Next() and DispatchNext in one: which heap holds the next wake-up is decided once.
  CSIM_CHECK(!top_free_, "between steps");
  if (lane_head_ != lane_.size()) [[unlikely]] {  // the lane's front, the heap's or the pollers'
    const Entry* next = Next();
    CSIM_CHECK(next != nullptr, "the lane holds a wake-up");
    if (next->time_us > limit_us) return false;
    DispatchNext(limit_us);
    return true;
  }
  if (!polls_.empty() && (queue_.empty() || Later{}(queue_.front(), polls_.front()))) {
    if (polls_.front().time_us > limit_us) return false;
    DispatchPoll(limit_us);
    return true;
  }
  if (queue_.empty() || queue_.front().time_us > limit_us) return false;
  DispatchOne<false>();
  return true;
}

bool Kernel::RunUntilIdle(TimeUs limit_us) {
  for (const Entry* next = Next(); next != nullptr; next = Next()) {
    if (next->time_us > limit_us) return false;
    DispatchNext(limit_us);
  }
  return true;
}

}  // namespace csim::sim
