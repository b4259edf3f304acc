#include "packet_router.h"

#include "packet.h"
#include "stats.h"

namespace passerelle::client {

namespace {

Stat IpDrop(core::PacketError error) {
  switch (error) {
    case core::PacketError::kNotIpv4:
      return kDropIpNotIpv4;
    case core::PacketError::kBadHeaderLength:
      return kDropIpBadHeaderLength;
    case core::PacketError::kBadTotalLength:
      return kDropIpBadTotalLength;
    case core::PacketError::kBadChecksum:
      return kDropIpBadChecksum;
    case core::PacketError::kFragment:
      return kDropIpFragment;
    default:
      return kDropIpTruncated;
  }
}

}  // namespace

bool PacketRouter::OffloadHeaderFits(const TunPacket& packet, const core::Ipv4Header& ip) const {
  const VnetHeader* vnet = packet.vnet;
  if (vnet == nullptr) return true;
  const uint8_t gso = vnet->gso_type & static_cast<uint8_t>(~kGsoEcn);
  if (gso != kGsoNone && (gso != kGsoTcpV4 || ip.protocol != core::kProtocolTcp)) return false;
  if ((vnet->flags & kVnetNeedsChecksum) == 0) return true;
  // A partial checksum must be the transport's own field: TCP at +16, UDP at +6.
  const uint16_t field = ip.protocol == core::kProtocolTcp ? 16 : ip.protocol == core::kProtocolUdp ? 6 : 0;
  return field != 0 && vnet->checksum_start == ip.header_length && vnet->checksum_offset == field;
}

void PacketRouter::OnTunPacket(TunPacket& packet) {
  counters_->Add(kTunPacketsIn);
  core::Ipv4Header ip;
  const core::PacketError error = core::ParseIpv4(packet.data, packet.length, &ip);
  if (error != core::PacketError::kNone) {
    counters_->Add(IpDrop(error));
    return;
  }
  if (core::IsMulticastOrBroadcast(ip.destination)) {
    counters_->Add(kDropIpMulticastOrBroadcast);
    return;
  }
  if (!OffloadHeaderFits(packet, ip)) {
    counters_->Add(kDropTunBadVnetHeader);
    return;
  }
  switch (ip.protocol) {
    case core::kProtocolTcp: {
      core::TcpHeader tcp;
      const core::PacketError e = core::ParseTcp(packet.data, ip, &tcp);
      if (e != core::PacketError::kNone) {
        counters_->Add(e == core::PacketError::kTruncated ? kDropTcpTruncated : kDropTcpBadHeaderLength);
        return;
      }
      tcp_->OnPacket(packet, ip, tcp);
      return;
    }
    case core::kProtocolUdp: {
      core::UdpHeader udp;
      // A partial checksum comes from the local stack: nothing to verify.
      const core::PacketError e = core::ParseUdp(packet.data, ip, !packet.partial_checksum(), &udp);
      if (e != core::PacketError::kNone) {
        counters_->Add(e == core::PacketError::kTruncated   ? kDropUdpTruncated
                       : e == core::PacketError::kBadLength ? kDropUdpBadLength
                                                             : kDropUdpBadChecksum);
        return;
      }
      udp_->OnPacket(packet, ip, udp);
      return;
    }
    case core::kProtocolIcmp: {
      core::IcmpHeader icmp;
      const core::PacketError e = core::ParseIcmp(packet.data, ip, &icmp);
      if (e != core::PacketError::kNone) {
        counters_->Add(e == core::PacketError::kTruncated ? kDropIcmpTruncated : kDropIcmpBadChecksum);
        return;
      }
      if (icmp.type != core::kIcmpEchoRequest) {
        counters_->Add(kDropIcmpNotEchoRequest);
        return;
      }
      icmp_->OnEchoRequest(packet, ip);
      return;
    }
    default:
      counters_->Add(kDropIpUnsupportedProtocol);
  }
}

}  // namespace passerelle::client
