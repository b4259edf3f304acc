#include "control_thread.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "../worker/tls_server.h"
#include "../worker/worker.h"
#include "codec.h"
#include "messages.h"

namespace passerelle::gateway {

namespace {

// Gauges that change with no event to carry them (bytes buffered before login, connections
// that close) are sampled this often too.
constexpr uint64_t kGaugeIntervalMs = 500;

}  // namespace

using control::Down;
using control::Reader;
using control::Up;
using control::Writer;

namespace {

// Events waiting for the control plane past which new ones are dropped (and counted): a
// stalled control plane must not make the data plane grow without bound.
constexpr size_t kMaxPendingOut = 64u << 20;

}  // namespace

bool ControlThread::ReadMessage(uint8_t* type, std::vector<uint8_t>* fields, std::string* error) {
  for (;;) {
    const uint8_t* data;
    size_t length;
    switch (splitter_.next(type, &data, &length)) {
      case control::FrameSplitter::Status::kMessage:
        fields->assign(data, data + length);
        return true;
      case control::FrameSplitter::Status::kTooLarge:
        *error = "a message from the control plane is too large";
        return false;
      case control::FrameSplitter::Status::kNeedMore:
        break;
    }
    uint8_t buffer[65536];
    ssize_t got = read(fd_, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) {
      struct pollfd p = {fd_, POLLIN, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (got <= 0) {
      *error = "the control plane closed the channel";
      return false;
    }
    splitter_.feed(buffer, static_cast<size_t>(got));
  }
}

void ControlThread::WriteNow(const std::vector<uint8_t>& message) {
  size_t offset = 0;
  while (offset < message.size()) {
    ssize_t n = write(fd_, message.data() + offset, message.size() - offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {fd_, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) return;
    offset += static_cast<size_t>(n);
  }
}

void ControlThread::Run(std::vector<Worker*> workers, SharedState* shared,
                        std::shared_ptr<const Settings> settings) {
  workers_ = std::move(workers);
  workers_running_ = workers_.size();
  shared_ = shared;
  settings_ = std::move(settings);
  watch_ = loop_.Add(fd_, EPOLLIN, this);
  loop_.AddTurnEndHook([this] { FlushEvents(); });
  loop_.Arm(&gauge_timer_, kGaugeIntervalMs);
  // Bytes that arrived with the first message are processed at once.
  loop_.Post([this] { OnIo(0); });
  loop_.Run();
}

void ControlThread::OnIo(uint32_t events) {
  if (events & EPOLLOUT) WriteOut();
  // events == 0: the bytes that came with the first message, before the loop ran.
  if (events != 0) {
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) return;
    uint8_t buffer[65536];
    ssize_t got = read(fd_, buffer, sizeof buffer);
    if (got < 0) {
      if (errno != EINTR && errno != EAGAIN) Exit(0, "the control plane's channel failed");
      return;
    }
    // The control plane is gone: nobody can steer or hear us any more.
    if (got == 0) Exit(0, "the control plane closed the channel");
    splitter_.feed(buffer, static_cast<size_t>(got));
  }
  uint8_t type;
  const uint8_t* fields;
  size_t length;
  for (;;) {
    auto status = splitter_.next(&type, &fields, &length);
    if (status == control::FrameSplitter::Status::kTooLarge) {
      Exit(1, "a message from the control plane is too large");
    }
    if (status != control::FrameSplitter::Status::kMessage) return;
    Reader reader(fields, length);
    Handle(type, &reader);
  }
}

void ControlThread::Handle(uint8_t type, Reader* reader) {
  switch (static_cast<Down>(type)) {
    case Down::kConfigure:
      HandleConfigure(reader);
      return;
    case Down::kSubject:
      HandleSubject(reader);
      return;
    case Down::kSubjectDrop: {
      uint32_t handle = reader->u32();
      subjects_.erase(handle);
      for (Worker* w : workers_) w->Post([w, handle] { w->tables().RemoveSubject(handle); });
      return;
    }
    case Down::kSessionAdd:
      HandleSessionAdd(reader);
      return;
    case Down::kSessionDrop:
      HandleSessionDrop(reader);
      return;
    case Down::kApiResponse:
      HandleApiResponse(reader);
      return;
    case Down::kResolved:
      HandleResolved(reader);
      return;
    case Down::kShutdown:
      Shutdown();
      return;
    case Down::kReserved: {
      auto list = std::make_shared<admission::ReservedList>();
      if (!DecodeReserved(reader, list.get())) {
        std::fprintf(stderr, "passerelle data plane: malformed RESERVED ignored\n");
        return;
      }
      std::shared_ptr<const admission::ReservedList> frozen = std::move(list);
      for (Worker* w : workers_) w->Post([w, frozen] { w->set_reserved(frozen); });
      return;
    }
  }
  std::fprintf(stderr, "passerelle data plane: unknown message type %u ignored\n", type);
}

void ControlThread::HandleConfigure(Reader* reader) {
  Configure configure;
  std::vector<uint8_t> answer;
  Writer w(&answer);
  w.begin(static_cast<uint8_t>(Up::kConfigured));
  std::string error;
  std::shared_ptr<const Settings> settings;
  if (!DecodeConfigure(reader, &configure)) {
    error = "malformed CONFIGURE";
  } else {
    settings = MakeSettings(configure, &error);
  }
  if (settings) {
    settings_ = settings;
    shared_->descriptors.SetLimits(
        static_cast<int32_t>(settings->get(control::Limit::kFlowsTotal)),
        static_cast<int32_t>(settings->get(control::Limit::kFlowsPerUser)));
    for (Worker* worker : workers_) {
      worker->Post([worker, settings] { worker->set_settings(settings); });
    }
  }
  w.u8(settings ? 1 : 0);
  w.str(error);
  w.end();
  Queue(answer);
}

void ControlThread::HandleSubject(Reader* reader) {
  uint32_t handle = reader->u32();
  auto rules = std::make_shared<admission::RuleSet>();
  if (!DecodeRules(reader, rules.get()) || !reader->done()) {
    std::fprintf(stderr, "passerelle data plane: malformed SUBJECT %u ignored\n", handle);
    return;
  }
  std::shared_ptr<admission::SubjectShared>& shared = subjects_[handle];
  if (!shared) shared = std::make_shared<admission::SubjectShared>();
  std::shared_ptr<const admission::RuleSet> frozen = std::move(rules);
  for (Worker* w : workers_) {
    w->Post([w, handle, frozen, shared] { w->tables().PutSubject(handle, frozen, shared); });
  }
}

void ControlThread::HandleSessionAdd(Reader* reader) {
  uint32_t handle = reader->u32();
  uint32_t subject = reader->u32();
  const uint8_t* hash = reader->raw(32);
  uint64_t expires = reader->u64();
  bool has_intranet = reader->u8() != 0;
  uint32_t intranet = reader->u32();
  if (!reader->done() || hash == nullptr) {
    std::fprintf(stderr, "passerelle data plane: malformed SESSION_ADD ignored\n");
    return;
  }
  admission::TokenHash token_hash;
  std::memcpy(token_hash.data(), hash, 32);
  auto shared = std::make_shared<admission::SessionShared>();
  for (Worker* w : workers_) {
    w->Post([=] {
      w->tables().PutSession(handle, token_hash, expires, intranet, has_intranet, subject, shared);
    });
  }
}

void ControlThread::HandleSessionDrop(Reader* reader) {
  uint32_t handle = reader->u32();
  if (!reader->done()) return;
  drops_waiting_[handle] += workers_.size();
  for (Worker* w : workers_) {
    w->Post([this, w, handle] {
      w->tables().RemoveSession(handle);
      // The flows' FLOW_END go first, then the confirmation, on the same queue.
      if (!w->events().empty()) {
        std::vector<uint8_t> records;
        uint32_t count = w->events().Take(&records);
        SubmitEvents(count, std::move(records));
      }
      SessionDropped(handle);
    });
  }
}

void ControlThread::HandleApiResponse(Reader* reader) {
  uint64_t id = reader->u64();
  ApiResponse response;
  response.status = reader->u16();
  uint16_t headers = reader->u16();
  for (uint16_t i = 0; i < headers && reader->ok(); i++) {
    std::string name(reader->str());
    std::string value(reader->str());
    response.headers.emplace_back(std::move(name), std::move(value));
  }
  response.body = std::string(reader->bytes());
  response.authenticated = reader->u8() != 0;
  if (!reader->done()) {
    std::fprintf(stderr, "passerelle data plane: malformed API_RESPONSE ignored\n");
    return;
  }
  Worker* worker = WorkerFor(id);
  if (worker == nullptr) return;
  worker->Post([worker, id, response = std::move(response)]() mutable {
    worker->DeliverApiResponse(id, std::move(response));
  });
}

void ControlThread::HandleResolved(Reader* reader) {
  uint64_t id = reader->u64();
  Resolution resolution;
  resolution.ok = reader->u8() != 0;
  resolution.address = reader->u32();
  resolution.error = std::string(reader->str());
  if (!reader->done()) return;
  Worker* worker = WorkerFor(id);
  if (worker == nullptr) return;
  worker->Post([worker, id, resolution = std::move(resolution)]() mutable {
    worker->DeliverResolution(id, std::move(resolution));
  });
}

Worker* ControlThread::WorkerFor(uint64_t request_id) {
  size_t index = static_cast<size_t>(request_id >> 56);
  return index < workers_.size() ? workers_[index] : nullptr;
}

void ControlThread::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  for (Worker* worker : workers_) worker->RequestStop();
}

void ControlThread::SubmitEvents(uint32_t count, std::vector<uint8_t>&& records) {
  loop_.Post([this, count, records = std::move(records)] {
    if (events_.size() + records.size() > kMaxPendingOut) {
      events_dropped_ += count;
      return;
    }
    events_.insert(events_.end(), records.begin(), records.end());
    event_count_ += count;
  });
}

void ControlThread::SubmitApiRequest(uint64_t id, ApiRequest&& request) {
  loop_.Post([this, id, request = std::move(request)] {
    std::vector<uint8_t> message;
    Writer w(&message);
    w.begin(static_cast<uint8_t>(Up::kApiRequest));
    w.u64(id);
    w.str(request.method);
    w.str(request.path);
    w.u8(request.has_authorization ? 1 : 0);
    w.str(request.authorization);
    w.u8(request.has_content_type ? 1 : 0);
    w.str(request.content_type);
    w.bytes(request.body.data(), request.body.size());
    w.str(request.source_address);
    w.end();
    Queue(message);
  });
}

void ControlThread::SubmitResolve(uint64_t id, const std::string& host) {
  loop_.Post([this, id, host] {
    std::vector<uint8_t> message;
    Writer w(&message);
    w.begin(static_cast<uint8_t>(Up::kResolve));
    w.u64(id);
    w.str(host);
    w.end();
    Queue(message);
  });
}

void ControlThread::SessionDropped(uint32_t handle) {
  loop_.Post([this, handle] {
    auto it = drops_waiting_.find(handle);
    if (it == drops_waiting_.end() || --it->second > 0) return;
    drops_waiting_.erase(it);
    // After the flows' events that are still waiting in this turn's batch.
    Writer w(&events_);
    w.u8(static_cast<uint8_t>(control::EventKind::kSessionDropped));
    w.u32(handle);
    event_count_++;
  });
}

void ControlThread::WorkerStopped() {
  loop_.Post([this] {
    if (workers_running_ > 0 && --workers_running_ == 0) {
      FlushEvents();
      // Blocking: the last events must reach the control plane before the process ends.
      if (out_offset_ < out_.size()) {
        std::vector<uint8_t> rest(out_.begin() + static_cast<std::ptrdiff_t>(out_offset_), out_.end());
        WriteNow(rest);
      }
      for (Worker* worker : workers_) worker->Join();
      _exit(0);
    }
  });
}

void ControlThread::Queue(const std::vector<uint8_t>& message) {
  out_.insert(out_.end(), message.begin(), message.end());
  WriteOut();
}

void ControlThread::SampleGauges() {
  const uint64_t values[] = {
      shared_->admission.unauthenticated_size(),
      shared_->admission.size() - shared_->admission.unauthenticated_size(),
      static_cast<uint64_t>(std::max<int64_t>(0, shared_->unauthenticated_bytes.load())),
      static_cast<uint64_t>(std::max<int32_t>(0, shared_->descriptors.used())),
  };
  static const char* const kNames[] = {"connections-unauthenticated",
                                       "connections-authenticated", "unauthenticated-bytes",
                                       "flow-sockets"};
  if (std::equal(std::begin(values), std::end(values), std::begin(gauges_))) return;
  for (size_t i = 0; i < 4; i++) {
    if (values[i] == gauges_[i]) continue;
    gauges_[i] = values[i];
    Writer w(&events_);
    w.u8(static_cast<uint8_t>(control::EventKind::kGauge));
    w.str(kNames[i]);
    w.u64(values[i]);
    event_count_++;
  }
}

void ControlThread::OnGaugeTimer() {
  FlushEvents();
  loop_.Arm(&gauge_timer_, kGaugeIntervalMs);
}

void ControlThread::FlushEvents() {
  if (shared_ != nullptr) SampleGauges();
  if (event_count_ == 0 && events_dropped_ == 0) return;
  std::vector<uint8_t> message;
  Writer w(&message);
  w.begin(static_cast<uint8_t>(Up::kEvents));
  uint32_t count = event_count_ + (events_dropped_ > 0 ? 1 : 0);
  w.u32(count);
  message.insert(message.end(), events_.begin(), events_.end());
  if (events_dropped_ > 0) {
    w.u8(static_cast<uint8_t>(control::EventKind::kCounter));
    w.u8(static_cast<uint8_t>(control::CounterFamily::kMalformed));
    w.str("events-dropped");
    w.u32(static_cast<uint32_t>(events_dropped_));
  }
  w.end();
  events_.clear();
  event_count_ = 0;
  events_dropped_ = 0;
  Queue(message);
}

void ControlThread::WriteOut() {
  while (out_offset_ < out_.size()) {
    ssize_t n = write(fd_, out_.data() + out_offset_, out_.size() - out_offset_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        if (watch_ != nullptr) loop_.Modify(watch_, EPOLLIN | EPOLLOUT);
        return;
      }
      Exit(0, "the control plane's channel failed");
    }
    out_offset_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_offset_ = 0;
  if (watch_ != nullptr) loop_.Modify(watch_, EPOLLIN);
}

void ControlThread::Exit(int code, const char* why) {
  std::fprintf(stderr, "passerelle data plane: %s; exiting\n", why);
  _exit(code);
}

}  // namespace passerelle::gateway
