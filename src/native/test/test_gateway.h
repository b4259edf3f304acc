// An in-process HTTP/2 gateway for the client's native tests: TLS (core/tls.h, server role) and
// an nghttp2 server session on 127.0.0.1, driven by the test's event loop. Each test decides
// what the gateway answers (on_request, on_data) and what it sends (Respond, SendData, Reset,
// Goaway, InjectRaw), and reads what arrived (requests, resets, ends).
#pragma once

#include <nghttp2/nghttp2.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "h2_transport.h"
#include "identity.h"
#include "loop.h"
#include "tls.h"

namespace testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class TestGateway final : public passerelle::core::IoHandler {
 public:
  struct Stream {
    HeaderList headers;
    std::string data;
    bool ended = false;        // the client sent END_STREAM
    uint32_t reset_code = ~0u;  // the client's RST_STREAM code, if any
    bool closed = false;
    std::string out;           // bytes queued to send
    bool out_end = false;
    std::string Header(const std::string& name) const {
      for (const auto& [n, v] : headers)
        if (n == name) return v;
      return "";
    }
  };

  TestGateway(passerelle::core::EventLoop* loop, const Identity& identity);
  ~TestGateway() override;

  uint16_t port() const { return port_; }
  bool connected() const { return session_ != nullptr; }

  // Called when a request's headers are complete (answer from here or later).
  std::function<void(TestGateway&, int32_t id, Stream&)> on_request;
  std::function<void(TestGateway&, int32_t id, Stream&)> on_data;

  void Respond(int32_t id, int status, const HeaderList& extra, bool end_stream);
  void SendData(int32_t id, const std::string& bytes, bool end_stream);
  void Reset(int32_t id, uint32_t code);
  void Goaway();
  // Writes bytes into the TLS stream as they are (hostile frames).
  void InjectRaw(const std::string& bytes);
  void CloseConnection();
  // Stops reading (a frozen gateway): nothing is answered, PINGs included.
  bool frozen = false;

  std::map<int32_t, Stream> streams;
  int connections = 0;
  int pings_received = 0;

  void OnIo(uint32_t events) override;

 private:
  class Client;
  class Listener;
  void Accept();
  void Pump();

  passerelle::core::EventLoop* loop_;
  std::unique_ptr<passerelle::core::TlsContext> context_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  passerelle::core::EventLoop::Watch* listen_watch_ = nullptr;
  int fd_ = -1;
  passerelle::core::EventLoop::Watch* watch_ = nullptr;
  std::unique_ptr<passerelle::core::TlsConnection> tls_;
  nghttp2_session* session_ = nullptr;
  std::unique_ptr<passerelle::core::H2Transport> transport_;
  std::unique_ptr<Listener> listener_;
};

// Runs the loop until `done()` or `timeout_ms` passed; returns done().
bool RunUntil(passerelle::core::EventLoop& loop, const std::function<bool()>& done,
              int timeout_ms = 3000);

}  // namespace testing
