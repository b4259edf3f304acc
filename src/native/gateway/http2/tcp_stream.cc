// CONNECT host:port over HTTP/2 (RFC 9113 §8.5): judge the target, connect from the gateway's
// own address, and only then answer 200, so the client can tell its application the truth.
// Then DATA both ways with back-pressure: the client's bytes go straight from the decrypted
// buffer to the target socket, and the stream window is given back only as the target takes
// them; the target's bytes are read straight into nghttp2's frame when the stream may send.
// END_STREAM is a FIN each way; a target's reset is RST_STREAM CONNECT_ERROR and nothing else.
#include <cerrno>

#include "../flows/admission_steps.h"
#include "../flows/tcp_target.h"
#include "../worker/worker.h"
#include "streams.h"
#include "ipv4_text.h"

namespace passerelle::gateway {

using control::Limit;
using control::ProxyError;

namespace {

class TcpStream : public Stream,
                  public admission::SessionMember,
                  public TargetJudge::Owner,
                  public TcpTarget::Owner {
 public:
  TcpStream(Http2Front* front, int32_t id)
      : Stream(front, id), judge_(&front->worker(), this), target_(&front->worker().loop(), this) {}

  ~TcpStream() override { Finish(ProxyError::kNone); }

  // False when the session is at its flow cap (answered already).
  bool Start(admission::Session* session, const admission::Authority& authority) {
    Worker& worker = front_->worker();
    const uint32_t cap = worker.settings().get(Limit::kStreamsPerSession);
    if (!reservation_.Take(session, cap)) {
      worker.events().Count(control::CounterFamily::kRefusedStreams, "streams-per-session");
      front_->Refuse(id_, 429, static_cast<uint8_t>(ProxyError::kProxyInternalError),
                     "at most " + std::to_string(cap) + " flows per session");
      state_ = State::kDone;
      return false;
    }
    session->Attach(this);
    port_ = authority.port;
    judge_.Start(session, admission::Protocol::kTcp, authority.host, authority.port, &record_,
                 &slot_);
    return true;
  }

  void OnJudged(bool allowed, uint32_t address, const Refusal& refusal) override {
    if (state_ != State::kJudging) return;
    if (!allowed) {
      state_ = State::kDone;
      Finish(ProxyError::kNone);
      front_->Refuse(id_, refusal.status, static_cast<uint8_t>(refusal.error), refusal.details);
      return;
    }
    address_ = address;
    Worker& worker = front_->worker();
    if (!target_.Connect(address, port_, worker.settings().get(Limit::kTcpConnectTimeoutMs))) {
      OnTargetFailed(errno);
      return;
    }
    state_ = State::kConnecting;
  }

  void OnTargetConnected() override {
    if (state_ != State::kConnecting) return;
    state_ = State::kOpen;
    record_.Open(&front_->worker());
    front_->Respond(id_, 200, {}, this);
    DrainUp();
  }

  void OnTargetFailed(int error) override {
    if (state_ != State::kConnecting && state_ != State::kJudging) return;
    state_ = State::kDone;
    uint16_t status;
    ProxyError proxy_error;
    MapConnectError(error, &status, &proxy_error);
    record_.End(&front_->worker(), proxy_error);
    Finish(ProxyError::kNone);
    std::string details = core::Ipv4Text(address_);
    details += ":" + std::to_string(port_) + ": " + ErrnoName(error);
    front_->Refuse(id_, status, static_cast<uint8_t>(proxy_error), details);
  }

  void OnData(const uint8_t* data, size_t length) override {
    if (state_ == State::kDone) {
      front_->ConsumeStream(id_, length);
      return;
    }
    if (state_ == State::kOpen && (!up_ || up_->empty())) {
      int error = 0;
      ssize_t sent = target_.Write(data, length, &error);
      if (sent < 0) {
        if (error != EAGAIN) {
          front_->ConsumeStream(id_, length);
          OnTargetReset();
          return;
        }
        sent = 0;
      }
      record_.bytes_up += static_cast<uint64_t>(sent);
      front_->ConsumeStream(id_, static_cast<size_t>(sent));
      data += sent;
      length -= static_cast<size_t>(sent);
      if (length == 0) return;
    }
    // What the target did not take waits, and the client's window with it.
    if (!up_) {
      Worker& worker = front_->worker();
      up_ = std::make_unique<core::ByteQueue>(
          &worker.pool(), worker.settings().get(Limit::kStreamWindowBytes) + 65536);
    }
    size_t taken = up_->Append(data, length);
    front_->AddQueued(taken);
    if (taken < length) {
      // More than the window allowed: the client broke flow control.
      front_->Reset(id_, NGHTTP2_FLOW_CONTROL_ERROR);
      front_->ConsumeStream(id_, length - taken);
    }
  }

  void OnEndStream() override {
    client_ended_ = true;
    if (state_ == State::kOpen && (!up_ || up_->empty())) target_.ShutdownWrite();
  }

  ssize_t ReadData(uint8_t* buffer, size_t length, uint32_t* flags) override {
    if (state_ != State::kOpen) return NGHTTP2_ERR_DEFERRED;
    int error = 0;
    ssize_t got = target_.Read(buffer, length, &error);
    if (got > 0) {
      record_.bytes_down += static_cast<uint64_t>(got);
      return got;
    }
    if (got == 0) {
      // The target's FIN: END_STREAM. The client may still send (half-close).
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    if (error == EAGAIN) {
      deferred_ = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    OnTargetReset();
    return NGHTTP2_ERR_DEFERRED;
  }

  void OnTargetReadable() override {
    if (deferred_ && state_ == State::kOpen) {
      deferred_ = false;
      front_->ResumeData(id_);
    }
  }

  void OnTargetWritable() override { DrainUp(); }

  void OnClose(uint32_t) override { Finish(ProxyError::kNone); }
  void OnConnectionClosing() override { Finish(ProxyError::kNone); }

  void OnSessionEnded() override {
    // Logout or expiry: the tunnel is cancelled now.
    front_->Reset(id_, NGHTTP2_CANCEL);
    Finish(ProxyError::kNone);
  }

 private:
  enum class State : uint8_t { kJudging, kConnecting, kOpen, kDone };

  void DrainUp() {
    if (state_ != State::kOpen) return;
    while (up_ && !up_->empty()) {
      struct iovec iov[16];
      int count = up_->Peek(iov, 16);
      int error = 0;
      ssize_t sent = target_.Writev(iov, count, &error);
      if (sent < 0) {
        if (error == EAGAIN) return;
        OnTargetReset();
        return;
      }
      up_->Consume(static_cast<size_t>(sent));
      front_->SubtractQueued(static_cast<size_t>(sent));
      record_.bytes_up += static_cast<uint64_t>(sent);
      front_->ConsumeStream(id_, static_cast<size_t>(sent));
    }
    up_.reset();  // an idle flow holds no queue
    if (client_ended_) target_.ShutdownWrite();
  }

  // RFC 9113 §8.5: a proxy that sees a TCP RST sends RST_STREAM CONNECT_ERROR, alone.
  void OnTargetReset() {
    if (state_ != State::kOpen) return;
    front_->Reset(id_, NGHTTP2_CONNECT_ERROR);
    Finish(ProxyError::kNone);
  }

  // Ends the flow once: its record, its socket, its places under the caps.
  void Finish(ProxyError) {
    if (finished_) return;
    finished_ = true;
    Worker& worker = front_->worker();
    judge_.Cancel();
    if (state_ == State::kConnecting) record_.End(&worker, ProxyError::kConnectionTerminated);
    else if (state_ == State::kOpen) record_.End(&worker);
    state_ = State::kDone;
    target_.Close();
    slot_.Release();
    reservation_.Release();
    if (up_) {
      front_->SubtractQueued(up_->size());
      up_.reset();
    }
    DetachFromSession();
  }

  State state_ = State::kJudging;
  bool finished_ = false;
  bool deferred_ = false;
  bool client_ended_ = false;
  uint16_t port_ = 0;
  uint32_t address_ = 0;
  FlowReservation reservation_;
  FlowRecord record_;
  DescriptorSlot slot_;
  TargetJudge judge_;
  TcpTarget target_;
  std::unique_ptr<core::ByteQueue> up_;
};

}  // namespace

Stream* StartTcpStream(Http2Front* front, int32_t id, admission::Session* session,
                       const admission::Authority& target) {
  auto* stream = new TcpStream(front, id);
  front->Adopt(stream);
  stream->Start(session, target);
  return stream;
}

}  // namespace passerelle::gateway
