// What the client's packet side (TCP termination, UDP flows, the ICMP relay) needs from the
// gateway, and what it offers back: byte streams for TCP, datagram streams for UDP and ICMP.
// The packet side knows nothing of HTTP/2, tokens or sessions (sing-tun's Handler idea); the
// gateway link (gateway_link.h) implements Tunnel with CONNECT, connect-udp and connect-ip
// streams, and tests implement it in memory.
//
// Lifetimes: a stream object belongs to the tunnel. The peer hears exactly one final call
// (OnClosed / OnRefused) after which it must forget the stream; a peer that goes away first
// calls Detach()/Close(), after which the stream never calls it again. A peer may call into its
// stream at any time, from within the stream's own callbacks too (the stream defers what cannot
// be done there); Open*() never calls the peer before it returns.
#pragma once

#include <cstddef>
#include <cstdint>

namespace passerelle::client {

// Why the gateway did not open a flow, as the application should see it.
enum class Refusal : uint8_t {
  kRefused,       // policy or target said no: "connection refused" (RST to a SYN)
  kProhibited,    // policy said no (403): for UDP/ICMP, "administratively prohibited"
  kUnreachable,   // no route, timeout, name error, lost gateway: ICMP host unreachable
  kAuthRequired,  // 407: our session ended; JavaScript renews it
  kNoGateway,     // not connected right now (reconnecting)
};

class ByteStreamPeer {
 public:
  virtual ~ByteStreamPeer() = default;
  // The real target accepted (the gateway answered 2xx).
  virtual void OnOpened() = 0;
  // Final: the flow was not opened.
  virtual void OnRefused(Refusal refusal) = 0;
  // Bytes from the target. The peer takes them all (writes or queues them) and reports
  // ByteStream::Consumed() once they are handed on, which opens the flow-control window.
  virtual void OnData(const uint8_t* data, size_t length) = 0;
  // The target finished sending (a FIN to pass on once queued bytes are written).
  virtual void OnEnd() = 0;
  // Final: the stream is over; `reset` when it ended abnormally (a target's reset, the gateway
  // gone), which the application must see as a reset.
  virtual void OnClosed(bool reset) = 0;
  // The stream pulls bytes to send: returns > 0 bytes, or 0 with `*eof` (the application
  // finished sending) or without (nothing now: the peer calls ResumeSending() later).
  virtual size_t Pull(uint8_t* buffer, size_t length, bool* eof) = 0;
};

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual void ResumeSending() = 0;
  virtual void Consumed(size_t length) = 0;
  // The application aborted: reset the stream (within the reset budget), then as Detach().
  virtual void Abort() = 0;
  // The peer goes away: no more calls to it; the stream ends gracefully if still open and
  // whatever else arrives is dropped.
  virtual void Detach() = 0;
};

class DatagramPeer {
 public:
  virtual ~DatagramPeer() = default;
  virtual void OnOpened() {}
  // Final. `status` is the gateway's HTTP status (0 when there was none).
  virtual void OnRefused(Refusal refusal, int status) = 0;
  virtual void OnDatagram(const uint8_t* payload, size_t length) = 0;
  // Final: the gateway sent something that is not a capsule stream (counted by the peer).
  virtual void OnMalformed() = 0;
  // Final: the stream ended.
  virtual void OnClosed() = 0;
};

class DatagramStream {
 public:
  virtual ~DatagramStream() = default;
  // Queues one datagram (sent before the gateway's answer too: it holds them until it judged
  // the flow). False when the queue is full: the datagram is dropped.
  virtual bool Send(const uint8_t* payload, size_t length) = 0;
  // The peer goes away: no more calls to it; the stream ends gracefully.
  virtual void Close() = 0;
};

class Tunnel {
 public:
  virtual ~Tunnel() = default;
  // Null when there is no gateway to ask right now (the caller answers the application as
  // unreachable or drops). Addresses in host order.
  virtual ByteStream* OpenTcp(uint32_t address, uint16_t port, ByteStreamPeer* peer) = 0;
  virtual DatagramStream* OpenUdp(uint32_t address, uint16_t port, DatagramPeer* peer) = 0;
  // One connect-ip stream for ICMP echo (ipproto 1, any target the policy allows).
  virtual DatagramStream* OpenIcmp(DatagramPeer* peer) = 0;
};

}  // namespace passerelle::client
