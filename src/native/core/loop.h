// The data planes' event loop: one per native thread. epoll for file descriptors, a timer heap,
// an eventfd to wake it from other threads, a command queue those threads post to, and hooks
// run at the end of every turn (where batches are flushed: TUN writes, TLS output, events).
//
// Promises:
// - Everything but Post() and Stop() is called on the loop's own thread.
// - A watch removed during a turn gets no further events in that turn, even if the kernel
//   already reported some: the object behind it may be gone.
// - Timers are objects the caller owns (no allocation to arm one); a timer is disarmed before
//   it fires; one armed again from its own callback fires again later, never in a loop.
// - One turn: wait (until the next timer or an event), dispatch I/O, fire due timers, run
//   posted commands, run the turn-end hooks. Now() is cached per turn.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace passerelle::core {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  // `events` are EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP/EPOLLRDHUP bits.
  virtual void OnIo(uint32_t events) = 0;
};

class EventLoop;

class Timer {
 public:
  explicit Timer(std::function<void()> callback) : callback_(std::move(callback)) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  bool armed() const { return index_ != kNotArmed; }
  uint64_t deadline_ms() const { return deadline_ms_; }

 private:
  friend class EventLoop;
  static constexpr size_t kNotArmed = ~size_t{0};
  std::function<void()> callback_;
  EventLoop* loop_ = nullptr;
  uint64_t deadline_ms_ = 0;
  uint64_t order_ = 0;  // ties broken by arming order
  size_t index_ = kNotArmed;
};

class EventLoop {
 public:
  struct Watch;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Empty when the loop could be set up; otherwise why not.
  const std::string& error() const { return error_; }

  // Watches `fd` for `events` (EPOLLIN, EPOLLOUT, EPOLLET, ...). Null on failure (errno set).
  Watch* Add(int fd, uint32_t events, IoHandler* handler);
  bool Modify(Watch* watch, uint32_t events);
  uint32_t events(const Watch* watch) const;
  // Stops watching; the fd is not closed. Safe during dispatch.
  void Remove(Watch* watch);

  void Arm(Timer* timer, uint64_t delay_ms);
  void Disarm(Timer* timer);

  // Milliseconds on the monotonic clock, as of the start of this turn.
  uint64_t Now() const { return now_ms_; }
  // Nanoseconds on the monotonic clock when this turn's wait ended: what the turn did since is
  // the process's own time (measurements of the engine's part of a request).
  uint64_t turn_started_ns() const { return turn_started_ns_; }
  // The monotonic clock now, in nanoseconds (for measurements).
  static uint64_t MonotonicNs();

  // Any thread: runs `command` on the loop thread during its next turn.
  void Post(std::function<void()> command);
  // Runs at the end of every turn, in the order added.
  void AddTurnEndHook(std::function<void()> hook);
  // Runs `task` once at the end of this turn (e.g. deleting an object no longer safe to use).
  void Defer(std::function<void()> task);

  // Runs turns until Stop(). Returns at once if the loop could not be set up.
  void Run();
  // Any thread.
  void Stop();
  // One turn waiting at most `timeout_ms` (-1: until something happens). For tests.
  void RunOnce(int timeout_ms);

 private:
  void Dispatch(int timeout_ms);
  void FireTimers();
  void RunPosted();
  void SiftUp(size_t index);
  void SiftDown(size_t index);
  bool Earlier(const Timer* a, const Timer* b) const;
  void Place(size_t index, Timer* timer);
  int NextTimeout() const;

  std::string error_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  uint64_t now_ms_ = 0;
  uint64_t turn_started_ns_ = 0;
  uint64_t timer_order_ = 0;
  bool stopping_ = false;
  std::vector<Timer*> heap_;
  std::vector<std::unique_ptr<Watch>> removed_;  // freed at the end of the turn
  std::vector<std::function<void()>> hooks_;
  std::vector<std::function<void()>> deferred_;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::function<void()>> running_;  // posted commands being run (swapped out)
  bool stop_requested_ = false;                 // guarded by posted_mutex_
};

}  // namespace passerelle::core
