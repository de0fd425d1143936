#pragma once
// Task<T>: a lazy C++20 coroutine, the only way core/ expresses work that waits. Every port call
// returns a Task, so every port call is a point where the scheduler of the caller (the simulator,
// or a real event loop) decides what runs next. Awaiting a Task starts it and resumes the awaiter
// by symmetric transfer when it finishes. Destroying a Task destroys its frame and, through the
// frame's locals, every Task it is suspended on: that is how a crash drops a process's work.

#include <array>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/check.h"

namespace csim {

template <class T>
class Task;

namespace task_detail {

// Where Task frames come from. A run allocates and frees millions of frames, many over 1 KiB (a
// saga's, a port call's). glibc serves such a size only after merging every small chunk freed
// since its last large request (malloc_consolidate), a walk over memory gone cold that grew with
// the world: with 20000 customers a third of the run's cache misses. So frames are recycled here
// instead: a free list per 64-byte size class and thread (a Task lives and dies on the thread of
// its world), at most kCachedBytesMax kept, frames of over kSizeMax bytes left to the heap.
// Nothing depends on where a frame lands (the simulation reads no pointer values).
class FramePool {
 public:
  static constexpr std::size_t kGranule = 64;
  static constexpr std::size_t kSizeMax = 8192;
  static constexpr std::size_t kCachedBytesMax = std::size_t{32} << 20;

  static void* Allocate(std::size_t size) {
    CSIM_CHECK(size > 0, "a frame has a size");
    if (!kEnabled || size > kSizeMax) return ::operator new(size);
    FramePool& pool = Local();
    Node*& head = pool.free_[ClassOf(size)];
    if (head == nullptr) return ::operator new(RoundedUp(size));
    CSIM_CHECK(pool.cached_bytes_ >= RoundedUp(size), "the pool counts what it keeps");
    Node* frame = head;
    head = frame->next;
    pool.cached_bytes_ -= RoundedUp(size);
    return frame;
  }
  static void Free(void* frame, std::size_t size) noexcept {
    if (!kEnabled || size > kSizeMax) return ::operator delete(frame);
    FramePool& pool = Local();
    if (pool.closed_ || pool.cached_bytes_ + RoundedUp(size) > kCachedBytesMax) {
      return ::operator delete(frame);
    }
    Node*& head = pool.free_[ClassOf(size)];
    head = new (frame) Node{head};
    pool.cached_bytes_ += RoundedUp(size);
    CSIM_CHECK(pool.cached_bytes_ <= kCachedBytesMax, "kCachedBytesMax");
  }

 private:
  // AddressSanitizer must see each frame freed, so that it can report a use after the free.
#if defined(__SANITIZE_ADDRESS__)
  static constexpr bool kEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  static constexpr bool kEnabled = false;
#else
  static constexpr bool kEnabled = true;
#endif
#else
  static constexpr bool kEnabled = true;
#endif
  struct Node {
    Node* next;
  };
  static std::size_t ClassOf(std::size_t size) {
    return (size - 1) / kGranule;
  }
  static std::size_t RoundedUp(std::size_t size) {
    return (ClassOf(size) + 1) * kGranule;
  }
  // The pool itself is trivially destructible, so a frame freed late in the thread's exit (a
  // Task in a static) still finds it; the drainer hands the kept frames back and closes it.
  struct Drainer {
    FramePool& pool;
    ~Drainer() {
      for (Node*& head : pool.free_) {
        while (head != nullptr) ::operator delete(std::exchange(head, head->next));
      }
      pool.cached_bytes_ = 0;
      pool.closed_ = true;
    }
  };
  static FramePool& Local() {
    static thread_local FramePool pool;
    static thread_local Drainer drainer{pool};
    (void)drainer;
    return pool;
  }

  std::array<Node*, kSizeMax / kGranule> free_{};
  std::size_t cached_bytes_ = 0;
  bool closed_ = false;
};

struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;

  static void* operator new(std::size_t size) { return FramePool::Allocate(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    FramePool::Free(frame, size);
  }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> done) noexcept {
      std::coroutine_handle<> next = done.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
};

}  // namespace task_detail

template <class T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = task_detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle handle) : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { Reset(); }

  bool valid() const { return static_cast<bool>(handle_); }
  bool done() const { return handle_ && handle_.done(); }
  Handle handle() const { return handle_; }

  // Awaiting: start the child and come back here when it is done.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    handle_.promise().continuation = awaiter;
    return handle_;
  }
  // The value as an rvalue reference into this Task's frame, not a new T: `co_return co_await t;`
  // then moves it once into the caller's promise instead of twice (through a temporary), which
  // every port wrapper of the simulator does. The frame lives until the awaited Task is destroyed,
  // at the end of the full-expression: bind the result to a variable by value (`auto x = co_await
  // t;`), never to a reference.
  std::add_rvalue_reference_t<T> await_resume() {
    CSIM_CHECK(handle_.done(), "resumed before the awaited task finished");
    auto& promise = handle_.promise();
    if (promise.error) std::rethrow_exception(promise.error);
    if constexpr (!std::is_void_v<T>) {
      CSIM_CHECK(promise.value.has_value(), "task finished without a value");
      return std::move(*promise.value);
    }
  }

  // For drivers that own a root task: rethrows what the finished task threw.
  void RethrowIfFailed() const {
    if (handle_ && handle_.done() && handle_.promise().error)
      std::rethrow_exception(handle_.promise().error);
  }

 private:
  void Reset() {
    if (handle_) handle_.destroy();
    handle_ = {};
  }
  Handle handle_;
};

namespace task_detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>{std::coroutine_handle<Promise<T>>::from_promise(*this)};
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>{std::coroutine_handle<Promise<void>>::from_promise(*this)};
}
}  // namespace task_detail

}  // namespace csim
