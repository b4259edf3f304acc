#include "connection.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "stats.h"

namespace passerelle::client {

namespace {

// A DATA frame whose header and payload fill exactly one TLS record (16 KiB): the transport
// then writes each frame without a copy and without a runt record.
constexpr ssize_t kFramePayload = 16384 - 9;

std::string Endpoint(const LinkOptions& options) {
  char text[INET_ADDRSTRLEN] = "?";
  const uint32_t address = htonl(options.address);
  inet_ntop(AF_INET, &address, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(options.port);
}

const char* ErrnoName(int error) {
  switch (error) {
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case EHOSTUNREACH:
      return "EHOSTUNREACH";
    case ENETUNREACH:
      return "ENETUNREACH";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    case ECONNRESET:
      return "ECONNRESET";
    default:
      return strerror(error);
  }
}

}  // namespace

Connection::Connection(GatewayLink* link, core::TlsContext* context, const LinkOptions& options)
    : link_(link),
      context_(context),
      options_(options),
      connect_timer_([this] {
        Fail("no answer from " + Endpoint(options_) + " within " +
                 std::to_string(options_.connect_timeout_ms / 1000) + " s",
             LinkFailure::kTimedOut);
      }),
      keepalive_timer_([this] { Keepalive(); }),
      ping_deadline_([this] { Fail("keepalive timeout", LinkFailure::kKeepaliveLost); }) {}

Connection::~Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
  if (fd_ >= 0) close(fd_);
}

void Connection::Start() {
  core::EventLoop* loop = link_->loop();
  loop->Arm(&connect_timer_, options_.connect_timeout_ms);
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Fail(std::string("socket: ") + strerror(errno));
    return;
  }
  const int one = 1;
  // Small frames (a PING, a CONNECT) must not wait for Nagle's algorithm.
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (options_.notsent_lowat > 0)
    setsockopt(fd_, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &options_.notsent_lowat,
               sizeof(options_.notsent_lowat));
  struct sockaddr_in peer {};
  peer.sin_family = AF_INET;
  peer.sin_addr.s_addr = htonl(options_.address);
  peer.sin_port = htons(options_.port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) != 0 && errno != EINPROGRESS) {
    const int error = errno;
    Fail("cannot reach the gateway " + Endpoint(options_) + ": " + ErrnoName(error),
         LinkFailureOfErrno(error));
    return;
  }
  watch_ = loop->Add(fd_, EPOLLOUT, this);
  if (watch_ == nullptr) Fail(std::string("epoll: ") + strerror(errno));
}

void Connection::OnIo(uint32_t events) {
  switch (state_) {
    case State::kConnecting: {
      int error = 0;
      socklen_t size = sizeof(error);
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) {
        Fail("cannot reach the gateway " + Endpoint(options_) + ": " + ErrnoName(error),
             LinkFailureOfErrno(error));
        return;
      }
      if ((events & EPOLLOUT) == 0) return;
      state_ = State::kHandshake;
      tls_ = std::make_unique<core::TlsConnection>(*context_, fd_, core::TlsConnection::Role::kClient,
                                                   options_.server_name, options_.pin);
      Handshake();
      return;
    }
    case State::kHandshake:
      Handshake();
      return;
    case State::kUp:
      if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Receive();
      // EPOLLOUT: Flush() at the end of the turn sends.
      return;
    case State::kClosed:
      return;
  }
}

void Connection::Handshake() {
  const core::TlsStatus status = tls_->Handshake();
  switch (status) {
    case core::TlsStatus::kOk:
      if (tls_->alpn() != "h2") {
        Fail("the server did not offer HTTP/2: is this a Passerelle gateway?",
             LinkFailure::kTlsFailed);
        return;
      }
      if (!StartSession()) return;
      return;
    case core::TlsStatus::kWantRead:
      link_->loop()->Modify(watch_, EPOLLIN);
      return;
    case core::TlsStatus::kWantWrite:
      link_->loop()->Modify(watch_, EPOLLIN | EPOLLOUT);
      return;
    case core::TlsStatus::kClosed:
    case core::TlsStatus::kError:
      Fail(tls_->certificate_mismatch()
               ? tls_->error()
               : "TLS with the gateway " + Endpoint(options_) + " failed: " +
                     (tls_->error().empty() ? "the connection closed" : tls_->error()),
           tls_->certificate_mismatch()        ? LinkFailure::kCertificateChanged
           : status == core::TlsStatus::kClosed ? LinkFailure::kConnectionReset
                                                : LinkFailure::kTlsFailed);
      return;
  }
}

bool Connection::StartSession() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeaderCallback);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnStreamClose);
  nghttp2_session_callbacks_set_data_source_read_length_callback(callbacks, ReadLength);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // Windows open as bytes are handed on (to the application's socket, the TUN), not as they
  // arrive: that is the back-pressure from a slow application to the target.
  nghttp2_option_set_no_auto_window_update(option, 1);
  // As many streams as the gateway will allow; its SETTINGS come within a round trip.
  nghttp2_option_set_peer_max_concurrent_streams(option, 20000);
  const int created = nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  if (created != 0) {
    Fail(std::string("HTTP/2: ") + nghttp2_strerror(created));
    return false;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.stream_window},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(options_.connection_window));
  core::H2Transport::Options transport;
  transport.write_budget = options_.write_budget;
  transport_ = std::make_unique<core::H2Transport>(tls_.get(), session_, transport);
  state_ = State::kUp;
  link_->loop()->Disarm(&connect_timer_);
  link_->loop()->Modify(watch_, EPOLLIN);
  Keepalive();
  link_->ConnectionUp(this);
  // The gateway's SETTINGS may have come with the last handshake flight, held by OpenSSL.
  if (state_ == State::kUp) Receive();
  return state_ == State::kUp;
}

void Connection::Receive() {
  const core::H2Transport::Result result = transport_->Receive();
  if (result != core::H2Transport::Result::kOk) {
    Fail(result == core::H2Transport::Result::kClosed ? "the connection to the gateway closed"
                                                     : transport_->error(),
         LinkFailure::kConnectionReset);
    return;
  }
  if (!goaway_.empty()) Fail(goaway_, LinkFailure::kGatewayClosed);
}

void Connection::Flush() {
  if (state_ != State::kUp) return;
  if (transport_->more_to_read()) {
    Receive();
    if (state_ != State::kUp) return;
  }
  const core::H2Transport::Result result = transport_->Send();
  if (result != core::H2Transport::Result::kOk) {
    Fail(result == core::H2Transport::Result::kClosed ? "the connection to the gateway closed"
                                                     : transport_->error(),
         LinkFailure::kConnectionReset);
    return;
  }
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    Fail("the HTTP/2 session with the gateway ended", LinkFailure::kGatewayClosed);
    return;
  }
  UpdateEvents();
}

void Connection::UpdateEvents() {
  const bool write = transport_->blocked();
  link_->loop()->Modify(watch_, write ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

void Connection::Keepalive() {
  if (state_ != State::kUp) return;
  core::EventLoop* loop = link_->loop();
  if (!ping_outstanding_) {
    uint8_t opaque[8];
    const uint64_t now = core::EventLoop::MonotonicNs();
    std::memcpy(opaque, &now, sizeof(now));
    if (nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, opaque) == 0) {
      ping_outstanding_ = true;
      loop->Arm(&ping_deadline_, options_.keepalive_timeout_ms);
    }
  }
  loop->Arm(&keepalive_timer_, options_.keepalive_interval_ms);
}

void Connection::Fail(const std::string& reason, LinkFailure failure) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  core::EventLoop* loop = link_->loop();
  loop->Disarm(&connect_timer_);
  loop->Disarm(&keepalive_timer_);
  loop->Disarm(&ping_deadline_);
  if (watch_ != nullptr) {
    loop->Remove(watch_);
    watch_ = nullptr;
  }
  if (tls_ && tls_->handshake_done()) tls_->Shutdown();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  std::vector<LinkStream*> streams(bound_.begin(), bound_.end());
  bound_.clear();
  for (LinkStream* stream : streams) stream->OnConnectionLost();
  link_->ConnectionLost(this, reason, failure);
}

int32_t Connection::Submit(const std::vector<nghttp2_nv>& headers, LinkStream* stream, bool body) {
  if (state_ != State::kUp) return -1;
  nghttp2_data_provider provider;
  provider.source.ptr = nullptr;
  provider.read_callback = ReadData;
  const int32_t id = nghttp2_submit_request(session_, nullptr, headers.data(), headers.size(),
                                            body ? &provider : nullptr, stream);
  if (id > 0) bound_.insert(stream);
  return id;
}

void Connection::Resume(int32_t id) {
  if (state_ == State::kUp && id > 0) nghttp2_session_resume_data(session_, id);
}

void Connection::Consume(int32_t id, size_t length) {
  if (state_ == State::kUp && id > 0 && length > 0) nghttp2_session_consume(session_, id, length);
}

void Connection::ConsumeConnection(size_t length) {
  if (state_ == State::kUp && length > 0) nghttp2_session_consume_connection(session_, length);
}

void Connection::Reset(int32_t id, uint32_t error_code) {
  if (state_ == State::kUp && id > 0) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code);
}

void Connection::Unbind(int32_t id, LinkStream* stream) {
  bound_.erase(stream);
  if (state_ == State::kUp && id > 0) {
    nghttp2_session_set_stream_user_data(session_, id, nullptr);
    // Our side ends now: the read callback of an unbound stream says EOF.
    nghttp2_session_resume_data(session_, id);
  }
}

int Connection::OnHeaderCallback(nghttp2_session* session, const nghttp2_frame* frame,
                                 const uint8_t* name, size_t name_length, const uint8_t* value,
                                 size_t value_length, uint8_t, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* stream = static_cast<LinkStream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (stream == nullptr) return 0;
  stream->OnHeader(std::string(reinterpret_cast<const char*>(name), name_length),
                   std::string(reinterpret_cast<const char*>(value), value_length));
  return 0;
}

int Connection::OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Connection*>(user);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      auto* stream = static_cast<LinkStream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
      if (stream == nullptr) return 0;
      if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE) stream->OnResponse();
      // The response may have been unbound by OnResponse (a refusal): look again.
      stream = static_cast<LinkStream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
      if (stream != nullptr && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) stream->OnRemoteEnd();
      return 0;
    }
    case NGHTTP2_DATA: {
      auto* stream = static_cast<LinkStream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
      if (stream != nullptr && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) stream->OnRemoteEnd();
      return 0;
    }
    case NGHTTP2_PING:
      if (frame->hd.flags & NGHTTP2_FLAG_ACK) {
        uint64_t sent = 0;
        std::memcpy(&sent, frame->ping.opaque_data, sizeof(sent));
        const uint64_t now = core::EventLoop::MonotonicNs();
        if (now >= sent) self->link_->counters()->Set(kRttMicros, (now - sent) / 1000);
        self->ping_outstanding_ = false;
        self->link_->loop()->Disarm(&self->ping_deadline_);
      }
      return 0;
    case NGHTTP2_GOAWAY:
      self->goaway_ = "the gateway closed the connection";
      return 0;
    default:
      return 0;
  }
}

int Connection::OnDataChunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                            size_t length, void*) {
  auto* stream = static_cast<LinkStream*>(nghttp2_session_get_stream_user_data(session, id));
  if (stream == nullptr) {
    // Nobody wants it any more (an abandoned flow): dropped. The connection's window opens
    // again, the stream's does not: the gateway stops after one window.
    nghttp2_session_consume_connection(session, length);
    return 0;
  }
  stream->OnData(data, length);
  return 0;
}

int Connection::OnStreamClose(nghttp2_session* session, int32_t id, uint32_t error_code, void* user) {
  auto* self = static_cast<Connection*>(user);
  auto* stream = static_cast<LinkStream*>(nghttp2_session_get_stream_user_data(session, id));
  if (stream == nullptr) return 0;
  nghttp2_session_set_stream_user_data(session, id, nullptr);
  self->bound_.erase(stream);
  stream->OnClose(error_code);
  return 0;
}

ssize_t Connection::ReadLength(nghttp2_session*, uint8_t, int32_t, int32_t session_window,
                               int32_t stream_window, uint32_t max_frame, void*) {
  ssize_t length = kFramePayload;
  if (session_window < length) length = session_window;
  if (stream_window < length) length = stream_window;
  if (static_cast<ssize_t>(max_frame) < length) length = static_cast<ssize_t>(max_frame);
  return length < 1 ? 1 : length;
}

ssize_t Connection::ReadData(nghttp2_session* session, int32_t id, uint8_t* buffer, size_t length,
                             uint32_t* flags, nghttp2_data_source*, void*) {
  auto* stream = static_cast<LinkStream*>(nghttp2_session_get_stream_user_data(session, id));
  if (stream == nullptr) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  return stream->Read(buffer, length, flags);
}

}  // namespace passerelle::client
