#include "test_gateway.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace testing {

using passerelle::core::EventLoop;
using passerelle::core::H2Transport;
using passerelle::core::TlsConnection;
using passerelle::core::TlsContext;
using passerelle::core::TlsStatus;

class TestGateway::Listener final : public passerelle::core::IoHandler {
 public:
  explicit Listener(TestGateway* gateway) : gateway_(gateway) {}
  void OnIo(uint32_t) override { gateway_->Accept(); }

 private:
  TestGateway* gateway_;
};

// nghttp2's server callbacks.
class TestGateway::Client {
 public:
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<TestGateway*>(user);
    if (frame->hd.type == NGHTTP2_HEADERS) self->streams[frame->hd.stream_id] = Stream{};
    return 0;
  }
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t nlen,
                      const uint8_t* value, size_t vlen, uint8_t, void* user) {
    auto* self = static_cast<TestGateway*>(user);
    self->streams[frame->hd.stream_id].headers.emplace_back(
        std::string(reinterpret_cast<const char*>(name), nlen),
        std::string(reinterpret_cast<const char*>(value), vlen));
    return 0;
  }
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<TestGateway*>(user);
    const int32_t id = frame->hd.stream_id;
    if (frame->hd.type == NGHTTP2_PING && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) self->pings_received++;
    if (id == 0 || self->streams.count(id) == 0) return 0;
    Stream& stream = self->streams[id];
    if (frame->hd.type == NGHTTP2_HEADERS && (frame->hd.flags & NGHTTP2_FLAG_END_HEADERS)) {
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) stream.ended = true;
      if (self->on_request) self->on_request(*self, id, stream);
    } else if (frame->hd.type == NGHTTP2_DATA && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      stream.ended = true;
      if (self->on_data) self->on_data(*self, id, stream);
    } else if (frame->hd.type == NGHTTP2_RST_STREAM) {
      stream.reset_code = frame->rst_stream.error_code;
    }
    return 0;
  }
  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t length, void* user) {
    auto* self = static_cast<TestGateway*>(user);
    Stream& stream = self->streams[id];
    stream.data.append(reinterpret_cast<const char*>(data), length);
    if (self->on_data) self->on_data(*self, id, stream);
    return 0;
  }
  static int OnClose(nghttp2_session*, int32_t id, uint32_t code, void* user) {
    auto* self = static_cast<TestGateway*>(user);
    auto it = self->streams.find(id);
    if (it != self->streams.end()) {
      it->second.closed = true;
      if (code != NGHTTP2_NO_ERROR && it->second.reset_code == ~0u) it->second.reset_code = code;
    }
    return 0;
  }
  static ssize_t Read(nghttp2_session*, int32_t id, uint8_t* buffer, size_t length, uint32_t* flags,
                      nghttp2_data_source*, void* user) {
    auto* self = static_cast<TestGateway*>(user);
    Stream& stream = self->streams[id];
    if (stream.out.empty()) {
      if (stream.out_end) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
      }
      return NGHTTP2_ERR_DEFERRED;
    }
    const size_t n = stream.out.size() < length ? stream.out.size() : length;
    std::memcpy(buffer, stream.out.data(), n);
    stream.out.erase(0, n);
    if (stream.out.empty() && stream.out_end) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

TestGateway::TestGateway(EventLoop* loop, const Identity& identity) : loop_(loop) {
  std::string error;
  context_ = TlsContext::Server(identity.certificate, identity.key, {"h2"}, &error);
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in address {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  listen(listen_fd_, 16);
  socklen_t size = sizeof(address);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  listener_ = std::make_unique<Listener>(this);
  listen_watch_ = loop_->Add(listen_fd_, EPOLLIN, listener_.get());
  loop_->AddTurnEndHook([this] { Pump(); });
}

TestGateway::~TestGateway() {
  CloseConnection();
  loop_->Remove(listen_watch_);
  close(listen_fd_);
}

void TestGateway::CloseConnection() {
  if (watch_ != nullptr) loop_->Remove(watch_);
  watch_ = nullptr;
  transport_.reset();
  if (session_ != nullptr) nghttp2_session_del(session_);
  session_ = nullptr;
  tls_.reset();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void TestGateway::Accept() {
  const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  CloseConnection();
  connections++;
  streams.clear();
  fd_ = fd;
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  tls_ = std::make_unique<TlsConnection>(*context_, fd_, TlsConnection::Role::kServer, "", nullptr);
  watch_ = loop_->Add(fd_, EPOLLIN, this);
}

void TestGateway::OnIo(uint32_t) {
  if (fd_ < 0 || frozen) return;
  if (!tls_->handshake_done()) {
    if (tls_->Handshake() == TlsStatus::kError) CloseConnection();
    if (fd_ < 0 || !tls_->handshake_done()) return;
    nghttp2_session_callbacks* callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Client::OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, Client::OnHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Client::OnFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Client::OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Client::OnClose);
    nghttp2_session_server_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000},
                                               {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
    transport_ = std::make_unique<H2Transport>(tls_.get(), session_, H2Transport::Options{});
  }
  if (transport_->Receive() != H2Transport::Result::kOk) CloseConnection();
}

void TestGateway::Pump() {
  if (transport_ == nullptr || frozen) return;
  if (transport_->more_to_read() && transport_->Receive() != H2Transport::Result::kOk) {
    CloseConnection();
    return;
  }
  if (transport_->Send() != H2Transport::Result::kOk) CloseConnection();
}

void TestGateway::Respond(int32_t id, int status, const HeaderList& extra, bool end_stream) {
  if (session_ == nullptr) return;
  static const std::string kStatus = ":status";
  const std::string status_text = std::to_string(status);
  std::vector<nghttp2_nv> nva = {passerelle::core::MakeHeader(kStatus, status_text)};
  for (const auto& [name, value] : extra) nva.push_back(passerelle::core::MakeHeader(name, value));
  nghttp2_data_provider provider;
  provider.source.ptr = nullptr;
  provider.read_callback = Client::Read;
  nghttp2_submit_response(session_, id, nva.data(), nva.size(), end_stream ? nullptr : &provider);
}

void TestGateway::SendData(int32_t id, const std::string& bytes, bool end_stream) {
  Stream& stream = streams[id];
  stream.out += bytes;
  stream.out_end = stream.out_end || end_stream;
  if (session_ != nullptr) nghttp2_session_resume_data(session_, id);
}

void TestGateway::Reset(int32_t id, uint32_t code) {
  if (session_ != nullptr) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
}

void TestGateway::Goaway() {
  if (session_ != nullptr)
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
}

void TestGateway::InjectRaw(const std::string& bytes) {
  if (tls_ == nullptr) return;
  TlsStatus status;
  tls_->Write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &status);
}

bool RunUntil(EventLoop& loop, const std::function<bool()>& done, int timeout_ms) {
  const uint64_t deadline = EventLoop::MonotonicNs() + static_cast<uint64_t>(timeout_ms) * 1000000ull;
  while (!done() && EventLoop::MonotonicNs() < deadline) loop.RunOnce(10);
  return done();
}

}  // namespace testing
