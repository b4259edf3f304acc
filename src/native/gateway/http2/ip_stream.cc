// ICMP echo over connect-ip (RFC 9484, ipproto 1). The client sends whole IPv4 echo requests
// in DATAGRAM capsules; each is checked (from the session's intranet address, an echo request,
// inside the stream's target range, allowed by the policy) and sent by the worker's ICMP
// socket from the gateway's own address; the reply comes back as an IPv4 packet from the
// target to the client. A denied target gets ICMP "administratively prohibited" back, so ping
// reports it at once. Nothing is opened for the stream itself: no descriptor per stream.
#include <unordered_map>
#include <unordered_set>

#include "../flows/admission_steps.h"
#include "../flows/icmp_echo.h"
#include "../worker/worker.h"
#include "capsule.h"
#include "datagram_downlink.h"
#include "packet.h"
#include "streams.h"

namespace passerelle::gateway {

using control::CounterFamily;
using control::Limit;
using control::ProxyError;

namespace {

constexpr size_t kMaxIpCapsule = 65535 + 8;
// Destinations with their own flow record (an audit line each) per stream; past it the
// oldest record ends (its line is written) to make room.
constexpr size_t kMaxDestinations = 1024;

const char* IcmpDropKind(core::PacketError error) {
  switch (error) {
    case core::PacketError::kTruncated: return "icmp-truncated";
    case core::PacketError::kNotIpv4: return "icmp-not-ipv4";
    case core::PacketError::kBadHeaderLength: return "icmp-bad-header-length";
    case core::PacketError::kBadTotalLength: return "icmp-bad-total-length";
    case core::PacketError::kBadChecksum: return "icmp-bad-checksum";
    case core::PacketError::kFragment: return "icmp-fragment";
    case core::PacketError::kWrongProtocol: return "icmp-not-icmp";
    default: return "icmp-malformed";
  }
}

class IpStream : public Stream,
                 public admission::SessionMember,
                 public core::CapsuleReader::Sink,
                 public IcmpEcho::Listener {
 public:
  IpStream(Http2Front* front, int32_t id) : Stream(front, id), capsules_(kMaxIpCapsule) {}
  ~IpStream() override { Finish(); }

  void Start(admission::Session* session, const admission::MasqueTarget& target) {
    Worker& worker = front_->worker();
    if (target.ipproto != 1) {
      Refuse(501, ProxyError::kHttpRequestError, "only ICMP (ipproto 1) is served over connect-ip");
      return;
    }
    uint32_t network = 0;
    uint8_t prefix = 0;
    if (target.host != "*") {
      if (!admission::parse_ipv4_prefix(target.host, &network, &prefix)) {
        worker.events().Count(CounterFamily::kMalformed, "masque-path");
        Refuse(400, ProxyError::kHttpRequestError, "bad target " + target.host.substr(0, 50));
        return;
      }
    }
    scope_ = admission::Prefix{network, prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix)};
    const auto& rules = session->subject->rules;
    if (prefix == 32) {
      admission::Decision decision = admission::decide(*rules, worker.reserved().get(),
                                                       admission::Protocol::kIcmp, network, 0);
      if (!decision.allow) {
        FlowRecord record;
        record.Judge(session->handle, admission::Protocol::kIcmp, network, 0, decision, rules);
        record.Deny(&worker);
        Refuse(403, ProxyError::kDestinationIpProhibited, "not allowed by policy");
        return;
      }
    }
    // Nothing is set up for a user the policy lets ping nowhere in the scope: the stream would
    // only answer "prohibited" to every packet (issue #8).
    if (!admission::may_allow_icmp(*rules, scope_)) {
      FlowRecord record;
      record.Judge(session->handle, admission::Protocol::kIcmp, network, 0, admission::Decision{},
                   rules);
      record.Deny(&worker, prefix);
      Refuse(403, ProxyError::kDestinationIpProhibited, "not allowed by policy");
      return;
    }
    // A connect-ip stream counts as one flow socket, as the ICMP socket it once opened did.
    admission::DescriptorRefusal refused = slot_.Take(&worker, session);
    if (refused != admission::DescriptorRefusal::kNone) {
      Refusal refusal = DescriptorRefusalFor(&worker, refused);
      Refuse(refusal.status, refusal.error, refusal.details);
      return;
    }
    IcmpEcho* icmp = worker.icmp();
    if (icmp == nullptr) {
      slot_.Release();
      Refuse(502, ProxyError::kProxyInternalError, "the gateway has no ICMP socket");
      return;
    }
    const uint32_t cap = worker.settings().get(Limit::kStreamsPerSession);
    if (!reservation_.Take(session, cap)) {
      worker.events().Count(CounterFamily::kRefusedStreams, "streams-per-session");
      slot_.Release();
      Refuse(429, ProxyError::kProxyInternalError,
             "at most " + std::to_string(cap) + " flows per session");
      return;
    }
    session->Attach(this);
    session_handle_ = session->handle;
    has_client_address_ = session->has_intranet_ip;
    client_address_ = session->intranet_ip;
    owner_ = icmp->Register(this);
    state_ = State::kOpen;
    front_->Respond(id_, 200, {{"capsule-protocol", "?1"}}, this);
    Greet();
  }

  void OnData(const uint8_t* data, size_t length) override {
    front_->ConsumeStream(id_, length);
    if (state_ != State::kOpen) return;
    if (!capsules_.Feed(data, length, this)) {
      front_->worker().events().Count(CounterFamily::kMalformed, "capsule");
      Finish();
      front_->Reset(id_, NGHTTP2_PROTOCOL_ERROR);
    }
  }

  void OnDatagramCapsule(const uint8_t* value, size_t length) override {
    uint64_t context = 0;
    const uint8_t* packet = nullptr;
    size_t packet_length = 0;
    if (!core::SplitDatagram(value, length, &context, &packet, &packet_length) || context != 0) {
      Drop("icmp-context");
      return;
    }
    OnPacket(packet, packet_length);
  }

  void OnEndStream() override {
    if (state_ != State::kOpen) return;
    Finish();
    down_.End();
    Resume();
  }

  ssize_t ReadData(uint8_t* buffer, size_t length, uint32_t* flags) override {
    return down_.Read(buffer, length, flags);
  }

  void OnEchoReply(uint32_t source, uint32_t client_address, uint16_t identifier,
                   uint16_t sequence, const uint8_t* data, size_t length) override {
    if (state_ != State::kOpen) return;
    auto it = records_.find(source);
    if (it != records_.end()) it->second->bytes_down += length + core::kIcmpHeaderLength;
    uint8_t* packet = front_->worker().scratch();
    size_t size = core::BuildIcmpEcho(core::kIcmpEchoReply, source, client_address, identifier,
                                      sequence, data, length, packet, Worker::kScratchSize);
    if (size > 0) SendToClient(packet, size);
  }

  void OnClose(uint32_t) override { Finish(); }
  void OnConnectionClosing() override { Finish(); }
  void OnSessionEnded() override {
    front_->Reset(id_, NGHTTP2_CANCEL);
    Finish();
  }

 private:
  enum class State : uint8_t { kNew, kOpen, kDone };

  void Refuse(uint16_t status, ProxyError error, const std::string& details) {
    state_ = State::kDone;
    front_->Refuse(id_, status, static_cast<uint8_t>(error), details);
  }

  void Drop(const char* kind) {
    front_->worker().events().Count(CounterFamily::kMalformed, kind);
  }

  // RFC 9484 §4.7: the client's address and where it may send.
  void Greet() {
    core::BlockPool* pool = &front_->worker().pool();
    if (has_client_address_) {
      uint8_t value[7] = {0, 4,
                          static_cast<uint8_t>(client_address_ >> 24),
                          static_cast<uint8_t>(client_address_ >> 16),
                          static_cast<uint8_t>(client_address_ >> 8),
                          static_cast<uint8_t>(client_address_), 32};
      down_.QueueCapsule(pool, core::kCapsuleAddressAssign, value, sizeof value);
    }
    const uint32_t first = scope_.network;
    const uint32_t last = scope_.network | ~scope_.mask;
    uint8_t range[10] = {4,
                         static_cast<uint8_t>(first >> 24), static_cast<uint8_t>(first >> 16),
                         static_cast<uint8_t>(first >> 8), static_cast<uint8_t>(first),
                         static_cast<uint8_t>(last >> 24), static_cast<uint8_t>(last >> 16),
                         static_cast<uint8_t>(last >> 8), static_cast<uint8_t>(last), 1};
    down_.QueueCapsule(pool, core::kCapsuleRouteAdvertisement, range, sizeof range);
    Resume();
  }

  void OnPacket(const uint8_t* packet, size_t length) {
    core::Ipv4Header ip;
    core::PacketError error = core::ParseIpv4(packet, length, &ip);
    if (error != core::PacketError::kNone) {
      Drop(IcmpDropKind(error));
      return;
    }
    if (has_client_address_ && ip.source != client_address_) {
      Drop("icmp-spoofed-source");
      return;
    }
    core::IcmpHeader icmp;
    error = core::ParseIcmp(packet, ip, &icmp);
    if (error != core::PacketError::kNone) {
      Drop(IcmpDropKind(error));
      return;
    }
    if (icmp.type != core::kIcmpEchoRequest) {
      Drop("icmp-not-echo-request");
      return;
    }
    if (!scope_.contains(ip.destination)) {
      Drop("icmp-outside-scope");
      return;
    }
    Worker& worker = front_->worker();
    admission::Session* session = this->session();
    if (session == nullptr) return;
    const auto& rules = session->subject->rules;
    admission::Decision decision = admission::decide(*rules, worker.reserved().get(),
                                                     admission::Protocol::kIcmp, ip.destination, 0);
    if (!decision.allow) {
      if (denied_once_.insert(ip.destination).second) {
        FlowRecord record;
        record.Judge(session_handle_, admission::Protocol::kIcmp, ip.destination, 0, decision,
                     rules);
        record.Deny(&worker);
      }
      uint8_t* out = worker.scratch();
      size_t n = core::BuildIcmpUnreachable(packet, ip.total_length, ip.destination,
                                            core::kUnreachableProhibited, out,
                                            core::kMaxIcmpUnreachable);
      if (n > 0) SendToClient(out, n);
      return;
    }
    FlowRecord* record = RecordFor(ip.destination, decision, rules);
    const uint8_t* message = packet + ip.header_length;
    const size_t message_length = ip.payload_length();
    switch (worker.icmp()->Send(owner_, ip.destination, ip.source, message, message_length)) {
      case IcmpEcho::SendResult::kSent:
        record->bytes_up += message_length;
        break;
      case IcmpEcho::SendResult::kTooMany:
        Drop("icmp-too-many-outstanding");
        break;
      case IcmpEcho::SendResult::kFailed:
        Drop("icmp-send-failed");
        break;
    }
  }

  FlowRecord* RecordFor(uint32_t destination, const admission::Decision& decision,
                        const std::shared_ptr<const admission::RuleSet>& rules) {
    auto it = records_.find(destination);
    if (it != records_.end()) return it->second.get();
    Worker& worker = front_->worker();
    if (records_.size() >= kMaxDestinations) {
      // Make room: the oldest destination's line is written now.
      uint32_t oldest = order_.front();
      order_.erase(order_.begin());
      auto old = records_.find(oldest);
      if (old != records_.end()) {
        old->second->End(&worker);
        records_.erase(old);
      }
    }
    auto record = std::make_unique<FlowRecord>();
    record->Judge(session_handle_, admission::Protocol::kIcmp, destination, 0, decision, rules);
    record->Open(&worker);
    FlowRecord* raw = record.get();
    records_.emplace(destination, std::move(record));
    order_.push_back(destination);
    return raw;
  }

  void SendToClient(const uint8_t* packet, size_t length) {
    if (state_ != State::kOpen) return;
    if (!down_.QueueDatagram(&front_->worker().pool(), packet, length)) {
      Drop("icmp-dropped-queue-full");
      return;
    }
    Resume();
  }

  void Resume() {
    if (down_.TakeResume()) front_->ResumeData(id_);
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    Worker& worker = front_->worker();
    if (owner_ != 0 && worker.icmp() != nullptr) worker.icmp()->Unregister(owner_);
    owner_ = 0;
    for (auto& [destination, record] : records_) record->End(&worker);
    records_.clear();
    order_.clear();
    if (state_ == State::kOpen) state_ = State::kDone;
    reservation_.Release();
    slot_.Release();
    DetachFromSession();
  }

  State state_ = State::kNew;
  bool finished_ = false;
  uint32_t session_handle_ = 0;
  bool has_client_address_ = false;
  uint32_t client_address_ = 0;
  admission::Prefix scope_{0, 0};
  uint64_t owner_ = 0;
  FlowReservation reservation_;
  DescriptorSlot slot_;
  core::CapsuleReader capsules_;
  std::unordered_map<uint32_t, std::unique_ptr<FlowRecord>> records_;
  std::vector<uint32_t> order_;
  std::unordered_set<uint32_t> denied_once_;
  DatagramDownlink down_;
};

}  // namespace

Stream* StartIpStream(Http2Front* front, int32_t id, admission::Session* session,
                      const admission::MasqueTarget& target) {
  auto* stream = new IpStream(front, id);
  front->Adopt(stream);
  stream->Start(session, target);
  return stream;
}

}  // namespace passerelle::gateway
