// The data plane's main thread: the channel to the TypeScript control plane (fd 3). It turns
// commands into work for the workers (posted to their loops) and what the workers report into
// messages upward, batched: one EVENTS message per turn of its loop at most.
//
// Ordering promises the control plane relies on:
// - A session's flows are reported ended (FLOW_END) before SESSION_DROPPED for it.
// - Answers (CONFIGURED, SESSION_DROPPED) come in the order of the commands.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../admission/tables.h"
#include "../worker/settings.h"
#include "../worker/upcall.h"
#include "loop.h"
#include "codec.h"
#include "wire.h"

namespace passerelle::gateway {

class Worker;
struct SharedState;

class ControlThread : public core::IoHandler {
 public:
  explicit ControlThread(int fd) : fd_(fd) {}

  // Blocking read of the next message, before the loop runs (the first CONFIGURE).
  bool ReadMessage(uint8_t* type, std::vector<uint8_t>* fields, std::string* error);
  // Blocking write, before the loop runs (READY, FATAL).
  void WriteNow(const std::vector<uint8_t>& message);

  void Run(std::vector<Worker*> workers, SharedState* shared,
           std::shared_ptr<const Settings> settings);

  // From any worker thread.
  void SubmitEvents(uint32_t count, std::vector<uint8_t>&& records);
  void SubmitApiRequest(uint64_t id, ApiRequest&& request);
  void SubmitResolve(uint64_t id, const std::string& host);
  void SessionDropped(uint32_t handle);
  void WorkerStopped();

  void OnIo(uint32_t events) override;

 private:
  void Handle(uint8_t type, control::Reader* reader);
  void HandleConfigure(control::Reader* reader);
  void HandleSubject(control::Reader* reader);
  void HandleSessionAdd(control::Reader* reader);
  void HandleSessionDrop(control::Reader* reader);
  void HandleApiResponse(control::Reader* reader);
  void HandleResolved(control::Reader* reader);
  void Shutdown();
  void Queue(const std::vector<uint8_t>& message);
  void FlushEvents();
  // The gauges the control plane shows (connections by state, bytes held before login, flow
  // sockets), sent when they changed: with each batch of events (a flow's socket is counted in
  // the batch that reports its opening or end), and every 500 ms (gauge_timer_).
  void SampleGauges();
  void OnGaugeTimer();
  void WriteOut();
  Worker* WorkerFor(uint64_t request_id);
  [[noreturn]] void Exit(int code, const char* why);

  int fd_;
  core::EventLoop loop_;
  core::EventLoop::Watch* watch_ = nullptr;
  std::vector<Worker*> workers_;
  SharedState* shared_ = nullptr;
  std::shared_ptr<const Settings> settings_;
  control::FrameSplitter splitter_;
  std::vector<uint8_t> out_;
  size_t out_offset_ = 0;
  std::vector<uint8_t> events_;
  uint32_t event_count_ = 0;
  uint64_t events_dropped_ = 0;
  std::unordered_map<uint32_t, std::shared_ptr<admission::SubjectShared>> subjects_;
  std::unordered_map<uint32_t, size_t> drops_waiting_;  // session → workers yet to confirm
  size_t workers_running_ = 0;
  uint64_t gauges_[4] = {~0ull, ~0ull, ~0ull, ~0ull};
  core::Timer gauge_timer_{[this] { OnGaugeTimer(); }};
  bool shutting_down_ = false;
};

}  // namespace passerelle::gateway
