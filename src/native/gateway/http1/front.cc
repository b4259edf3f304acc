// The HTTP/1.1 front: requests one at a time on a persistent connection. An API request is
// read whole (head, then a Content-Length or chunked body under the limits and a deadline),
// sent up to the control plane, and answered; a CONNECT is admitted like an HTTP/2 one and
// then the connection becomes a raw tunnel: TLS bytes to the target and back, each direction
// with its own buffer and back-pressure (a full side stops reading the other), FIN passed on
// each way, and a target's reset passed on as a reset of the client's TCP connection.
#include "front.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "../admission/bearer.h"
#include "../admission/target.h"
#include "../flows/admission_steps.h"
#include "../flows/proxy_status.h"
#include "../flows/tcp_target.h"
#include "../worker/worker.h"
#include "chunked.h"
#include "request_head.h"
#include "ipv4_text.h"

namespace passerelle::gateway {

using control::Canned;
using control::CounterFamily;
using control::Limit;
using control::ProxyError;

namespace {

constexpr size_t kMaxHead = 16 * 1024;
// How much of an oversized body is read and dropped so that the 413 reaches the client.
constexpr size_t kDiscardBytes = 1024 * 1024;
// What a connection that sent no whole request in time gets before it is closed.
constexpr char kIdleTimeoutAnswer[] =
    "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
// Bytes moved per direction per call before the rest waits for the next loop turn.
constexpr size_t kPumpBudget = 1024 * 1024;

const char* Reason(uint16_t status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::string StatusLine(uint16_t status) {
  return "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
}

class Http1Front : public Front,
                   public UpcallClient,
                   public admission::SessionMember,
                   public TargetJudge::Owner,
                   public TcpTarget::Owner,
                   public http1::BodySink {
 public:
  explicit Http1Front(Connection* connection)
      : connection_(connection),
        worker_(&connection->worker()),
        timer_([this] { OnDeadline(); }),
        pump_timer_([this] { Pump(); }),
        judge_(worker_, this),
        target_(&worker_->loop(), this) {}

  ~Http1Front() override {
    OnConnectionClosing();
    GiveBack(&up_);
    GiveBack(&down_);
  }

  void OnReadable() override {
    switch (state_) {
      case State::kHead:
      case State::kBody:
        ReadIn();
        // ReadIn may have closed the connection (the client went away): what it read before
        // is not a request any more.
        if (closing_done_) return;
        if (state_ == State::kHead || state_ == State::kBody) Process();
        return;
      case State::kTunnel:
        PumpUp();
        return;
      default:
        // Nothing is read while a request is being answered or a tunnel set up.
        connection_->WantRead(false);
        return;
    }
  }

  void OnWritable() override {
    if (state_ == State::kTunnel) PumpDown();
    else WriteOut();
  }

  void Flush() override {}

  void OnConnectionClosing() override {
    if (closing_done_) return;
    closing_done_ = true;
    // A request the client left before it was whole (or whose answer it never waited for).
    if (state_ == State::kBody) {
      worker_->events().Count(CounterFamily::kRequestsAbandoned, "");
    }
    worker_->loop().Disarm(&timer_);
    worker_->loop().Disarm(&pump_timer_);
    if (upcall_ != 0) worker_->CancelUpcall(upcall_);
    upcall_ = 0;
    budget_.Finish();
    EndFlow();
  }

  void OnWaitTimeout() override {
    if (state_ != State::kHead) return;
    Send(kIdleTimeoutAnswer, true);
  }

  // --- API requests -------------------------------------------------------------------

  void OnApiResponse(ApiResponse&& response) override {
    upcall_ = 0;
    if (state_ != State::kWaitingApi) return;
    if (response.authenticated) connection_->MarkAuthenticated();
    Send(Format(response, close_after_), close_after_);
  }

  // An answer on the wire: the status line, the control plane's headers, the framing.
  static std::string Format(const ApiResponse& response, bool close) {
    std::string out = StatusLine(response.status);
    for (const auto& [name, value] : response.headers) {
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    if (response.status != 204) out += "content-length: " + std::to_string(response.body.size()) + "\r\n";
    out += close ? "connection: close\r\n\r\n" : "connection: keep-alive\r\n\r\n";
    if (response.status != 204) out += response.body;
    return out;
  }

  void append(const uint8_t* data, size_t length) override {
    const size_t limit = worker_->settings().get(Limit::kMaxRequestBodyBytes);
    if (body_seen_ + length <= limit && refusal_ == RequestBudget::Take::kOk) {
      refusal_ = budget_.TakeBytes(length);
      if (refusal_ == RequestBudget::Take::kOk) body_.insert(body_.end(), data, data + length);
    }
    body_seen_ += length;
  }

  // --- CONNECT -------------------------------------------------------------------------

  void OnJudged(bool allowed, uint32_t address, const Refusal& refusal) override {
    if (state_ != State::kJudging) return;
    if (!allowed) {
      EndFlow();
      RefuseTunnel(refusal.status, refusal.error, refusal.details);
      return;
    }
    address_ = address;
    if (!target_.Connect(address, port_, worker_->settings().get(Limit::kTcpConnectTimeoutMs))) {
      OnTargetFailed(errno);
      return;
    }
    state_ = State::kConnecting;
  }

  void OnTargetConnected() override {
    if (state_ != State::kConnecting) return;
    state_ = State::kTunnel;
    record_.Open(worker_);
    const std::string established = StatusLine(200) + "\r\n";
    down_.block = worker_->pool().Take();
    std::memcpy(down_.block, established.data(), established.size());
    down_.length = established.size();
    down_.offset = 0;
    connection_->WantRead(true);
    Pump();
  }

  void OnTargetFailed(int error) override {
    if (state_ != State::kConnecting && state_ != State::kJudging) return;
    uint16_t status;
    ProxyError proxy_error;
    MapConnectError(error, &status, &proxy_error);
    record_.End(worker_, proxy_error);
    state_ = State::kDone;
    EndFlow();
    std::string details = core::Ipv4Text(address_);
    details += ":" + std::to_string(port_) + ": " + ErrnoName(error);
    RefuseTunnel(status, proxy_error, details);
  }

  void OnTargetReadable() override { PumpDown(); }
  void OnTargetWritable() override { PumpUp(); }

  void OnSessionEnded() override {
    // Logout or expiry: the tunnel ends with the session.
    EndFlow();
    connection_->Close();
  }

 private:
  enum class State : uint8_t {
    kHead,
    kBody,
    kWaitingApi,
    kResponding,
    kJudging,
    kConnecting,
    kTunnel,
    kDone,
  };

  struct Buffer {
    uint8_t* block = nullptr;
    size_t length = 0;
    size_t offset = 0;
    bool pending() const { return offset < length; }
  };

  void GiveBack(Buffer* buffer) {
    if (buffer->block != nullptr) worker_->pool().Give(buffer->block);
    buffer->block = nullptr;
    buffer->length = buffer->offset = 0;
  }

  // Reads what the client sent into in_, within the head and body limits.
  void ReadIn() {
    uint8_t* chunk = worker_->scratch();
    size_t total = 0;
    while (total < kPumpBudget) {
      core::TlsStatus status;
      size_t got = connection_->tls().Read(chunk, 16384, &status);
      if (got == 0) {
        if (status == core::TlsStatus::kWantRead || status == core::TlsStatus::kOk) return;
        if (status == core::TlsStatus::kWantWrite) {
          connection_->WantWrite(true);
          return;
        }
        // The client closed or failed: nothing more can be answered.
        connection_->Close();
        return;
      }
      in_.insert(in_.end(), chunk, chunk + got);
      total += got;
      // Never more than one head plus one read ahead.
      if (state_ == State::kHead && in_.size() > kMaxHead + 16384) break;
    }
    connection_->ResumeReadSoon();
  }

  void Process() {
    for (;;) {
      if (closing_done_) return;
      if (state_ == State::kHead) {
        if (!ParseHead()) return;
      } else if (state_ == State::kBody) {
        if (!ReadBody()) return;
      } else {
        return;
      }
    }
  }

  // True when a request head was taken and the state moved on.
  bool ParseHead() {
    // While the head arrives the connection's own deadline runs (Connection::WaitForRequest).
    if (in_.empty()) return false;
    size_t end = http1::find_head_end(in_.data(), in_.size(), &scanned_);
    if (end == 0) {
      if (in_.size() > kMaxHead) Fail(431, "http1-head-too-large");
      return false;
    }
    if (end > kMaxHead) {
      Fail(431, "http1-head-too-large");
      return false;
    }
    http1::RequestHead head;
    switch (http1::parse_request_head(in_.data(), end, &head)) {
      case http1::HeadStatus::kComplete:
        break;
      case http1::HeadStatus::kTooLarge:
        Fail(431, "http1-head-too-large");
        return false;
      case http1::HeadStatus::kUnsupported:
        Fail(501, "http1");
        return false;
      default:
        Fail(400, "http1");
        return false;
    }
    method_ = head.method;
    path_ = head.target;
    close_after_ = head.close_after;
    has_authorization_ = head.has_header("authorization");
    authorization_ = head.header("authorization");
    proxy_authorization_ = head.header("proxy-authorization");
    has_content_type_ = head.has_header("content-type");
    content_type_ = head.header("content-type");
    framing_ = head.framing;
    remaining_ = head.content_length;
    const bool connect = head.method == "CONNECT";
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(end));
    scanned_ = 0;
    if (connect) {
      StartConnect();
      return false;
    }
    body_.clear();
    body_seen_ = 0;
    refusal_ = RequestBudget::Take::kOk;
    chunked_ = http1::ChunkedDecoder();
    // A request with a valid session logs the connection in and is not held against the
    // limits before login.
    const bool authenticated =
        has_authorization_ &&
        worker_->tables().Authenticate(admission::parse_bearer(authorization_),
                                       Worker::wall_ms()) != nullptr;
    if (authenticated) connection_->MarkAuthenticated();
    const uint64_t waiting_since = connection_->waiting_since_ms();
    if (!budget_.Open(connection_, authenticated)) {
      worker_->events().Count(CounterFamily::kRefusedStreams, "unauthenticated-streams");
      Refuse(Canned::kTooManyRequests);
      return false;
    }
    // The whole request, from the first byte of its head, within the deadline (issue #8).
    const uint64_t now = worker_->loop().Now();
    const uint64_t deadline = waiting_since + worker_->settings().get(Limit::kRequestTimeoutMs);
    worker_->loop().Arm(&timer_, deadline > now ? deadline - now : 0);
    state_ = State::kBody;
    return true;
  }

  // True when the body was complete and the request went on.
  bool ReadBody() {
    const size_t limit = worker_->settings().get(Limit::kMaxRequestBodyBytes);
    bool complete = false;
    if (framing_ == http1::BodyFraming::kNone) {
      complete = true;
    } else if (framing_ == http1::BodyFraming::kLength) {
      size_t take = remaining_ < in_.size() ? static_cast<size_t>(remaining_) : in_.size();
      append(in_.data(), take);
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(take));
      remaining_ -= take;
      complete = remaining_ == 0;
    } else {
      size_t consumed = 0;
      auto status = chunked_.feed(in_.data(), in_.size(), &consumed, this);
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(consumed));
      if (status == http1::ChunkedDecoder::Status::kMalformed) {
        Fail(400, "http1");
        return false;
      }
      complete = status == http1::ChunkedDecoder::Status::kDone;
    }
    // Past the limit the rest is read and dropped before answering, so the client sees the
    // 413; a body far past it is cut off.
    if (body_seen_ > limit + kDiscardBytes) {
      worker_->events().Count(CounterFamily::kMalformed, "body-too-large");
      state_ = State::kDone;
      connection_->Close();
      return false;
    }
    if (!complete) return false;
    worker_->loop().Disarm(&timer_);
    if (body_seen_ > limit) {
      worker_->events().Count(CounterFamily::kMalformed, "body-too-large");
      Refuse(Canned::kPayloadTooLarge);
      return false;
    }
    if (refusal_ != RequestBudget::Take::kOk) {
      worker_->events().Count(CounterFamily::kRequestsRefused, RequestBudget::Label(refusal_));
      Refuse(refusal_ == RequestBudget::Take::kTotal ? Canned::kBusy : Canned::kTooManyRequests);
      return false;
    }
    ApiRequest request;
    request.method = method_;
    request.path = path_;
    request.has_authorization = has_authorization_;
    request.authorization = authorization_;
    request.has_content_type = has_content_type_;
    request.content_type = content_type_;
    request.body = std::move(body_);
    body_.clear();
    request.source_address = connection_->source_text();
    state_ = State::kWaitingApi;
    connection_->WantRead(false);
    upcall_ = worker_->SendApiRequest(this, std::move(request));
    return false;
  }

  // A malformed request: a status, and the connection is closed after it.
  void Fail(uint16_t status, const char* kind) {
    worker_->events().Count(CounterFamily::kMalformed, kind);
    Send(StatusLine(status) + "connection: close\r\ncontent-length: 0\r\n\r\n", true);
  }

  // A canned answer for a limit; the connection ends after it, the rest of the request unread.
  void Refuse(Canned which) {
    Send(Format(worker_->settings().answer(which), true), true);
  }

  void Send(std::string bytes, bool close_after) {
    out_ = std::move(bytes);
    out_offset_ = 0;
    close_after_response_ = close_after;
    state_ = State::kResponding;
    connection_->WantRead(false);
    WriteOut();
  }

  void WriteOut() {
    if (state_ != State::kResponding) return;
    core::TlsStatus status = core::TlsStatus::kOk;
    size_t written = connection_->tls().Write(reinterpret_cast<const uint8_t*>(out_.data()) + out_offset_,
                                              out_.size() - out_offset_, &status);
    out_offset_ += written;
    if (out_offset_ < out_.size()) {
      if (status == core::TlsStatus::kWantWrite || status == core::TlsStatus::kWantRead) {
        connection_->WantWrite(true);
        return;
      }
      connection_->Close();
      return;
    }
    connection_->WantWrite(false);
    out_.clear();
    out_.shrink_to_fit();
    if (close_after_response_) {
      state_ = State::kDone;
      connection_->EndAfterAnswer();
      return;
    }
    state_ = State::kHead;
    // Answered: its bytes are given back and the connection waits for the next request.
    budget_.Finish();
    connection_->WantRead(true);
    Process();
  }

  // The request has not arrived whole in time: 408, and the connection ends (issue #8).
  void OnDeadline() {
    if (state_ != State::kBody) return;
    worker_->events().Count(CounterFamily::kRequestsRefused, "request-timeout");
    Refuse(Canned::kRequestTimeout);
  }

  void StartConnect() {
    worker_->loop().Disarm(&timer_);
    // The request is whole: from here the connection is a tunnel, or refused and closed.
    connection_->BecameTunnel();
    connection_->WantRead(false);
    // proxy-authorization is what HTTPS-proxy clients send; authorization also works.
    std::string_view value = !proxy_authorization_.empty() ? proxy_authorization_ : authorization_;
    admission::Session* session =
        worker_->tables().Authenticate(admission::parse_bearer(value), Worker::wall_ms());
    if (session == nullptr) {
      RefuseTunnel(407, ProxyError::kHttpRequestError, "no valid bearer token",
                   "proxy-authenticate: Bearer realm=\"passerelle\"\r\n");
      return;
    }
    connection_->MarkAuthenticated();
    const uint32_t cap = worker_->settings().get(Limit::kStreamsPerSession);
    if (!reservation_.Take(session, cap)) {
      worker_->events().Count(CounterFamily::kRefusedStreams, "streams-per-session");
      RefuseTunnel(429, ProxyError::kProxyInternalError, "too many flows in this session");
      return;
    }
    admission::Authority authority;
    if (!admission::parse_authority(path_, &authority)) {
      worker_->events().Count(CounterFamily::kMalformed, "authority");
      reservation_.Release();
      RefuseTunnel(400, ProxyError::kHttpRequestError, "CONNECT needs :authority host:port");
      return;
    }
    session->Attach(this);
    port_ = authority.port;
    state_ = State::kJudging;
    judge_.Start(session, admission::Protocol::kTcp, authority.host, authority.port, &record_,
                 &slot_);
  }

  void RefuseTunnel(uint16_t status, ProxyError error, const std::string& details,
                    const std::string& extra = "") {
    Send(StatusLine(status) + "proxy-status: " + ProxyStatus(error, details) +
             "\r\ncontent-length: 0\r\nconnection: close\r\n" + extra + "\r\n",
         true);
  }

  // --- the tunnel ----------------------------------------------------------------------

  void Pump() {
    if (state_ != State::kTunnel) return;
    PumpDown();
    if (state_ == State::kTunnel) PumpUp();
  }

  // Client → target.
  void PumpUp() {
    if (state_ != State::kTunnel) return;
    size_t moved = 0;
    for (;;) {
      if (up_.pending()) {
        int error = 0;
        ssize_t sent = target_.Write(up_.block + up_.offset, up_.length - up_.offset, &error);
        if (sent < 0) {
          if (error == EAGAIN) {
            connection_->WantRead(false);  // the target is full: stop reading the client
            return;
          }
          TargetReset();
          return;
        }
        up_.offset += static_cast<size_t>(sent);
        record_.bytes_up += static_cast<uint64_t>(sent);
        if (up_.pending()) continue;
      }
      if (client_ended_) {
        GiveBack(&up_);
        if (!target_shut_) {
          target_shut_ = true;
          target_.ShutdownWrite();
        }
        MaybeDone();
        return;
      }
      if (moved >= kPumpBudget) {
        worker_->loop().Arm(&pump_timer_, 0);
        return;
      }
      if (up_.block == nullptr) up_.block = worker_->pool().Take();
      if (!in_.empty()) {
        // Bytes the client sent right after its CONNECT head go first.
        size_t n = in_.size() < core::BlockPool::kBlockSize ? in_.size()
                                                             : core::BlockPool::kBlockSize;
        std::memcpy(up_.block, in_.data(), n);
        in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n));
        up_.length = n;
        up_.offset = 0;
        moved += n;
        continue;
      }
      core::TlsStatus status;
      size_t got = connection_->tls().Read(up_.block, core::BlockPool::kBlockSize, &status);
      if (got == 0) {
        if (status == core::TlsStatus::kWantRead || status == core::TlsStatus::kOk) {
          GiveBack(&up_);  // an idle tunnel holds no buffer
          connection_->WantRead(true);
          return;
        }
        if (status == core::TlsStatus::kWantWrite) {
          connection_->WantWrite(true);
          return;
        }
        if (status == core::TlsStatus::kClosed) {
          // The client's FIN (or close_notify): passed on to the target.
          client_ended_ = true;
          connection_->WantRead(false);
          continue;
        }
        // The client's connection failed: the target is closed with it.
        connection_->Close();
        return;
      }
      up_.length = got;
      up_.offset = 0;
      moved += got;
    }
  }

  // Target → client.
  void PumpDown() {
    if (state_ != State::kTunnel) return;
    size_t moved = 0;
    for (;;) {
      if (down_.pending()) {
        core::TlsStatus status = core::TlsStatus::kOk;
        size_t written = connection_->tls().Write(down_.block + down_.offset,
                                                  down_.length - down_.offset, &status);
        down_.offset += written;
        if (down_.pending()) {
          if (status == core::TlsStatus::kWantWrite || status == core::TlsStatus::kWantRead) {
            connection_->WantWrite(true);  // the client is full: the target waits
            return;
          }
          connection_->Close();
          return;
        }
        connection_->WantWrite(false);
      }
      if (target_ended_) {
        GiveBack(&down_);
        if (!client_shut_) {
          client_shut_ = true;
          connection_->ShutdownWrite();
        }
        MaybeDone();
        return;
      }
      if (moved >= kPumpBudget) {
        worker_->loop().Arm(&pump_timer_, 0);
        return;
      }
      if (down_.block == nullptr) down_.block = worker_->pool().Take();
      int error = 0;
      ssize_t got = target_.Read(down_.block, core::BlockPool::kBlockSize, &error);
      if (got < 0) {
        if (error == EAGAIN) {
          GiveBack(&down_);
          return;
        }
        TargetReset();
        return;
      }
      if (got == 0) {
        target_ended_ = true;
        continue;
      }
      down_.length = static_cast<size_t>(got);
      down_.offset = 0;
      record_.bytes_down += static_cast<uint64_t>(got);
      moved += static_cast<size_t>(got);
    }
  }

  void MaybeDone() {
    if (client_ended_ && target_ended_ && !up_.pending() && !down_.pending()) {
      EndFlow();
      connection_->Close();
    }
  }

  // A target's reset reaches the client as a reset of its TCP connection (curl: exit 56),
  // never as a close that would make a cut-short body look whole.
  void TargetReset() {
    EndFlow();
    connection_->Close(true);
  }

  // Ends the tunnel's flow once (each step is idempotent): its record, its socket, its
  // places under the caps.
  void EndFlow() {
    if (state_ == State::kConnecting) record_.End(worker_, ProxyError::kConnectionTerminated);
    else if (state_ == State::kTunnel) record_.End(worker_);
    if (state_ == State::kJudging || state_ == State::kConnecting || state_ == State::kTunnel) {
      state_ = State::kDone;
    }
    judge_.Cancel();
    target_.Close();
    slot_.Release();
    reservation_.Release();
    DetachFromSession();
  }

  Connection* connection_;
  Worker* worker_;
  State state_ = State::kHead;
  bool closing_done_ = false;
  std::vector<uint8_t> in_;
  size_t scanned_ = 0;
  core::Timer timer_;  // the request's deadline
  core::Timer pump_timer_;

  // The request being read.
  std::string method_;
  std::string path_;
  bool close_after_ = false;
  bool has_authorization_ = false;
  std::string authorization_;
  std::string proxy_authorization_;
  bool has_content_type_ = false;
  std::string content_type_;
  http1::BodyFraming framing_ = http1::BodyFraming::kNone;
  uint64_t remaining_ = 0;
  http1::ChunkedDecoder chunked_;
  std::vector<uint8_t> body_;
  size_t body_seen_ = 0;
  RequestBudget budget_;
  RequestBudget::Take refusal_ = RequestBudget::Take::kOk;
  uint64_t upcall_ = 0;

  // The answer being written.
  std::string out_;
  size_t out_offset_ = 0;
  bool close_after_response_ = false;

  // The tunnel.
  FlowReservation reservation_;
  FlowRecord record_;
  DescriptorSlot slot_;
  TargetJudge judge_;
  TcpTarget target_;
  uint16_t port_ = 0;
  uint32_t address_ = 0;
  Buffer up_;
  Buffer down_;
  bool client_ended_ = false;
  bool target_ended_ = false;
  bool target_shut_ = false;
  bool client_shut_ = false;
};

}  // namespace

std::unique_ptr<Front> MakeHttp1Front(Connection* connection) {
  return std::make_unique<Http1Front>(connection);
}

}  // namespace passerelle::gateway
