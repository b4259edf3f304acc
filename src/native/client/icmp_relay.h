// ICMP echo through one connect-ip stream (RFC 9484, ipproto 1) for the whole session: echo
// requests go up as whole IPv4 packets; what comes back (echo replies, "administratively
// prohibited" for denied targets) is checked (IPv4, ICMP, addressed to A) and written to the
// TUN as it is.
#pragma once

#include <cstddef>
#include <cstdint>

#include "counters.h"
#include "packet.h"
#include "packet_output.h"
#include "tun_device.h"
#include "tunnel.h"

namespace passerelle::client {

class IcmpRelay final : public DatagramPeer {
 public:
  IcmpRelay(Tunnel* tunnel, PacketOutput* output, core::Counters* counters, uint32_t address)
      : tunnel_(tunnel), output_(output), counters_(counters), address_(address) {}
  ~IcmpRelay() override { Close(); }

  void OnEchoRequest(TunPacket& packet, const core::Ipv4Header& ip);
  void Close();

  void OnRefused(Refusal refusal, int status) override;
  void OnDatagram(const uint8_t* payload, size_t length) override;
  void OnMalformed() override;
  void OnClosed() override;

 private:
  void Forget();

  Tunnel* tunnel_;
  PacketOutput* output_;
  core::Counters* counters_;
  uint32_t address_;
  DatagramStream* stream_ = nullptr;
};

}  // namespace passerelle::client
