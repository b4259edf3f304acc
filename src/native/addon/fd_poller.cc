#include "fd_poller.h"

namespace passerelle {

int FdPoller::Start(Napi::Env env, int fd, void* owner, ReadableFn fn) {
  if (handle_ != nullptr) return 0;
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return UV_EINVAL;

  auto* handle = new Handle{};
  handle->owner = owner;
  handle->fn = fn;
  handle->poll.data = handle;
  int rc = uv_poll_init(loop, &handle->poll, fd);
  if (rc != 0) {
    // uv_poll_init failed before registering the handle with the loop, so
    // there is nothing to uv_close.
    delete handle;
    return rc;
  }
  rc = uv_poll_start(&handle->poll, UV_READABLE, OnPoll);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&handle->poll),
             [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
    return rc;
  }
  handle_ = handle;
  return 0;
}

void FdPoller::Stop() {
  if (handle_ == nullptr) return;
  Handle* handle = handle_;
  handle_ = nullptr;
  // Detach from the owner first: nothing may reach it through the handle now.
  handle->owner = nullptr;
  uv_poll_stop(&handle->poll);
  // uv_close both removes the handle from the loop's "alive" count and defers
  // the free until libuv no longer touches it.
  uv_close(reinterpret_cast<uv_handle_t*>(&handle->poll),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

void FdPoller::OnPoll(uv_poll_t* poll, int status, int /*events*/) {
  auto* handle = static_cast<Handle*>(poll->data);
  if (handle->owner == nullptr) return;
  handle->fn(handle->owner, status);
}

}  // namespace passerelle
