// The client's one HTTP/2 connection to the gateway (DESIGN §2), in the data-plane thread: TCP,
// TLS accepting exactly the leaf certificate TypeScript verified, nghttp2, keepalive PINGs
// (round trip, dead gateway), and the streams: CONNECT for TCP flows, connect-udp and connect-ip
// for datagrams, and the JSON API requests TypeScript makes (login, config, logout), so that
// everything shares the one connection.
//
// JavaScript steers: it starts a connection (Connect), learns it is up or down (LinkListener),
// hands over the session token (SetToken; no tunnel is opened without one), renews the session
// when a tunnel met 407 (OnAuthRequired; the TCP flows that met it wait, SYN held, and go
// through on the new token, or are refused by RenewalFailed), and decides about reconnecting.
//
// Promises:
// - Implements Tunnel (tunnel.h): the packet side never sees HTTP/2.
// - Streams end with END_STREAM; resets (an application aborting) come from a budget (200,
//   refilled 10/s) and past it become graceful ends, so that the gateway's nghttp2 "rapid reset"
//   guard (CVE-2023-44487 mitigation) never ends the connection.
// - When the connection goes, every flow riding it hears its final call at once (a reset for
//   TCP, closed for datagrams) and every API request gets an error.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "counters.h"
#include "link_failure.h"
#include "loop.h"
#include "tls.h"
#include "tunnel.h"

namespace passerelle::client {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct LinkOptions {
  uint32_t address = 0;     // the gateway's IPv4 address (resolved once by TypeScript)
  uint16_t port = 443;
  std::string server_name;  // SNI; empty for an address
  uint8_t pin[32] = {};     // SHA-256 of the leaf certificate TypeScript verified
  std::string authority;    // :authority of API requests and extended CONNECTs ("host:port")
  uint32_t stream_window = 8 << 20;
  uint32_t connection_window = 64 << 20;
  uint64_t connect_timeout_ms = 10000;
  uint64_t keepalive_interval_ms = 2000;
  uint64_t keepalive_timeout_ms = 5000;
  // TCP_NOTSENT_LOWAT on the connection: unsent bytes the kernel may hold (0: not set).
  int notsent_lowat = 128 * 1024;
  // Bytes encrypted per write pass before waiting for the socket (H2Transport budget).
  size_t write_budget = 32 * 1024;  // docs/architecture.md, "Choices made by measurement"
  // Bytes of datagrams a connect-udp/connect-ip stream may queue before it drops.
  size_t datagram_queue = 256 * 1024;
};

class LinkListener {
 public:
  virtual ~LinkListener() = default;
  virtual void OnLinkUp() = 0;
  // The connection is gone (or never came), and why as a class (link_failure.h):
  // kCertificateChanged when the TLS peer was not the pinned certificate (TypeScript decides
  // again).
  virtual void OnLinkDown(const std::string& reason, LinkFailure failure) = 0;
  // A tunnel met 407: the session ended while the connection stayed up.
  virtual void OnAuthRequired() = 0;
  virtual void OnResponse(uint64_t id, int status, const Headers& headers, const std::string& body,
                          const std::string& error) = 0;
};

class Connection;
class TcpTunnel;

class GatewayLink final : public Tunnel {
 public:
  GatewayLink(core::EventLoop* loop, core::Counters* counters, LinkListener* listener);
  ~GatewayLink() override;
  GatewayLink(const GatewayLink&) = delete;
  GatewayLink& operator=(const GatewayLink&) = delete;

  // Starts a connection (replacing any); the listener hears OnLinkUp or OnLinkDown.
  void Connect(const LinkOptions& options);
  // Closes the connection; the listener hears OnLinkDown(reason) if it was not down already.
  void Disconnect(const std::string& reason);
  // Tunnels may open with this token; TCP flows waiting after a 407 go through with it.
  void SetToken(const std::string& token);
  // The session could not be renewed: TCP flows waiting after a 407 are refused.
  void RenewalFailed();
  void Request(uint64_t id, const std::string& method, const std::string& path,
               const Headers& headers, const std::string& body);
  // End of a loop turn: frames submitted during the turn go out in one pass.
  void Flush();
  bool up() const;

  ByteStream* OpenTcp(uint32_t address, uint16_t port, ByteStreamPeer* peer) override;
  DatagramStream* OpenUdp(uint32_t address, uint16_t port, DatagramPeer* peer) override;
  DatagramStream* OpenIcmp(DatagramPeer* peer) override;

  // Used by the connection and its streams.
  core::EventLoop* loop() const { return loop_; }
  core::Counters* counters() const { return counters_; }
  LinkListener* listener() const { return listener_; }
  const std::string& token() const { return token_; }
  bool TakeResetToken();
  void Park(TcpTunnel* tunnel);
  void Unpark(TcpTunnel* tunnel);
  void ConnectionLost(Connection* connection, const std::string& reason, LinkFailure failure);
  void ConnectionUp(Connection* connection);
  void AuthRequired();
  // A CONNECT, or a flow's first bytes, went into this turn's output: its latency is taken
  // when the turn's frames are written (stats.h).
  void ConnectSubmitted() { connect_this_turn_ = true; }
  void FirstDataPulled() { data_this_turn_ = true; }

 private:
  core::EventLoop* loop_;
  core::Counters* counters_;
  LinkListener* listener_;
  std::unique_ptr<core::TlsContext> tls_context_;
  std::string tls_error_;
  Connection* connection_ = nullptr;
  std::string token_;
  bool ready_ = false;  // a token for the current connection
  std::vector<TcpTunnel*> parked_;
  bool auth_required_sent_ = false;
  bool destroying_ = false;
  bool connect_this_turn_ = false;
  bool data_this_turn_ = false;
  // The reset budget.
  double reset_tokens_ = 200;
  uint64_t reset_updated_ms_ = 0;
};

}  // namespace passerelle::client
