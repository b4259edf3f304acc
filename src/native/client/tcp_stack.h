// Local TCP termination on the host's own TCP stack (DESIGN §3, the "system stack"). An
// application's SYN A:p → D:q is held while the tunnel opens a stream to D:q; once the real
// target accepted, the SYN is rewritten to B:n → A:L and handed to one of our listeners, so the
// kernel runs the TCP state machine; the listener's answers A:L → B:n are rewritten back to
// D:q → A:p. The accepted socket is spliced to the stream with back-pressure both ways: bytes
// from the target are written to the socket, and the stream's window opens only as they are;
// bytes from the application are read when the stream pulls them.
//
// Refused by policy or target → RST to the SYN (ECONNREFUSED at once); unreachable, timeout or
// no gateway → ICMP host unreachable: never a hang, never "connected, then reset". A target's
// reset reaches the application as a reset; an application's reset reaches the stream as one.
//
// Applications that give up (docs/architecture.md, bounds): Linux tells nobody when a socket
// in SYN-SENT is closed. So a held SYN is watched: an application still waiting retransmits it
// (after 1 s, then 2, 4, … s); after kProbeAfterMs of silence the flow sends a probe (an ACK of
// the SYN: a waiting socket drops it, a closed one answers with a reset) every kProbeIntervalMs,
// and abandons the flow at the reset, or after a silence longer than kSilenceFactor × the last
// gap between two SYNs (at least kSilenceMinMs), cancelling its stream (RST_STREAM CANCEL,
// within the reset budget). A flow answered after its application left is reaped when the
// application's kernel resets the listener's SYN-ACK, or kAcceptTimeoutMs after the answer.
// A pending flow waits at most kPendingTimeoutMs; accepted sockets use TCP keepalive
// (kKeepaliveIdleS) so a vanished application cannot hold its stream for ever; a closed
// flow's mapping lingers kLingerMs for the last ACKs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "byte_queue.h"
#include "counters.h"
#include "loop.h"
#include "nat_table.h"
#include "packet.h"
#include "packet_output.h"
#include "tun_device.h"
#include "tunnel.h"

namespace passerelle::client {

class TcpFlow;

class TcpStack {
 public:
  static constexpr uint64_t kPendingTimeoutMs = 60000;
  static constexpr uint64_t kProbeAfterMs = 1500;
  static constexpr uint64_t kProbeIntervalMs = 1000;
  static constexpr uint64_t kSilenceMinMs = 5000;
  static constexpr double kSilenceFactor = 2.5;
  static constexpr uint64_t kAcceptTimeoutMs = 10000;
  static constexpr int kKeepaliveIdleS = 60;
  static constexpr uint64_t kLingerMs = 30000;

  struct Options {
    uint32_t address = 0;        // A, where the listeners bind (assigned to the TUN by then)
    uint32_t spare_address = 0;  // B, routed to the TUN, never assigned
    uint32_t listeners = 4;
    // Bytes from the target queued for a slow application before the stream's window stops
    // opening (the stream's own window bounds it too).
    size_t queue_limit = 16 << 20;
  };

  TcpStack(core::EventLoop* loop, Tunnel* tunnel, PacketOutput* output, core::Counters* counters,
           Options options);
  ~TcpStack();
  TcpStack(const TcpStack&) = delete;
  TcpStack& operator=(const TcpStack&) = delete;

  // Opens the listeners on A. False with *error when that fails (A not assigned yet, ...).
  bool Listen(std::string* error);
  const std::vector<uint16_t>& listener_ports() const { return listener_ports_; }

  // One TCP packet read from the TUN, its headers accepted.
  void OnPacket(TunPacket& packet, const core::Ipv4Header& ip, const core::TcpHeader& tcp);

  // Ends every flow: pending ones are answered unreachable, open ones closed.
  void EndFlows();
  // Ends every flow and closes the listeners.
  void CloseAll();

  size_t flows() const { return nat_.linked(); }
  uint32_t free_slots() const { return nat_.available(); }

 private:
  friend class TcpFlow;
  class Listener;

  void StartFlow(TunPacket& packet, const core::Ipv4Header& ip, const FlowKey& key);
  void SendReset(const uint8_t* offending, size_t length);
  void SendProbe(const uint8_t* syn, size_t length);
  void SendUnreachable(const uint8_t* offending, size_t length, uint32_t from);
  void OnAccept(uint32_t listener, int fd, uint16_t peer_port);
  int ListenerIndex(uint16_t port) const;
  // Frees the flow's slot and the flow itself (at the end of the turn).
  void Release(TcpFlow* flow);

  core::EventLoop* loop_;
  Tunnel* tunnel_;
  PacketOutput* output_;
  core::Counters* counters_;
  Options options_;
  NatTable<TcpFlow> nat_;
  core::BlockPool pool_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<uint16_t> listener_ports_;
  bool destroying_ = false;
};

}  // namespace passerelle::client
