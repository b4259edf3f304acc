// The N-API bridge from a data-plane thread to JavaScript: events are queued on the loop thread
// and handed over in batches, one thread-safe call per loop turn at most (never one per packet).
//
// Promises:
// - Push() (loop thread) only appends under a mutex; Flush() (loop thread, at the end of a turn)
//   makes one napi_call_threadsafe_function when events wait and none is already on its way.
// - On the JavaScript thread the whole batch, including events pushed while the call was on its
//   way, is converted by `to_js` into one array and passed to the callback in one call.
// - The queue is bounded: past `max_pending` events, new ones are dropped and counted, and the
//   count is reported with the next batch (dropped()).
// - Close() (JavaScript thread) releases the thread-safe function; the loop thread must have
//   stopped pushing by then. Events still queued are discarded.
#pragma once

#include <napi.h>

#include <cstddef>
#include <mutex>
#include <vector>

namespace passerelle::core {

template <typename Event>
class EventBridge {
 public:
  using ToJs = Napi::Value (*)(Napi::Env env, const Event& event);

  EventBridge(Napi::Env env, Napi::Function callback, ToJs to_js, size_t max_pending = 1 << 16)
      : to_js_(to_js), max_pending_(max_pending) {
    tsfn_ = Napi::ThreadSafeFunction::New(env, callback, "passerelle-events", 0, 1);
  }
  ~EventBridge() = default;
  EventBridge(const EventBridge&) = delete;
  EventBridge& operator=(const EventBridge&) = delete;

  void Push(Event&& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_.size() >= max_pending_) {
      dropped_++;
      return;
    }
    pending_.push_back(std::move(event));
  }

  void Flush() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_ || scheduled_ || pending_.empty()) return;
      scheduled_ = true;
    }
    const napi_status status = tsfn_.NonBlockingCall(
        this, [](Napi::Env env, Napi::Function callback, EventBridge* self) {
          if (env == nullptr) return;  // the environment is going away
          self->Deliver(env, callback);
        });
    if (status != napi_ok) {
      std::lock_guard<std::mutex> lock(mutex_);
      scheduled_ = false;
    }
  }

  // JavaScript thread.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return;
      closed_ = true;
      pending_.clear();
    }
    tsfn_.Release();
  }

  // Whether the process is kept alive while events may come (like a listening socket).
  void Ref(Napi::Env env) { tsfn_.Ref(env); }
  void Unref(Napi::Env env) { tsfn_.Unref(env); }

 private:
  void Deliver(Napi::Env env, Napi::Function callback) {
    std::vector<Event> batch;
    size_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      scheduled_ = false;
      if (closed_) return;
      batch.swap(pending_);
      dropped = dropped_;
      dropped_ = 0;
    }
    if (batch.empty() && dropped == 0) return;
    Napi::HandleScope scope(env);
    Napi::Array array = Napi::Array::New(env, batch.size());
    for (size_t i = 0; i < batch.size(); i++) array.Set(static_cast<uint32_t>(i), to_js_(env, batch[i]));
    callback.Call({array, Napi::Number::New(env, static_cast<double>(dropped))});
  }

  ToJs to_js_;
  size_t max_pending_;
  Napi::ThreadSafeFunction tsfn_;
  std::mutex mutex_;
  std::vector<Event> pending_;
  size_t dropped_ = 0;
  bool scheduled_ = false;
  bool closed_ = false;
};

}  // namespace passerelle::core
