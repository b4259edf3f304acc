#include "gateway_link.h"

#include <algorithm>

#include "connection.h"
#include "ipv4_text.h"
#include "link_streams.h"
#include "stats.h"

namespace passerelle::client {

namespace {

constexpr double kResetBurst = 200;
constexpr double kResetsPerSecond = 10;

}  // namespace

GatewayLink::GatewayLink(core::EventLoop* loop, core::Counters* counters, LinkListener* listener)
    : loop_(loop), counters_(counters), listener_(listener) {
  tls_context_ = core::TlsContext::Client(&tls_error_);
  reset_updated_ms_ = loop_->Now();
}

GatewayLink::~GatewayLink() {
  destroying_ = true;
  if (connection_ != nullptr) {
    Connection* connection = connection_;
    connection_ = nullptr;
    connection->Fail("closing");  // streams hear their final calls
    delete connection;
  }
  for (TcpTunnel* tunnel : std::vector<TcpTunnel*>(parked_)) tunnel->RefuseParked(Refusal::kUnreachable);
}

bool GatewayLink::up() const { return connection_ != nullptr && connection_->up(); }

void GatewayLink::Connect(const LinkOptions& options) {
  if (connection_ != nullptr) {
    Connection* old = connection_;
    connection_ = nullptr;
    old->Fail("replaced by a new connection");
  }
  ready_ = false;
  if (!tls_context_) {
    listener_->OnLinkDown("TLS could not be set up: " + tls_error_, LinkFailure::kTlsFailed);
    return;
  }
  connection_ = new Connection(this, tls_context_.get(), options);
  connection_->Start();
}

void GatewayLink::Disconnect(const std::string& reason) {
  if (connection_ != nullptr) connection_->Fail(reason);
}

void GatewayLink::ConnectionUp(Connection* connection) {
  if (connection == connection_ && listener_ != nullptr) listener_->OnLinkUp();
}

void GatewayLink::ConnectionLost(Connection* connection, const std::string& reason,
                                 LinkFailure failure) {
  const bool current = connection == connection_;
  if (current) {
    connection_ = nullptr;
    ready_ = false;
    // Flows waiting for a renewal cannot go on this connection: unreachable, as for a new SYN
    // while reconnecting.
    for (TcpTunnel* tunnel : std::vector<TcpTunnel*>(parked_)) tunnel->RefuseParked(Refusal::kUnreachable);
    parked_.clear();
  }
  if (destroying_) return;  // the destructor frees it
  if (current) listener_->OnLinkDown(reason, failure);
  // Its streams may still be on the stack: freed at the end of the turn.
  loop_->Defer([connection] { delete connection; });
}

void GatewayLink::SetToken(const std::string& token) {
  token_ = token;
  ready_ = connection_ != nullptr && connection_->up();
  auth_required_sent_ = false;
  std::vector<TcpTunnel*> parked;
  parked.swap(parked_);
  for (TcpTunnel* tunnel : parked) {
    if (!ready_ || !tunnel->Submit(connection_)) tunnel->RefuseParked(Refusal::kUnreachable);
  }
}

void GatewayLink::RenewalFailed() {
  auth_required_sent_ = false;
  std::vector<TcpTunnel*> parked;
  parked.swap(parked_);
  for (TcpTunnel* tunnel : parked) tunnel->RefuseParked(Refusal::kAuthRequired);
}

void GatewayLink::Park(TcpTunnel* tunnel) { parked_.push_back(tunnel); }

void GatewayLink::Unpark(TcpTunnel* tunnel) {
  parked_.erase(std::remove(parked_.begin(), parked_.end(), tunnel), parked_.end());
}

void GatewayLink::AuthRequired() {
  if (auth_required_sent_ || destroying_) return;
  auth_required_sent_ = true;
  listener_->OnAuthRequired();
}

bool GatewayLink::TakeResetToken() {
  const uint64_t now = loop_->Now();
  reset_tokens_ = std::min(kResetBurst, reset_tokens_ + static_cast<double>(now - reset_updated_ms_) *
                                                           kResetsPerSecond / 1000.0);
  reset_updated_ms_ = now;
  if (reset_tokens_ < 1) return false;
  reset_tokens_ -= 1;
  return true;
}

void GatewayLink::Request(uint64_t id, const std::string& method, const std::string& path,
                          const Headers& headers, const std::string& body) {
  if (connection_ == nullptr || !connection_->up()) {
    listener_->OnResponse(id, 0, {}, "", "not connected to the gateway");
    return;
  }
  const std::string method_name = ":method", path_name = ":path", scheme_name = ":scheme",
                    scheme = "https", authority_name = ":authority";
  std::vector<nghttp2_nv> nva = {
      core::MakeHeader(method_name, method), core::MakeHeader(path_name, path),
      core::MakeHeader(scheme_name, scheme),
      core::MakeHeader(authority_name, connection_->options().authority)};
  for (const auto& [name, value] : headers) nva.push_back(core::MakeHeader(name, value));
  auto* request = new ApiRequest(this, id, body);
  if (!request->Submit(connection_, nva)) {
    delete request;
    listener_->OnResponse(id, 0, {}, "", "the gateway connection refused a new request");
  }
}

void GatewayLink::Flush() {
  if (connection_ != nullptr) connection_->Flush();
  if (!connect_this_turn_ && !data_this_turn_) return;
  const uint64_t elapsed = core::EventLoop::MonotonicNs() - loop_->turn_started_ns();
  if (connect_this_turn_) RecordLatency(counters_, kLatencyConnectUpNs, elapsed);
  if (data_this_turn_) RecordLatency(counters_, kLatencyDataUpNs, elapsed);
  connect_this_turn_ = data_this_turn_ = false;
}

ByteStream* GatewayLink::OpenTcp(uint32_t address, uint16_t port, ByteStreamPeer* peer) {
  if (!ready_ || connection_ == nullptr) return nullptr;
  auto* tunnel = new TcpTunnel(this, peer, address, port);
  if (!tunnel->Submit(connection_)) {
    delete tunnel;
    return nullptr;
  }
  ConnectSubmitted();
  return tunnel;
}

DatagramStream* GatewayLink::OpenUdp(uint32_t address, uint16_t port, DatagramPeer* peer) {
  if (!ready_ || connection_ == nullptr) return nullptr;
  auto* tunnel = new DatagramTunnel(this, peer, connection_->options().datagram_queue);
  const std::string path = "/.well-known/masque/udp/" + core::Ipv4Text(address) + "/" + std::to_string(port) + "/";
  if (!tunnel->Submit(connection_, path, "connect-udp")) {
    delete tunnel;
    return nullptr;
  }
  return tunnel;
}

DatagramStream* GatewayLink::OpenIcmp(DatagramPeer* peer) {
  if (!ready_ || connection_ == nullptr) return nullptr;
  auto* tunnel = new DatagramTunnel(this, peer, connection_->options().datagram_queue);
  if (!tunnel->Submit(connection_, "/.well-known/masque/ip/*/1/", "connect-ip")) {
    delete tunnel;
    return nullptr;
  }
  return tunnel;
}

}  // namespace passerelle::client
