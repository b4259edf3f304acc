// The event loop (core/loop.h): timers in order, re-arming, posting from another thread,
// removing a watch while its events are being dispatched.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "loop.h"

using namespace passerelle::core;

TEST(timers_fire_in_deadline_order_and_can_be_disarmed) {
  EventLoop loop;
  CHECK(loop.error().empty());
  std::string order;
  Timer a([&] { order += 'a'; });
  Timer b([&] { order += 'b'; });
  Timer c([&] { order += 'c'; });
  Timer d([&] { order += 'd'; });
  loop.Arm(&c, 30);
  loop.Arm(&a, 10);
  loop.Arm(&b, 20);
  loop.Arm(&d, 15);
  loop.Disarm(&d);
  CHECK(!d.armed());
  const uint64_t start = EventLoop::MonotonicNs();
  while (order.size() < 3 && EventLoop::MonotonicNs() - start < 2000000000ull) loop.RunOnce(50);
  CHECK_STR(order, "abc");
}

TEST(a_timer_rearmed_from_its_callback_fires_on_a_later_turn) {
  EventLoop loop;
  int fired = 0;
  Timer* self = nullptr;
  Timer timer([&] {
    fired++;
    if (fired < 3) loop.Arm(self, 0);
  });
  self = &timer;
  loop.Arm(&timer, 0);
  loop.RunOnce(0);
  CHECK_EQ(fired, 1);  // not three times in one turn
  loop.RunOnce(0);
  loop.RunOnce(0);
  CHECK_EQ(fired, 3);
}

TEST(many_timers_keep_heap_order_under_random_disarming) {
  EventLoop loop;
  std::vector<uint64_t> fired;
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < 200; i++) {
    timers.push_back(std::make_unique<Timer>([&fired, &loop, i] {
      (void)loop;
      fired.push_back(static_cast<uint64_t>(i));
    }));
  }
  for (int i = 0; i < 200; i++) loop.Arm(timers[i].get(), static_cast<uint64_t>((i * 37) % 23));
  for (int i = 0; i < 200; i += 3) loop.Disarm(timers[i].get());
  const uint64_t start = EventLoop::MonotonicNs();
  while (fired.size() < 133 && EventLoop::MonotonicNs() - start < 2000000000ull) loop.RunOnce(30);
  CHECK_EQ(fired.size(), 133u);
  for (size_t k = 1; k < fired.size(); k++)
    CHECK(((fired[k - 1] * 37) % 23) <= ((fired[k] * 37) % 23));
}

TEST(post_from_another_thread_wakes_the_loop) {
  EventLoop loop;
  std::atomic<int> ran{0};
  std::thread poster([&] {
    for (int i = 0; i < 100; i++) loop.Post([&] { ran++; });
    loop.Stop();
  });
  loop.Run();
  poster.join();
  CHECK_EQ(ran.load(), 100);
}

namespace {

struct Closer : IoHandler {
  EventLoop* loop;
  EventLoop::Watch* own = nullptr;
  EventLoop::Watch* other = nullptr;
  int* calls;
  void OnIo(uint32_t) override {
    (*calls)++;
    // The first to run removes both: the second must not be called in this turn.
    loop->Remove(own);
    loop->Remove(other);
  }
};

}  // namespace

TEST(a_watch_removed_during_dispatch_gets_no_more_events) {
  EventLoop loop;
  int pair_a[2], pair_b[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair_a) == 0);
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair_b) == 0);
  int calls = 0;
  Closer first, second;
  first.loop = second.loop = &loop;
  first.calls = second.calls = &calls;
  first.own = loop.Add(pair_a[0], EPOLLIN, &first);
  second.own = loop.Add(pair_b[0], EPOLLIN, &second);
  first.other = second.own;
  second.other = first.own;
  CHECK(write(pair_a[1], "x", 1) == 1);
  CHECK(write(pair_b[1], "y", 1) == 1);
  loop.RunOnce(100);
  CHECK_EQ(calls, 1);
  for (int fd : {pair_a[0], pair_a[1], pair_b[0], pair_b[1]}) close(fd);
}

TEST(turn_end_hooks_and_deferred_tasks_run_each_turn) {
  EventLoop loop;
  int hooks = 0, deferred = 0;
  loop.AddTurnEndHook([&] { hooks++; });
  loop.Defer([&] { deferred++; });
  loop.RunOnce(0);
  loop.RunOnce(0);
  CHECK_EQ(hooks, 2);
  CHECK_EQ(deferred, 1);
}
