// The gateway link's stream objects (see connection.h): a TCP flow's CONNECT (TcpTunnel), a
// UDP flow's connect-udp or the session's connect-ip (DatagramTunnel), and a JSON API request
// (ApiRequest). Each translates one HTTP/2 stream into the calls its peer understands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "byte_queue.h"
#include "capsule.h"
#include "connection.h"
#include "gateway_link.h"
#include "tunnel.h"

namespace passerelle::client {

// How the gateway's refusal reaches the application (docs/protocol.md).
Refusal ClassifyRefusal(int status, const std::string& proxy_status);

class TcpTunnel final : public ByteStream, public LinkStream {
 public:
  TcpTunnel(GatewayLink* link, ByteStreamPeer* peer, uint32_t address, uint16_t port);
  ~TcpTunnel() override;

  // Opens (or, after a 407, opens again) the CONNECT on `connection`. False when refused.
  bool Submit(Connection* connection);
  // A parked flow whose session could not be renewed, or whose connection went.
  void RefuseParked(Refusal refusal);

  // ByteStream
  void ResumeSending() override;
  void Consumed(size_t length) override;
  void Abort() override;
  void Detach() override;

  // LinkStream
  void OnHeader(const std::string& name, const std::string& value) override;
  void OnResponse() override;
  void OnData(const uint8_t* data, size_t length) override;
  void OnRemoteEnd() override;
  void OnClose(uint32_t error_code) override;
  ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags) override;
  void OnConnectionLost() override;

 private:
  enum class State : uint8_t { kOpening, kParked, kOpen };
  void OrphanCheck();

  GatewayLink* link_;
  ByteStreamPeer* peer_;
  std::string authority_;  // "address:port" of the target
  Connection* connection_ = nullptr;
  int32_t id_ = 0;
  State state_ = State::kOpening;
  int status_ = 0;
  std::string proxy_status_;
  bool remote_ended_ = false;
  bool aborting_ = false;
  bool pulled_ = false;  // the application's first bytes went up
  core::Timer orphan_timer_;
};

class DatagramTunnel final : public DatagramStream, public LinkStream, private core::CapsuleReader::Sink {
 public:
  // The largest capsule accepted from the gateway: an IPv4 packet or UDP payload, plus framing.
  static constexpr size_t kMaxCapsule = 65535 + 16;

  DatagramTunnel(GatewayLink* link, DatagramPeer* peer, size_t queue_limit);
  ~DatagramTunnel() override;

  bool Submit(Connection* connection, const std::string& path, const char* protocol);

  // DatagramStream
  bool Send(const uint8_t* payload, size_t length) override;
  void Close() override;

  // LinkStream
  void OnHeader(const std::string& name, const std::string& value) override;
  void OnResponse() override;
  void OnData(const uint8_t* data, size_t length) override;
  void OnRemoteEnd() override;
  void OnClose(uint32_t error_code) override;
  ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags) override;
  void OnConnectionLost() override;

 private:
  void OnDatagramCapsule(const uint8_t* value, size_t length) override;

  GatewayLink* link_;
  DatagramPeer* peer_;
  Connection* connection_ = nullptr;
  int32_t id_ = 0;
  int status_ = 0;
  core::BlockPool pool_{4};
  core::ByteQueue out_;
  core::CapsuleReader reader_{kMaxCapsule};
  bool closing_ = false;
};

class ApiRequest final : public LinkStream {
 public:
  static constexpr size_t kMaxBody = 1 << 20;

  ApiRequest(GatewayLink* link, uint64_t id, std::string body) : link_(link), id_(id), body_(std::move(body)) {}

  bool Submit(Connection* connection, const std::vector<nghttp2_nv>& headers);

  void OnHeader(const std::string& name, const std::string& value) override;
  void OnResponse() override {}
  void OnData(const uint8_t* data, size_t length) override;
  void OnRemoteEnd() override {}
  void OnClose(uint32_t error_code) override;
  ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags) override;
  void OnConnectionLost() override;

 private:
  GatewayLink* link_;
  uint64_t id_;
  std::string body_;
  size_t sent_ = 0;
  Connection* connection_ = nullptr;
  int32_t stream_ = 0;
  int status_ = 0;
  Headers headers_;
  std::string response_;
  bool too_large_ = false;
};

}  // namespace passerelle::client
