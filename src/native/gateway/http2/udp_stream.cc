// connect-udp (RFC 9298): one connected UDP socket per stream. Each DATAGRAM capsule with
// context ID 0 is one datagram to the target; each datagram back becomes one capsule. UDP may
// drop: past the flow's queue towards the client, datagrams from the target are dropped and
// counted rather than queued without bound. Datagrams sent before the 200 are held (within
// the stream window) and forwarded once the flow is allowed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "../flows/admission_steps.h"
#include "../worker/worker.h"
#include "capsule.h"
#include "datagram_downlink.h"
#include "streams.h"

namespace passerelle::gateway {

using control::CounterFamily;
using control::Limit;
using control::ProxyError;

namespace {

// The largest UDP payload over IPv4 plus the context ID: a longer capsule is malformed.
constexpr size_t kMaxUdpCapsule = 65527 + 8;

class UdpStream : public Stream,
                  public admission::SessionMember,
                  public TargetJudge::Owner,
                  public core::IoHandler,
                  public core::CapsuleReader::Sink {
 public:
  UdpStream(Http2Front* front, int32_t id)
      : Stream(front, id),
        judge_(&front->worker(), this),
        capsules_(kMaxUdpCapsule),
        idle_timer_([this] { OnIdle(); }) {}

  ~UdpStream() override { Finish(ProxyError::kNone); }

  void Start(admission::Session* session, const admission::MasqueTarget& target) {
    Worker& worker = front_->worker();
    const uint32_t cap = worker.settings().get(Limit::kStreamsPerSession);
    if (!reservation_.Take(session, cap)) {
      worker.events().Count(CounterFamily::kRefusedStreams, "streams-per-session");
      state_ = State::kDone;
      front_->Refuse(id_, 429, static_cast<uint8_t>(ProxyError::kProxyInternalError),
                     "at most " + std::to_string(cap) + " flows per session");
      return;
    }
    session->Attach(this);
    port_ = target.port;
    judge_.Start(session, admission::Protocol::kUdp, target.host, target.port, &record_, &slot_);
  }

  void OnJudged(bool allowed, uint32_t address, const Refusal& refusal) override {
    if (state_ != State::kJudging) return;
    if (!allowed) {
      Finish(ProxyError::kNone);
      front_->Refuse(id_, refusal.status, static_cast<uint8_t>(refusal.error), refusal.details);
      return;
    }
    Worker& worker = front_->worker();
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = {};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_);
    to.sin_addr.s_addr = htonl(address);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<struct sockaddr*>(&to), sizeof to) != 0 ||
        (watch_ = worker.loop().Add(fd_, EPOLLIN | EPOLLET, this)) == nullptr) {
      const int error = errno;
      Finish(ProxyError::kNone);
      front_->Refuse(id_, 502, static_cast<uint8_t>(ProxyError::kDestinationIpUnroutable),
                     ErrnoName(error));
      return;
    }
    state_ = State::kOpen;
    record_.Open(&worker);
    front_->Respond(id_, 200, {{"capsule-protocol", "?1"}}, this);
    Touch();
    if (held_) {
      // What came before the 200, in order.
      uint8_t* chunk = worker.scratch();
      while (state_ == State::kOpen && held_ && !held_->empty()) {
        size_t n = held_->Read(chunk, Worker::kScratchSize);
        front_->SubtractQueued(n);
        Feed(chunk, n);
      }
      held_.reset();
    }
  }

  void OnData(const uint8_t* data, size_t length) override {
    if (state_ == State::kJudging) {
      if (!held_) {
        Worker& worker = front_->worker();
        held_ = std::make_unique<core::ByteQueue>(
            &worker.pool(), worker.settings().get(Limit::kStreamWindowBytes) + 65536);
      }
      size_t taken = held_->Append(data, length);
      front_->AddQueued(taken);
      if (taken < length) front_->Reset(id_, NGHTTP2_FLOW_CONTROL_ERROR);
      return;
    }
    if (state_ != State::kOpen) {
      front_->ConsumeStream(id_, length);
      return;
    }
    Feed(data, length);
  }

  void OnDatagramCapsule(const uint8_t* value, size_t length) override {
    uint64_t context = 0;
    const uint8_t* payload = nullptr;
    size_t payload_length = 0;
    if (!core::SplitDatagram(value, length, &context, &payload, &payload_length) ||
        context != 0) {
      front_->worker().events().Count(CounterFamily::kMalformed, "datagram");
      return;
    }
    Touch();
    record_.bytes_up += payload_length;
    // A full socket buffer or an ICMP port unreachable (ECONNREFUSED): the datagram is lost,
    // as UDP may lose it; a later one may find a listener.
    [[maybe_unused]] ssize_t sent = send(fd_, payload, payload_length, MSG_NOSIGNAL);
  }

  void OnEndStream() override {
    // The client is done: end our side too and the flow (as a NAT mapping that ends).
    if (state_ == State::kOpen) EndCleanly();
  }

  ssize_t ReadData(uint8_t* buffer, size_t length, uint32_t* flags) override {
    return down_.Read(buffer, length, flags);
  }

  // Datagrams from the target (edge-triggered: read until the socket is empty).
  void OnIo(uint32_t) override {
    if (state_ != State::kOpen) return;
    Worker& worker = front_->worker();
    uint8_t* datagram = worker.scratch();
    bool queued = false;
    for (;;) {
      ssize_t got = recv(fd_, datagram, Worker::kScratchSize, 0);
      if (got < 0) {
        if (errno == EINTR || errno == ECONNREFUSED) continue;
        break;
      }
      Touch();
      if (!down_.QueueDatagram(&worker.pool(), datagram, static_cast<size_t>(got))) {
        worker.events().Count(CounterFamily::kMalformed, "udp-dropped-queue-full");
        continue;
      }
      record_.bytes_down += static_cast<uint64_t>(got);
      queued = true;
    }
    if (queued && down_.TakeResume()) front_->ResumeData(id_);
  }

  void OnClose(uint32_t) override { Finish(ProxyError::kNone); }
  void OnConnectionClosing() override { Finish(ProxyError::kNone); }
  void OnSessionEnded() override {
    front_->Reset(id_, NGHTTP2_CANCEL);
    Finish(ProxyError::kNone);
  }

 private:
  enum class State : uint8_t { kJudging, kOpen, kDone };

  void Feed(const uint8_t* data, size_t length) {
    front_->ConsumeStream(id_, length);
    if (!capsules_.Feed(data, length, this)) {
      front_->worker().events().Count(CounterFamily::kMalformed, "capsule");
      Finish(ProxyError::kHttpRequestError);
      front_->Reset(id_, NGHTTP2_PROTOCOL_ERROR);
    }
  }

  void Touch() {
    Worker& worker = front_->worker();
    worker.loop().Arm(&idle_timer_, worker.settings().get(Limit::kUdpIdleTimeoutMs));
  }

  // Silence for the idle period: the stream ends cleanly (END_STREAM), like a NAT timeout.
  void OnIdle() {
    if (state_ == State::kOpen) EndCleanly();
  }

  void EndCleanly() {
    down_.End();
    Finish(ProxyError::kNone);
    if (down_.TakeResume()) front_->ResumeData(id_);
  }

  void Finish(ProxyError error) {
    if (finished_) return;
    finished_ = true;
    Worker& worker = front_->worker();
    judge_.Cancel();
    worker.loop().Disarm(&idle_timer_);
    if (state_ == State::kOpen) record_.End(&worker, error);
    state_ = State::kDone;
    if (watch_ != nullptr) worker.loop().Remove(watch_);
    watch_ = nullptr;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    slot_.Release();
    reservation_.Release();
    if (held_) {
      front_->SubtractQueued(held_->size());
      held_.reset();
    }
    DetachFromSession();
  }

  State state_ = State::kJudging;
  bool finished_ = false;
  uint16_t port_ = 0;
  int fd_ = -1;
  core::EventLoop::Watch* watch_ = nullptr;
  FlowReservation reservation_;
  FlowRecord record_;
  DescriptorSlot slot_;
  TargetJudge judge_;
  core::CapsuleReader capsules_;
  core::Timer idle_timer_;
  std::unique_ptr<core::ByteQueue> held_;  // before the 200
  DatagramDownlink down_;
};

}  // namespace

Stream* StartUdpStream(Http2Front* front, int32_t id, admission::Session* session,
                       const admission::MasqueTarget& target) {
  auto* stream = new UdpStream(front, id);
  front->Adopt(stream);
  stream->Start(session, target);
  return stream;
}

}  // namespace passerelle::gateway
