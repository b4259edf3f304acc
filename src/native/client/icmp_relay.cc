#include "icmp_relay.h"

#include <cstring>

#include "stats.h"

namespace passerelle::client {

void IcmpRelay::OnEchoRequest(TunPacket& packet, const core::Ipv4Header& ip) {
  if (stream_ == nullptr) {
    stream_ = tunnel_->OpenIcmp(this);
    if (stream_ == nullptr) {
      // No gateway right now (reconnecting): dropped, as on a link that is down.
      counters_->Add(kDropIcmpNoGateway);
      return;
    }
    counters_->Add(kIcmpOpen);
    counters_->Add(kIcmpTotal);
  }
  if (!stream_->Send(packet.data, ip.total_length)) {
    counters_->Add(kDropIcmpQueueFull);
    return;
  }
  counters_->Add(kBytesOut, ip.total_length);
}

void IcmpRelay::OnDatagram(const uint8_t* payload, size_t length) {
  core::Ipv4Header ip;
  core::IcmpHeader icmp;
  // Only well-formed ICMP for this host goes into the TUN.
  if (core::ParseIpv4(payload, length, &ip) != core::PacketError::kNone ||
      ip.protocol != core::kProtocolIcmp || ip.destination != address_ ||
      core::ParseIcmp(payload, ip, &icmp) != core::PacketError::kNone ||
      (icmp.type != core::kIcmpEchoReply && icmp.type != core::kIcmpUnreachable)) {
    counters_->Add(kDropIcmpBadReply);
    return;
  }
  uint8_t* out = output_->Scratch();
  std::memcpy(out, payload, ip.total_length);
  counters_->Add(kBytesIn, ip.total_length);
  output_->Send(out, ip.total_length, false);
}

void IcmpRelay::OnRefused(Refusal, int) {
  counters_->Add(kDropIcmpRefused);
  stream_ = nullptr;
  Forget();
}

void IcmpRelay::OnMalformed() {
  counters_->Add(kDropIcmpBadCapsule);
  stream_ = nullptr;
  Forget();
}

void IcmpRelay::OnClosed() {
  stream_ = nullptr;
  Forget();
}

void IcmpRelay::Forget() { counters_->Subtract(kIcmpOpen); }

void IcmpRelay::Close() {
  if (stream_ == nullptr) return;
  stream_->Close();
  stream_ = nullptr;
  Forget();
}

}  // namespace passerelle::client
