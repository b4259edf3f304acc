// UDP through connect-udp (RFC 9298): one datagram stream per application flow (its address,
// port and destination), opened on the first datagram and closed after the idle timeout.
// Datagrams are sent before the gateway answered (it holds them until it judged the flow), so
// a DNS query costs one round trip. A refusal becomes an ICMP error to the application (403:
// administratively prohibited; otherwise port unreachable), except 407 (our session ended:
// the application's retry opens a new flow once JavaScript renewed it).
//
// Bounds: at most `max_flows` flows (past it, datagrams of new flows are dropped and counted);
// each stream's send queue is bounded by the tunnel (a full queue drops and counts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "counters.h"
#include "loop.h"
#include "nat_table.h"
#include "packet.h"
#include "packet_output.h"
#include "tun_device.h"
#include "tunnel.h"

namespace passerelle::client {

class UdpFlows {
 public:
  struct Options {
    uint64_t idle_ms = 60000;
    size_t max_flows = 8192;
  };

  UdpFlows(core::EventLoop* loop, Tunnel* tunnel, PacketOutput* output, core::Counters* counters,
           Options options);
  ~UdpFlows();
  UdpFlows(const UdpFlows&) = delete;
  UdpFlows& operator=(const UdpFlows&) = delete;

  void OnPacket(TunPacket& packet, const core::Ipv4Header& ip, const core::UdpHeader& udp);
  void set_idle_ms(uint64_t idle_ms) { options_.idle_ms = idle_ms; }
  // Ends every flow (the gateway is gone, or disconnect).
  void CloseAll();
  size_t flows() const { return flows_.size(); }

 private:
  class Flow;
  void Forget(Flow* flow);

  core::EventLoop* loop_;
  Tunnel* tunnel_;
  PacketOutput* output_;
  core::Counters* counters_;
  Options options_;
  std::unordered_map<FlowKey, Flow*, FlowKeyHash> flows_;
  bool destroying_ = false;
};

}  // namespace passerelle::client
