#include "packet.h"

#include <cstring>

#include "bytes.h"
#include "checksum.h"

namespace passerelle::core {

const char* PacketErrorName(PacketError error) {
  switch (error) {
    case PacketError::kNone:
      return "none";
    case PacketError::kTruncated:
      return "truncated";
    case PacketError::kNotIpv4:
      return "not-ipv4";
    case PacketError::kBadHeaderLength:
      return "bad-header-length";
    case PacketError::kBadTotalLength:
      return "bad-total-length";
    case PacketError::kBadChecksum:
      return "bad-checksum";
    case PacketError::kFragment:
      return "fragment";
    case PacketError::kBadLength:
      return "bad-length";
    case PacketError::kWrongProtocol:
      return "wrong-protocol";
  }
  return "unknown";
}

PacketError ParseIpv4(const uint8_t* packet, size_t length, Ipv4Header* out) {
  if (length < 1) return PacketError::kTruncated;
  if ((packet[0] >> 4) != 4) return PacketError::kNotIpv4;
  if (length < kIpv4HeaderLength) return PacketError::kTruncated;
  const size_t header_length = static_cast<size_t>(packet[0] & 0x0f) * 4;
  if (header_length < kIpv4HeaderLength) return PacketError::kBadHeaderLength;
  if (header_length > length) return PacketError::kTruncated;
  const uint16_t total_length = Load16(packet + 2);
  if (total_length < header_length) return PacketError::kBadTotalLength;
  if (total_length > length) return PacketError::kTruncated;
  // Before the fragment bits, so a corrupted header is reported as such.
  if (!IsChecksumValid(packet, header_length)) return PacketError::kBadChecksum;
  const uint16_t flags_and_offset = Load16(packet + 6);
  if ((flags_and_offset & 0x2000) != 0 || (flags_and_offset & 0x1fff) != 0)
    return PacketError::kFragment;
  out->header_length = static_cast<uint8_t>(header_length);
  out->tos = packet[1];
  out->total_length = total_length;
  out->identification = Load16(packet + 4);
  out->dont_fragment = (flags_and_offset & 0x4000) != 0;
  out->ttl = packet[8];
  out->protocol = packet[9];
  out->source = Load32(packet + 12);
  out->destination = Load32(packet + 16);
  return PacketError::kNone;
}

PacketError ParseTcp(const uint8_t* packet, const Ipv4Header& ip, TcpHeader* out) {
  if (ip.protocol != kProtocolTcp) return PacketError::kWrongProtocol;
  const uint8_t* t = packet + ip.header_length;
  const size_t segment_length = ip.payload_length();
  if (segment_length < kTcpHeaderLength) return PacketError::kTruncated;
  const size_t header_length = static_cast<size_t>(t[12] >> 4) * 4;
  if (header_length < kTcpHeaderLength || header_length > segment_length)
    return PacketError::kBadHeaderLength;
  out->source_port = Load16(t);
  out->destination_port = Load16(t + 2);
  out->sequence = Load32(t + 4);
  out->acknowledgment = Load32(t + 8);
  out->header_length = static_cast<uint8_t>(header_length);
  out->flags = t[13];
  out->window = Load16(t + 14);
  out->payload_offset = ip.header_length + header_length;
  out->payload_length = segment_length - header_length;
  return PacketError::kNone;
}

PacketError ParseUdp(const uint8_t* packet, const Ipv4Header& ip, bool verify_checksum,
                     UdpHeader* out) {
  if (ip.protocol != kProtocolUdp) return PacketError::kWrongProtocol;
  const uint8_t* u = packet + ip.header_length;
  if (ip.payload_length() < kUdpHeaderLength) return PacketError::kTruncated;
  const uint16_t length = Load16(u + 4);
  if (length < kUdpHeaderLength || length > ip.payload_length()) return PacketError::kBadLength;
  const uint16_t checksum = Load16(u + 6);
  if (verify_checksum && checksum != 0 &&
      !IsChecksumValid(u, length, PseudoHeaderSum(ip.source, ip.destination, kProtocolUdp, length)))
    return PacketError::kBadChecksum;
  out->source_port = Load16(u);
  out->destination_port = Load16(u + 2);
  out->length = length;
  out->payload_offset = ip.header_length + kUdpHeaderLength;
  out->payload_length = length - kUdpHeaderLength;
  return PacketError::kNone;
}

PacketError ParseIcmp(const uint8_t* packet, const Ipv4Header& ip, IcmpHeader* out) {
  if (ip.protocol != kProtocolIcmp) return PacketError::kWrongProtocol;
  const uint8_t* m = packet + ip.header_length;
  const size_t length = ip.payload_length();
  if (length < kIcmpHeaderLength) return PacketError::kTruncated;
  if (!IsChecksumValid(m, length)) return PacketError::kBadChecksum;
  out->type = m[0];
  out->code = m[1];
  out->identifier = Load16(m + 4);
  out->sequence = Load16(m + 6);
  out->payload_offset = ip.header_length + kIcmpHeaderLength;
  out->payload_length = length - kIcmpHeaderLength;
  return PacketError::kNone;
}

namespace {

// Replaces the two addresses and fixes the IP header checksum; returns the checksum delta the
// change adds to a transport pseudo-header.
uint32_t SwapAddresses(uint8_t* packet, uint32_t source, uint32_t destination) {
  const uint32_t delta = ChecksumDelta32(Load32(packet + 12), source) +
                         ChecksumDelta32(Load32(packet + 16), destination);
  Store32(packet + 12, source);
  Store32(packet + 16, destination);
  Store16(packet + 10, ApplyChecksumDelta(Load16(packet + 10), delta));
  return delta;
}

}  // namespace

void RewriteAddresses(uint8_t* packet, uint32_t source, uint32_t destination) {
  SwapAddresses(packet, source, destination);
}

void RewriteEndpoints(uint8_t* packet, const Ipv4Header& ip, uint32_t source,
                      uint16_t source_port, uint32_t destination, uint16_t destination_port,
                      ChecksumState state) {
  const uint32_t address_delta = SwapAddresses(packet, source, destination);
  uint8_t* t = packet + ip.header_length;
  const uint32_t port_delta = ChecksumDelta16(Load16(t), source_port) +
                              ChecksumDelta16(Load16(t + 2), destination_port);
  Store16(t, source_port);
  Store16(t + 2, destination_port);
  const bool udp = ip.protocol == kProtocolUdp;
  uint8_t* field = t + (udp ? 6 : 16);
  const uint16_t checksum = Load16(field);
  if (state == ChecksumState::kPartial) {
    // Only the pseudo-header is in the field: the ports are summed when it is completed.
    Store16(field, ApplyPartialChecksumDelta(checksum, address_delta));
    return;
  }
  if (udp && checksum == 0) return;  // sent without a checksum: stays without
  uint16_t updated = ApplyChecksumDelta(checksum, address_delta + port_delta);
  if (udp && updated == 0) updated = 0xffff;  // 0 means "none" on the wire (RFC 768)
  Store16(field, updated);
}

bool CompleteChecksum(uint8_t* packet, size_t length, size_t offset, size_t field) {
  if (offset > length || field + 2 > length - offset) return false;
  uint8_t* at = packet + offset + field;
  // The field holds the pseudo-header sum: summing the range with it in place gives the total.
  const uint16_t partial = Load16(at);
  Store16(at, 0);
  const uint16_t checksum = InternetChecksum(packet + offset, length - offset, partial);
  Store16(at, checksum);
  return true;
}

void WriteIpv4Header(uint8_t* out, uint32_t source, uint32_t destination, uint8_t protocol,
                     uint16_t total_length, uint8_t tos) {
  out[0] = 0x45;
  out[1] = tos;
  Store16(out + 2, total_length);
  Store16(out + 4, 0);
  Store16(out + 6, 0x4000);  // DF, identification 0: an atomic datagram (RFC 6864), as Linux
  out[8] = 64;
  out[9] = protocol;
  Store16(out + 10, 0);
  Store32(out + 12, source);
  Store32(out + 16, destination);
  Store16(out + 10, InternetChecksum(out, kIpv4HeaderLength));
}

namespace {

// A 20-byte segment answering `ip`/`tcp`: endpoints swapped, no options, no payload, window 0.
size_t WriteBareSegment(const Ipv4Header& ip, const TcpHeader& tcp, uint32_t sequence,
                        uint32_t acknowledgment, uint8_t flags, uint8_t* out) {
  constexpr size_t kLength = kIpv4HeaderLength + kTcpHeaderLength;
  std::memset(out, 0, kLength);
  WriteIpv4Header(out, ip.destination, ip.source, kProtocolTcp, kLength);
  uint8_t* t = out + kIpv4HeaderLength;
  Store16(t, tcp.destination_port);
  Store16(t + 2, tcp.source_port);
  Store32(t + 4, sequence);
  Store32(t + 8, acknowledgment);
  t[12] = (kTcpHeaderLength / 4) << 4;
  t[13] = flags;
  Store16(t + 16, InternetChecksum(t, kTcpHeaderLength,
                                   PseudoHeaderSum(ip.destination, ip.source, kProtocolTcp,
                                                   kTcpHeaderLength)));
  return kLength;
}

}  // namespace

size_t BuildTcpReset(const uint8_t* offending, size_t length, uint8_t* out, size_t capacity) {
  Ipv4Header ip;
  TcpHeader tcp;
  if (ParseIpv4(offending, length, &ip) != PacketError::kNone) return 0;
  if (ParseTcp(offending, ip, &tcp) != PacketError::kNone || tcp.rst()) return 0;
  if (capacity < kIpv4HeaderLength + kTcpHeaderLength) return 0;
  if (tcp.ack()) return WriteBareSegment(ip, tcp, tcp.acknowledgment, 0, kTcpRst, out);
  // SEG.LEN counts the payload and one for each of SYN and FIN.
  const uint32_t acknowledgment = static_cast<uint32_t>(
      tcp.sequence + tcp.payload_length + (tcp.syn() ? 1 : 0) + (tcp.fin() ? 1 : 0));
  return WriteBareSegment(ip, tcp, 0, acknowledgment, kTcpRst | kTcpAck, out);
}

size_t BuildTcpSynProbe(const uint8_t* syn, size_t length, uint8_t* out, size_t capacity) {
  Ipv4Header ip;
  TcpHeader tcp;
  if (ParseIpv4(syn, length, &ip) != PacketError::kNone) return 0;
  if (ParseTcp(syn, ip, &tcp) != PacketError::kNone || !tcp.syn() || tcp.ack() || tcp.rst()) return 0;
  if (capacity < kIpv4HeaderLength + kTcpHeaderLength) return 0;
  return WriteBareSegment(ip, tcp, 0, tcp.sequence + 1, kTcpAck, out);
}

size_t BuildIcmpUnreachable(const uint8_t* offending, size_t length, uint32_t source,
                            uint8_t code, uint8_t* out, size_t capacity) {
  Ipv4Header ip;
  if (ParseIpv4(offending, length, &ip) != PacketError::kNone) return 0;
  if (ip.source == 0 || IsMulticastOrBroadcast(ip.source) || IsMulticastOrBroadcast(ip.destination))
    return 0;
  if (ip.protocol == kProtocolIcmp) {
    if (ip.payload_length() < 1) return 0;
    const uint8_t type = offending[ip.header_length];
    // Never an error about an error (RFC 1122 §3.2.2): unreachable, quench, redirect, time
    // exceeded, parameter problem.
    if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12) return 0;
  }
  const size_t quote = ip.header_length + (ip.payload_length() < 8 ? ip.payload_length() : 8);
  const size_t total = kIpv4HeaderLength + kIcmpHeaderLength + quote;
  if (capacity < total) return 0;
  std::memset(out, 0, kIpv4HeaderLength + kIcmpHeaderLength);
  // TOS 0xc0 (internetwork control), as routers (RFC 1812 §4.3.2.5) and Linux mark errors.
  WriteIpv4Header(out, source, ip.source, kProtocolIcmp, static_cast<uint16_t>(total), 0xc0);
  uint8_t* m = out + kIpv4HeaderLength;
  m[0] = kIcmpUnreachable;
  m[1] = code;
  std::memcpy(m + kIcmpHeaderLength, offending, quote);
  Store16(m + 2, InternetChecksum(m, total - kIpv4HeaderLength));
  return total;
}

size_t BuildUdpPacket(uint32_t source, uint16_t source_port, uint32_t destination,
                      uint16_t destination_port, const uint8_t* payload, size_t payload_length,
                      uint8_t* out, size_t capacity) {
  if (payload_length > kMaxIpv4Packet - kIpv4HeaderLength - kUdpHeaderLength) return 0;
  const size_t udp_length = kUdpHeaderLength + payload_length;
  const size_t total = kIpv4HeaderLength + udp_length;
  if (capacity < total) return 0;
  WriteIpv4Header(out, source, destination, kProtocolUdp, static_cast<uint16_t>(total));
  uint8_t* u = out + kIpv4HeaderLength;
  Store16(u, source_port);
  Store16(u + 2, destination_port);
  Store16(u + 4, static_cast<uint16_t>(udp_length));
  Store16(u + 6, 0);
  if (payload_length > 0) std::memmove(u + kUdpHeaderLength, payload, payload_length);
  uint16_t checksum =
      InternetChecksum(u, udp_length, PseudoHeaderSum(source, destination, kProtocolUdp,
                                                      static_cast<uint16_t>(udp_length)));
  Store16(u + 6, checksum == 0 ? 0xffff : checksum);
  return total;
}

size_t BuildIcmpEcho(uint8_t type, uint32_t source, uint32_t destination, uint16_t identifier,
                     uint16_t sequence, const uint8_t* data, size_t data_length, uint8_t* out,
                     size_t capacity) {
  if (data_length > kMaxIpv4Packet - kIpv4HeaderLength - kIcmpHeaderLength) return 0;
  const size_t total = kIpv4HeaderLength + kIcmpHeaderLength + data_length;
  if (capacity < total) return 0;
  WriteIpv4Header(out, source, destination, kProtocolIcmp, static_cast<uint16_t>(total));
  uint8_t* m = out + kIpv4HeaderLength;
  m[0] = type;
  m[1] = 0;
  Store16(m + 2, 0);
  Store16(m + 4, identifier);
  Store16(m + 6, sequence);
  if (data_length > 0) std::memmove(m + kIcmpHeaderLength, data, data_length);
  Store16(m + 2, InternetChecksum(m, kIcmpHeaderLength + data_length));
  return total;
}

}  // namespace passerelle::core
