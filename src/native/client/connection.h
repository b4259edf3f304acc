// One TCP + TLS + HTTP/2 connection of the gateway link (gateway_link.h): connects without
// blocking, checks the pinned certificate and ALPN h2, runs the nghttp2 client session over
// core/h2_transport, sends keepalive PINGs, and dispatches nghttp2's callbacks to the stream
// objects bound to its HTTP/2 streams (LinkStream).
//
// A stream object is bound to one HTTP/2 stream through nghttp2's stream user data; unbinding
// (user data null) turns that HTTP/2 stream into one whose incoming data is dropped and whose
// outgoing side ends. When the connection fails, every bound stream hears OnConnectionLost()
// and no nghttp2 callback follows.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "gateway_link.h"
#include "h2_transport.h"
#include "loop.h"
#include "tls.h"

namespace passerelle::client {

class Connection;

class LinkStream {
 public:
  virtual ~LinkStream() = default;
  virtual void OnHeader(const std::string& name, const std::string& value) = 0;
  // The final (non-1xx) response headers arrived.
  virtual void OnResponse() = 0;
  // DATA. The stream calls Connection::Consume once the bytes are handed on.
  virtual void OnData(const uint8_t* data, size_t length) = 0;
  // The gateway ended its side (END_STREAM).
  virtual void OnRemoteEnd() = 0;
  // The HTTP/2 stream closed (nghttp2's on_stream_close); it is unbound now.
  virtual void OnClose(uint32_t error_code) = 0;
  // nghttp2 asks for DATA to send: bytes, 0 with NGHTTP2_DATA_FLAG_EOF set, or
  // NGHTTP2_ERR_DEFERRED (the stream resumes it later).
  virtual ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags) = 0;
  // The connection failed: no more callbacks; the stream is unbound.
  virtual void OnConnectionLost() = 0;
};

class Connection final : public core::IoHandler {
 public:
  Connection(GatewayLink* link, core::TlsContext* context, const LinkOptions& options);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  bool up() const { return state_ == State::kUp; }
  bool closed() const { return state_ == State::kClosed; }
  const LinkOptions& options() const { return options_; }

  // Submits a request bound to `stream`; with `body` the stream's Read() supplies DATA.
  // Returns the stream id, or ≤ 0 when the session refuses (closing, ids exhausted).
  int32_t Submit(const std::vector<nghttp2_nv>& headers, LinkStream* stream, bool body);
  void Resume(int32_t id);
  void Consume(int32_t id, size_t length);
  // Gives back the connection's window only: the stream's stays closed, so a peer sending to
  // a flow nobody reads any more stops after one stream window.
  void ConsumeConnection(size_t length);
  void Reset(int32_t id, uint32_t error_code);
  // The stream object lets go of its HTTP/2 stream (see above).
  void Unbind(int32_t id, LinkStream* stream);

  // End of a loop turn: read what OpenSSL still holds, send what nghttp2 has.
  void Flush();
  // Fails the connection (idempotent): streams hear OnConnectionLost, the link OnLinkDown.
  void Fail(const std::string& reason, LinkFailure failure = LinkFailure::kOther);

  void OnIo(uint32_t events) override;

 private:
  enum class State : uint8_t { kConnecting, kHandshake, kUp, kClosed };

  void Handshake();
  bool StartSession();
  void Receive();
  void UpdateEvents();
  void Keepalive();

  static int OnHeaderCallback(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                              const uint8_t*, size_t, uint8_t, void*);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame*, void*);
  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int OnStreamClose(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t ReadLength(nghttp2_session*, uint8_t, int32_t, int32_t, int32_t, uint32_t, void*);
  static ssize_t ReadData(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                          nghttp2_data_source*, void*);

  GatewayLink* link_;
  core::TlsContext* context_;
  LinkOptions options_;
  State state_ = State::kConnecting;
  int fd_ = -1;
  core::EventLoop::Watch* watch_ = nullptr;
  std::unique_ptr<core::TlsConnection> tls_;
  nghttp2_session* session_ = nullptr;
  std::unique_ptr<core::H2Transport> transport_;
  std::unordered_set<LinkStream*> bound_;
  std::string goaway_;  // set when the gateway sent GOAWAY: fail after the current read
  core::Timer connect_timer_;
  core::Timer keepalive_timer_;
  core::Timer ping_deadline_;
  bool ping_outstanding_ = false;
};

}  // namespace passerelle::client
