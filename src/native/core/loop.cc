#include "loop.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

namespace passerelle::core {

struct EventLoop::Watch {
  int fd;
  uint32_t events;
  IoHandler* handler;
  bool removed;
};

Timer::~Timer() {
  if (loop_ != nullptr && armed()) loop_->Disarm(this);
}

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    error_ = std::string("epoll_create1: ") + std::strerror(errno);
    return;
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    error_ = std::string("eventfd: ") + std::strerror(errno);
    return;
  }
  struct epoll_event event {};
  event.events = EPOLLIN;
  event.data.ptr = nullptr;  // the wake-up fd: no Watch
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    error_ = std::string("epoll_ctl(eventfd): ") + std::strerror(errno);
    return;
  }
  now_ms_ = MonotonicNs() / 1000000;
}

EventLoop::~EventLoop() {
  for (Timer* timer : heap_) {
    timer->index_ = Timer::kNotArmed;
    timer->loop_ = nullptr;
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

uint64_t EventLoop::MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

EventLoop::Watch* EventLoop::Add(int fd, uint32_t events, IoHandler* handler) {
  auto watch = std::make_unique<Watch>(Watch{fd, events, handler, false});
  struct epoll_event event {};
  event.events = events;
  event.data.ptr = watch.get();
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) return nullptr;
  return watch.release();
}

bool EventLoop::Modify(Watch* watch, uint32_t events) {
  if (watch->events == events) return true;
  struct epoll_event event {};
  event.events = events;
  event.data.ptr = watch;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, watch->fd, &event) != 0) return false;
  watch->events = events;
  return true;
}

uint32_t EventLoop::events(const Watch* watch) const { return watch->events; }

void EventLoop::Remove(Watch* watch) {
  if (watch == nullptr || watch->removed) return;
  // The fd may already be closed by its owner: then the kernel dropped it from the set.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, watch->fd, nullptr);
  watch->removed = true;
  removed_.emplace_back(watch);
}

bool EventLoop::Earlier(const Timer* a, const Timer* b) const {
  return a->deadline_ms_ < b->deadline_ms_ ||
         (a->deadline_ms_ == b->deadline_ms_ && a->order_ < b->order_);
}

void EventLoop::Place(size_t index, Timer* timer) {
  heap_[index] = timer;
  timer->index_ = index;
}

void EventLoop::SiftUp(size_t index) {
  Timer* timer = heap_[index];
  while (index > 0) {
    const size_t parent = (index - 1) / 2;
    if (!Earlier(timer, heap_[parent])) break;
    Place(index, heap_[parent]);
    index = parent;
  }
  Place(index, timer);
}

void EventLoop::SiftDown(size_t index) {
  Timer* timer = heap_[index];
  const size_t count = heap_.size();
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= count) break;
    if (child + 1 < count && Earlier(heap_[child + 1], heap_[child])) child++;
    if (!Earlier(heap_[child], timer)) break;
    Place(index, heap_[child]);
    index = child;
  }
  Place(index, timer);
}

void EventLoop::Arm(Timer* timer, uint64_t delay_ms) {
  if (timer->armed()) Disarm(timer);
  timer->loop_ = this;
  timer->deadline_ms_ = now_ms_ + delay_ms;
  timer->order_ = timer_order_++;
  heap_.push_back(timer);
  SiftUp(heap_.size() - 1);
}

void EventLoop::Disarm(Timer* timer) {
  if (!timer->armed()) return;
  const size_t index = timer->index_;
  timer->index_ = Timer::kNotArmed;
  Timer* last = heap_.back();
  heap_.pop_back();
  if (last == timer) return;
  Place(index, last);
  SiftDown(index);
  SiftUp(last->index_);
}

int EventLoop::NextTimeout() const {
  if (heap_.empty()) return -1;
  const uint64_t now = MonotonicNs() / 1000000;
  const uint64_t deadline = heap_.front()->deadline_ms_;
  if (deadline <= now) return 0;
  const uint64_t wait = deadline - now;
  return wait > 60000 ? 60000 : static_cast<int>(wait);
}

void EventLoop::Post(std::function<void()> command) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(command));
  }
  const uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable: the wake-up is not lost.
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

void EventLoop::AddTurnEndHook(std::function<void()> hook) { hooks_.push_back(std::move(hook)); }

void EventLoop::Defer(std::function<void()> task) { deferred_.push_back(std::move(task)); }

void EventLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    stop_requested_ = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

void EventLoop::Dispatch(int timeout_ms) {
  constexpr int kMaxEvents = 256;
  struct epoll_event events[kMaxEvents];
  const int count = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
  turn_started_ns_ = MonotonicNs();
  now_ms_ = turn_started_ns_ / 1000000;
  for (int i = 0; i < count; i++) {
    auto* watch = static_cast<Watch*>(events[i].data.ptr);
    if (watch == nullptr) {
      uint64_t value;
      [[maybe_unused]] ssize_t got = read(wake_fd_, &value, sizeof(value));
      continue;
    }
    if (watch->removed) continue;
    watch->handler->OnIo(events[i].events);
  }
}

void EventLoop::FireTimers() {
  // Timers armed by a callback for "now" wait for the next turn: no loop within a turn.
  const uint64_t limit = timer_order_;
  while (!heap_.empty()) {
    Timer* timer = heap_.front();
    if (timer->deadline_ms_ > now_ms_ || timer->order_ >= limit) break;
    Disarm(timer);
    timer->callback_();
  }
}

void EventLoop::RunPosted() {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    running_.swap(posted_);
    if (stop_requested_) stopping_ = true;
  }
  for (auto& command : running_) command();
  running_.clear();
}

void EventLoop::RunOnce(int timeout_ms) {
  Dispatch(timeout_ms);
  FireTimers();
  RunPosted();
  for (auto& hook : hooks_) hook();
  // Deferred tasks may defer more; those run at the next turn's end.
  std::vector<std::function<void()>> deferred;
  deferred.swap(deferred_);
  for (auto& task : deferred) task();
  removed_.clear();
}

void EventLoop::Run() {
  if (!error_.empty()) return;
  while (!stopping_) {
    int timeout = NextTimeout();
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      if (!posted_.empty() || stop_requested_) timeout = 0;
    }
    if (!deferred_.empty()) timeout = 0;
    RunOnce(timeout);
  }
}

}  // namespace passerelle::core
