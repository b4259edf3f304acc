#include "link_streams.h"

#include <cstring>

#include "ipv4_text.h"

namespace passerelle::client {

namespace {

// Headers point at their name and value: both must outlive the submit call (literals, or
// strings the caller keeps). A temporary std::string would dangle: hence two overloads and no
// conversion from a literal to std::string.
nghttp2_nv Header(const char* name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), std::strlen(name),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}
nghttp2_nv Header(const char* name, const char* value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value)), std::strlen(name),
                    std::strlen(value), NGHTTP2_NV_FLAG_NONE};
}
nghttp2_nv Header(const char* name, std::string&& value) = delete;

// A stream whose application closed while its target keeps it open is reset after this long.
constexpr uint64_t kOrphanMs = 10000;

}  // namespace

Refusal ClassifyRefusal(int status, const std::string& proxy_status) {
  if (status == 407) return Refusal::kAuthRequired;
  // No route or no answer: "unreachable"; policy or target said no: "refused".
  if (proxy_status.find("error=destination_ip_unroutable") != std::string::npos ||
      proxy_status.find("error=connection_timeout") != std::string::npos ||
      proxy_status.find("error=dns_error") != std::string::npos || status == 0)
    return Refusal::kUnreachable;
  if (status == 403) return Refusal::kProhibited;
  return Refusal::kRefused;
}

// ---- TcpTunnel ------------------------------------------------------------------------------

TcpTunnel::TcpTunnel(GatewayLink* link, ByteStreamPeer* peer, uint32_t address, uint16_t port)
    : link_(link),
      peer_(peer),
      authority_(core::Ipv4Text(address) + ":" + std::to_string(port)),
      orphan_timer_([this] { OrphanCheck(); }) {}

TcpTunnel::~TcpTunnel() = default;

bool TcpTunnel::Submit(Connection* connection) {
  const std::string authorization = "Bearer " + link_->token();
  const std::vector<nghttp2_nv> headers = {
      Header(":method", "CONNECT"),
      Header(":authority", authority_),
      Header("authorization", authorization),
  };
  status_ = 0;
  proxy_status_.clear();
  const int32_t id = connection->Submit(headers, this, true);
  if (id <= 0) return false;
  connection_ = connection;
  id_ = id;
  state_ = State::kOpening;
  return true;
}

void TcpTunnel::OnHeader(const std::string& name, const std::string& value) {
  if (name == ":status") {
    status_ = std::atoi(value.c_str());
  } else if (name == "proxy-status") {
    proxy_status_ = value;
  }
}

void TcpTunnel::OnResponse() {
  if (state_ != State::kOpening) return;
  if (status_ >= 200 && status_ < 300) {
    state_ = State::kOpen;
    if (peer_ != nullptr) peer_->OnOpened();
    return;
  }
  const Refusal refusal = ClassifyRefusal(status_, proxy_status_);
  if (refusal == Refusal::kAuthRequired && peer_ != nullptr) {
    // Our session ended: the flow waits (its SYN held) for JavaScript to renew it, then opens
    // again on a new HTTP/2 stream. This one ends (the gateway ended its side with the 407).
    connection_->Unbind(id_, this);
    connection_ = nullptr;
    id_ = 0;
    state_ = State::kParked;
    link_->Park(this);
    link_->AuthRequired();
    return;
  }
  if (peer_ != nullptr) {
    ByteStreamPeer* peer = peer_;
    peer_ = nullptr;
    peer->OnRefused(refusal);
  }
  // Our side ends without a reset (the read callback says EOF without a peer); the object goes
  // when the stream closes.
  connection_->Resume(id_);
}

void TcpTunnel::OnData(const uint8_t* data, size_t length) {
  if (peer_ != nullptr && state_ == State::kOpen) {
    peer_->OnData(data, length);  // the peer calls Consumed() as it hands them on
    return;
  }
  // Nobody reads this flow any more: dropped, and its window stays closed (see
  // ConsumeConnection) until the reset or the end comes.
  connection_->ConsumeConnection(length);
}

void TcpTunnel::OnRemoteEnd() {
  remote_ended_ = true;
  link_->loop()->Disarm(&orphan_timer_);
  if (peer_ != nullptr && state_ == State::kOpen) peer_->OnEnd();
}

void TcpTunnel::OnClose(uint32_t error_code) {
  connection_ = nullptr;
  id_ = 0;
  if (peer_ != nullptr) {
    ByteStreamPeer* peer = peer_;
    peer_ = nullptr;
    if (state_ == State::kOpening) {
      peer->OnRefused(Refusal::kUnreachable);  // reset before any answer (REFUSED_STREAM, ...)
    } else {
      // A target's reset is RST_STREAM CONNECT_ERROR: the application must see a reset.
      peer->OnClosed(error_code != NGHTTP2_NO_ERROR || !remote_ended_);
    }
  }
  delete this;
}

ssize_t TcpTunnel::Read(uint8_t* buffer, size_t length, uint32_t* flags) {
  if (aborting_) return NGHTTP2_ERR_DEFERRED;  // a RST_STREAM is on its way
  if (peer_ == nullptr) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  if (state_ != State::kOpen) return NGHTTP2_ERR_DEFERRED;
  bool eof = false;
  const size_t got = peer_->Pull(buffer, length, &eof);
  if (got > 0) {
    if (!pulled_) {
      pulled_ = true;
      link_->FirstDataPulled();
    }
    return static_cast<ssize_t>(got);
  }
  if (aborting_) return NGHTTP2_ERR_DEFERRED;
  if (eof || peer_ == nullptr) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  return NGHTTP2_ERR_DEFERRED;
}

void TcpTunnel::OnConnectionLost() {
  connection_ = nullptr;
  id_ = 0;
  if (peer_ != nullptr) {
    ByteStreamPeer* peer = peer_;
    peer_ = nullptr;
    if (state_ == State::kOpen) {
      peer->OnClosed(true);
    } else {
      peer->OnRefused(Refusal::kUnreachable);
    }
  }
  delete this;
}

void TcpTunnel::RefuseParked(Refusal refusal) {
  ByteStreamPeer* peer = peer_;
  peer_ = nullptr;
  if (peer != nullptr) peer->OnRefused(refusal);
  delete this;
}

void TcpTunnel::ResumeSending() {
  if (connection_ != nullptr) connection_->Resume(id_);
}

void TcpTunnel::Consumed(size_t length) {
  if (connection_ != nullptr) connection_->Consume(id_, length);
}

void TcpTunnel::Abort() {
  peer_ = nullptr;
  if (state_ == State::kParked) {
    link_->Unpark(this);
    delete this;
    return;
  }
  if (connection_ == nullptr || aborting_) return;
  if (link_->TakeResetToken()) {
    aborting_ = true;
    connection_->Reset(id_, NGHTTP2_CANCEL);
    return;
  }
  // Past the reset budget: a graceful end; whatever still arrives is dropped.
  Detach();
}

void TcpTunnel::Detach() {
  peer_ = nullptr;
  if (state_ == State::kParked) {
    link_->Unpark(this);
    delete this;
    return;
  }
  if (connection_ == nullptr) return;
  connection_->Resume(id_);  // the read callback says EOF without a peer
  // A target that keeps talking to nobody is cut after a while.
  if (!remote_ended_ && !aborting_ && !orphan_timer_.armed()) link_->loop()->Arm(&orphan_timer_, kOrphanMs);
}

void TcpTunnel::OrphanCheck() {
  if (connection_ == nullptr || remote_ended_ || aborting_) return;
  if (link_->TakeResetToken()) {
    aborting_ = true;
    connection_->Reset(id_, NGHTTP2_CANCEL);
  } else {
    link_->loop()->Arm(&orphan_timer_, 1000);
  }
}

// ---- DatagramTunnel -------------------------------------------------------------------------

DatagramTunnel::DatagramTunnel(GatewayLink* link, DatagramPeer* peer, size_t queue_limit)
    : link_(link), peer_(peer), out_(&pool_, queue_limit) {}

DatagramTunnel::~DatagramTunnel() = default;

bool DatagramTunnel::Submit(Connection* connection, const std::string& path, const char* protocol) {
  const std::string authorization = "Bearer " + link_->token();
  const std::string& authority = connection->options().authority;
  const std::vector<nghttp2_nv> headers = {
      Header(":method", "CONNECT"),   Header(":protocol", protocol),
      Header(":scheme", "https"),     Header(":authority", authority),
      Header(":path", path),          Header("capsule-protocol", "?1"),
      Header("authorization", authorization),
  };
  const int32_t id = connection->Submit(headers, this, true);
  if (id <= 0) return false;
  connection_ = connection;
  id_ = id;
  return true;
}

bool DatagramTunnel::Send(const uint8_t* payload, size_t length) {
  if (connection_ == nullptr || closing_) return false;
  uint8_t header[core::kMaxDatagramHeader];
  const size_t header_length = core::WriteDatagramHeader(header, length);
  if (header_length == 0 || !out_.Fits(header_length + length)) return false;
  out_.Append(header, header_length);
  out_.Append(payload, length);
  connection_->Resume(id_);
  return true;
}

void DatagramTunnel::Close() {
  peer_ = nullptr;
  closing_ = true;
  if (connection_ != nullptr) connection_->Resume(id_);  // queued datagrams, then END_STREAM
}

void DatagramTunnel::OnHeader(const std::string& name, const std::string& value) {
  if (name == ":status") status_ = std::atoi(value.c_str());
}

void DatagramTunnel::OnResponse() {
  if (status_ >= 200 && status_ < 300) {
    if (peer_ != nullptr) peer_->OnOpened();
    return;
  }
  const Refusal refusal = status_ == 407 ? Refusal::kAuthRequired
                          : status_ == 403 ? Refusal::kProhibited
                                           : Refusal::kRefused;
  if (refusal == Refusal::kAuthRequired) link_->AuthRequired();
  out_.Clear();
  closing_ = true;
  if (peer_ != nullptr) {
    DatagramPeer* peer = peer_;
    peer_ = nullptr;
    peer->OnRefused(refusal, status_);
  }
  if (connection_ != nullptr) connection_->Resume(id_);
}

void DatagramTunnel::OnData(const uint8_t* data, size_t length) {
  if (peer_ != nullptr && !reader_.Feed(data, length, this) && peer_ != nullptr) {
    DatagramPeer* peer = peer_;
    peer_ = nullptr;
    closing_ = true;
    peer->OnMalformed();
    // Ended gracefully like any other flow (resets are budgeted); what follows is dropped.
    if (connection_ != nullptr) connection_->Resume(id_);
  }
  if (connection_ != nullptr) connection_->Consume(id_, length);
}

void DatagramTunnel::OnDatagramCapsule(const uint8_t* value, size_t length) {
  uint64_t context = 0;
  const uint8_t* payload = nullptr;
  size_t payload_length = 0;
  // Datagrams with another context ID than 0 are not ours to understand: dropped.
  if (!core::SplitDatagram(value, length, &context, &payload, &payload_length) || context != 0) return;
  if (peer_ != nullptr) peer_->OnDatagram(payload, payload_length);
}

void DatagramTunnel::OnRemoteEnd() {
  // The gateway ended the flow (its idle timeout): ours ends too.
  closing_ = true;
  if (peer_ != nullptr) {
    DatagramPeer* peer = peer_;
    peer_ = nullptr;
    peer->OnClosed();
  }
  if (connection_ != nullptr) connection_->Resume(id_);
}

void DatagramTunnel::OnClose(uint32_t) {
  connection_ = nullptr;
  if (peer_ != nullptr) {
    DatagramPeer* peer = peer_;
    peer_ = nullptr;
    if (status_ == 0) {
      peer->OnRefused(Refusal::kUnreachable, 0);
    } else {
      peer->OnClosed();
    }
  }
  delete this;
}

ssize_t DatagramTunnel::Read(uint8_t* buffer, size_t length, uint32_t* flags) {
  if (!out_.empty()) return static_cast<ssize_t>(out_.Read(buffer, length));
  if (closing_ || peer_ == nullptr) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  return NGHTTP2_ERR_DEFERRED;
}

void DatagramTunnel::OnConnectionLost() {
  connection_ = nullptr;
  if (peer_ != nullptr) {
    DatagramPeer* peer = peer_;
    peer_ = nullptr;
    peer->OnClosed();
  }
  delete this;
}

// ---- ApiRequest -----------------------------------------------------------------------------

bool ApiRequest::Submit(Connection* connection, const std::vector<nghttp2_nv>& headers) {
  const int32_t id = connection->Submit(headers, this, !body_.empty());
  if (id <= 0) return false;
  connection_ = connection;
  stream_ = id;
  return true;
}

void ApiRequest::OnHeader(const std::string& name, const std::string& value) {
  if (name == ":status") {
    status_ = std::atoi(value.c_str());
  } else if (name[0] != ':' && headers_.size() < 64) {
    headers_.emplace_back(name, value);
  }
}

void ApiRequest::OnData(const uint8_t* data, size_t length) {
  if (response_.size() + length > kMaxBody) {
    too_large_ = true;
    if (connection_ != nullptr) connection_->Reset(stream_, NGHTTP2_CANCEL);
  } else {
    response_.append(reinterpret_cast<const char*>(data), length);
  }
  if (connection_ != nullptr) connection_->Consume(stream_, length);
}

void ApiRequest::OnClose(uint32_t error_code) {
  std::string error;
  if (too_large_) {
    error = "the gateway's answer is larger than 1 MiB";
  } else if (error_code != NGHTTP2_NO_ERROR) {
    error = std::string("the gateway reset the request (") + nghttp2_http2_strerror(error_code) + ")";
  }
  link_->listener()->OnResponse(id_, status_, headers_, response_, error);
  delete this;
}

ssize_t ApiRequest::Read(uint8_t* buffer, size_t length, uint32_t* flags) {
  size_t n = body_.size() - sent_;
  if (n > length) n = length;
  std::memcpy(buffer, body_.data() + sent_, n);
  sent_ += n;
  if (sent_ == body_.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

void ApiRequest::OnConnectionLost() {
  link_->listener()->OnResponse(id_, 0, {}, "", "the connection to the gateway closed");
  delete this;
}

}  // namespace passerelle::client
