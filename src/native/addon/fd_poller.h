// Readiness notifications for a non-blocking file descriptor on the Node event
// loop (uv_poll), with a lifetime that is safe against the owner going away.
#pragma once

#include <napi.h>
#include <uv.h>

namespace passerelle {

class FdPoller {
 public:
  // Called on the loop thread when the fd is readable. `status` is 0, or a
  // negative libuv error code when polling itself failed.
  using ReadableFn = void (*)(void* owner, int status);

  FdPoller() = default;
  FdPoller(const FdPoller&) = delete;
  FdPoller& operator=(const FdPoller&) = delete;
  ~FdPoller() { Stop(); }

  // Starts watching `fd` for readability. Returns 0 or a negative libuv error.
  int Start(Napi::Env env, int fd, void* owner, ReadableFn fn);

  // Stops watching and releases the handle (asynchronously, as libuv requires).
  // After Stop() the callback is never called again and the handle no longer
  // keeps the event loop alive. Safe to call more than once.
  void Stop();

  bool active() const { return handle_ != nullptr; }

 private:
  // The uv handle lives in its own allocation because libuv needs it until the
  // close callback runs, which may be after the owner has been destroyed.
  struct Handle {
    uv_poll_t poll;
    void* owner;
    ReadableFn fn;
  };

  static void OnPoll(uv_poll_t* poll, int status, int events);

  Handle* handle_ = nullptr;
};

}  // namespace passerelle
