// The client's packet loop: each packet read from the TUN is parsed once and handed to TCP
// termination, the UDP flows or the ICMP relay. Malformed and unsupported packets are dropped
// and counted by reason; multicast and broadcast never enter a flow.
#pragma once

#include "counters.h"
#include "icmp_relay.h"
#include "tcp_stack.h"
#include "tun_device.h"
#include "udp_flows.h"

namespace passerelle::client {

class PacketRouter final : public TunVisitor {
 public:
  PacketRouter(TcpStack* tcp, UdpFlows* udp, IcmpRelay* icmp, core::Counters* counters)
      : tcp_(tcp), udp_(udp), icmp_(icmp), counters_(counters) {}

  void OnTunPacket(TunPacket& packet) override;

 private:
  // True when the offload header fits the packet (the kernel wrote it; checked anyway).
  bool OffloadHeaderFits(const TunPacket& packet, const core::Ipv4Header& ip) const;

  TcpStack* tcp_;
  UdpFlows* udp_;
  IcmpRelay* icmp_;
  core::Counters* counters_;
};

}  // namespace passerelle::client
