// IPv4, TCP, UDP and ICMP as the data planes see them: parse and validate headers of untrusted
// packets, rewrite a flow's endpoints in place with incremental checksums, and build the few
// packets a data plane writes itself (a TCP reset, an ICMP error, a UDP datagram, an ICMP echo).
//
// Promises:
// - Parsers never read outside [packet, packet + length), never throw, never allocate, and
//   return a PacketError saying why a packet is refused (named by PacketErrorName for counters).
// - Builders write into caller-provided memory, return the bytes written, and 0 when there is
//   nothing to send or the output does not fit.
// - Addresses are 32-bit numbers in host order (198.18.0.10 is 0xc612000a).
// - Nothing here knows about flows, NAT tables or tunnels.
#pragma once

#include <cstddef>
#include <cstdint>

namespace passerelle::core {

constexpr uint8_t kProtocolIcmp = 1;
constexpr uint8_t kProtocolTcp = 6;
constexpr uint8_t kProtocolUdp = 17;
constexpr size_t kIpv4HeaderLength = 20;
constexpr size_t kTcpHeaderLength = 20;
constexpr size_t kUdpHeaderLength = 8;
constexpr size_t kIcmpHeaderLength = 8;
constexpr size_t kMaxIpv4Packet = 65535;

enum class PacketError : uint8_t {
  kNone = 0,
  kTruncated,
  kNotIpv4,
  kBadHeaderLength,
  kBadTotalLength,
  kBadChecksum,
  kFragment,
  kBadLength,
  kWrongProtocol,
};

// "truncated", "not-ipv4", "bad-header-length", ...: stable names for counters and logs.
const char* PacketErrorName(PacketError error);

struct Ipv4Header {
  uint8_t header_length = 0;  // IHL × 4: 20, up to 60 with options
  uint8_t tos = 0;
  uint16_t total_length = 0;  // of the datagram, from the header; bytes beyond it are ignored
  uint16_t identification = 0;
  bool dont_fragment = false;
  uint8_t ttl = 0;
  uint8_t protocol = 0;
  uint32_t source = 0;
  uint32_t destination = 0;

  size_t payload_length() const { return total_length - header_length; }
};

// Validates the IPv4 header at the start of `packet`. Options are accepted and skipped;
// fragments are refused (the data planes carry whole datagrams only).
PacketError ParseIpv4(const uint8_t* packet, size_t length, Ipv4Header* out);

struct TcpHeader {
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint32_t sequence = 0;
  uint32_t acknowledgment = 0;
  uint8_t header_length = 0;  // data offset × 4
  uint8_t flags = 0;
  uint16_t window = 0;
  size_t payload_offset = 0;  // from the start of the IP packet
  size_t payload_length = 0;

  bool syn() const { return flags & 0x02; }
  bool ack() const { return flags & 0x10; }
  bool fin() const { return flags & 0x01; }
  bool rst() const { return flags & 0x04; }
};

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpAck = 0x10;

// The TCP header of a packet whose IPv4 header `ip` was accepted. The checksum is not verified:
// the NAT updates it incrementally, so a corrupted segment keeps a wrong checksum and the
// receiving stack drops it.
PacketError ParseTcp(const uint8_t* packet, const Ipv4Header& ip, TcpHeader* out);

struct UdpHeader {
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint16_t length = 0;  // header + payload
  size_t payload_offset = 0;
  size_t payload_length = 0;
};

// The UDP header of an accepted IPv4 packet. The UDP length wins when shorter than the IP
// payload and refuses the datagram when longer. With `verify_checksum` a non-zero checksum is
// checked: the payload is about to travel on in a new packet, so corruption must stop here.
// (A TUN with checksum offload hands over the local stack's datagrams with a partial checksum:
// those are not corrupt and are not verified.)
PacketError ParseUdp(const uint8_t* packet, const Ipv4Header& ip, bool verify_checksum,
                     UdpHeader* out);

struct IcmpHeader {
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t identifier = 0;  // echo request and reply
  uint16_t sequence = 0;
  size_t payload_offset = 0;
  size_t payload_length = 0;
};

constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpUnreachable = 3;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint8_t kUnreachableNetwork = 0;
constexpr uint8_t kUnreachableHost = 1;
constexpr uint8_t kUnreachablePort = 3;
constexpr uint8_t kUnreachableProhibited = 13;

// The ICMP header of an accepted IPv4 packet; the checksum over the whole message is verified.
PacketError ParseIcmp(const uint8_t* packet, const Ipv4Header& ip, IcmpHeader* out);

// How the transport checksum of a packet is kept.
enum class ChecksumState : uint8_t {
  kComplete,  // a normal, complete checksum
  kPartial,   // Linux CHECKSUM_PARTIAL: the field holds the pseudo-header sum only
};

// Replaces both addresses and ports of an accepted IPv4 TCP (checksum at +16) or UDP (+6)
// packet, updating the IP and transport checksums incrementally. A UDP checksum of 0 ("none")
// stays 0.
void RewriteEndpoints(uint8_t* packet, const Ipv4Header& ip, uint32_t source,
                      uint16_t source_port, uint32_t destination, uint16_t destination_port,
                      ChecksumState state);

// Replaces the addresses of an accepted IPv4 packet (IP checksum only: enough for ICMP).
void RewriteAddresses(uint8_t* packet, uint32_t source, uint32_t destination);

// Turns a partial transport checksum (see ChecksumState) into a complete one. `offset` is where
// the checksummed part starts (the transport header), `field` the checksum's position from
// there. Returns false when the offsets do not fit the packet.
bool CompleteChecksum(uint8_t* packet, size_t length, size_t offset, size_t field);

// Writes a 20-byte IPv4 header with its checksum (identification 0, DF, TTL 64).
void WriteIpv4Header(uint8_t* out, uint32_t source, uint32_t destination, uint8_t protocol,
                     uint16_t total_length, uint8_t tos = 0);

// The reset a host sends for a segment nobody accepts (RFC 9293 §3.10.7.1): for a SYN, RST|ACK
// acknowledging it (connect() fails at once with ECONNREFUSED); for a segment with ACK, a bare
// RST at that acknowledgment. Needs 40 bytes. 0 for anything that is not a valid IPv4 TCP
// packet, and for a reset (never answered).
size_t BuildTcpReset(const uint8_t* offending, size_t length, uint8_t* out, size_t capacity);

// The probe sent to an application whose SYN is held, to learn whether it still waits
// (RFC 9293 §3.10.7.3): an ACK of that SYN (acknowledgment = its sequence + 1), without SYN,
// from the SYN's destination to its source. A socket still in SYN-SENT finds it acceptable and
// drops it silently; a closed one (Linux says nothing when a SYN-SENT socket is closed) leaves
// a host that answers with a reset. Needs 40 bytes; 0 when `syn` is not a valid IPv4 TCP SYN.
size_t BuildTcpSynProbe(const uint8_t* syn, size_t length, uint8_t* out, size_t capacity);

// Destination Unreachable (type 3, `code`) from `source` quoting `offending`'s IP header and
// the first 8 bytes of its payload. 0 when RFC 1122 §3.2.2 forbids an error (an ICMP error,
// from or to no single host). Needs at most 96 bytes.
size_t BuildIcmpUnreachable(const uint8_t* offending, size_t length, uint32_t source,
                            uint8_t code, uint8_t* out, size_t capacity);
constexpr size_t kMaxIcmpUnreachable = kIpv4HeaderLength + kIcmpHeaderLength + 60 + 8;

// A complete IPv4 UDP packet with correct checksums. 0 when it does not fit `capacity` or the
// payload is over 65,507 bytes.
size_t BuildUdpPacket(uint32_t source, uint16_t source_port, uint32_t destination,
                      uint16_t destination_port, const uint8_t* payload, size_t payload_length,
                      uint8_t* out, size_t capacity);

// A complete IPv4 ICMP echo request (type 8) or reply (type 0). 0 when it does not fit.
size_t BuildIcmpEcho(uint8_t type, uint32_t source, uint32_t destination, uint16_t identifier,
                     uint16_t sequence, const uint8_t* data, size_t data_length, uint8_t* out,
                     size_t capacity);

inline bool IsMulticastOrBroadcast(uint32_t address) {
  return (address >> 28) == 0xe || address == 0xffffffffu;
}

}  // namespace passerelle::core
