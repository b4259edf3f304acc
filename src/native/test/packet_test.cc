// Packet parsing, building and rewriting (core/packet.h, core/checksum.h), with hostile input:
// bad lengths, truncated headers, options, fragments, every truncation of valid packets.
#include <cstdlib>
#include <vector>

#include "bytes.h"
#include "check.h"
#include "checksum.h"
#include "packet.h"

using namespace passerelle::core;

namespace {

// The RFC 1071 definition, byte by byte: the reference the fast sum is checked against.
uint16_t ReferenceSum(const uint8_t* data, size_t length, uint32_t initial) {
  uint64_t sum = initial;
  for (size_t i = 0; i + 1 < length; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (length & 1) sum += data[length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

constexpr uint32_t kApp = 0x64400002;     // 100.64.0.2
constexpr uint32_t kServer = 0xc612000a;  // 198.18.0.10

// An IPv4 TCP segment with `options` bytes of IP options, a full checksum, and `payload` bytes.
std::vector<uint8_t> TcpPacket(uint8_t flags, size_t payload, size_t ip_options = 0,
                               size_t tcp_options = 0) {
  const size_t ihl = kIpv4HeaderLength + ip_options;
  const size_t thl = kTcpHeaderLength + tcp_options;
  std::vector<uint8_t> p(ihl + thl + payload, 0);
  p[0] = static_cast<uint8_t>(0x40 | (ihl / 4));
  Store16(&p[2], static_cast<uint16_t>(p.size()));
  Store16(&p[6], 0x4000);
  p[8] = 64;
  p[9] = kProtocolTcp;
  Store32(&p[12], kApp);
  Store32(&p[16], kServer);
  for (size_t i = 0; i < ip_options; i++) p[kIpv4HeaderLength + i] = 1;  // NOP options
  Store16(&p[10], InternetChecksum(p.data(), ihl));
  uint8_t* t = &p[ihl];
  Store16(t, 40000);
  Store16(t + 2, 80);
  Store32(t + 4, 1000);
  Store32(t + 8, (flags & kTcpAck) ? 5000 : 0);
  t[12] = static_cast<uint8_t>((thl / 4) << 4);
  t[13] = flags;
  Store16(t + 14, 65535);
  for (size_t i = 0; i < tcp_options; i++) t[kTcpHeaderLength + i] = 1;
  for (size_t i = 0; i < payload; i++) t[thl + i] = static_cast<uint8_t>(i * 7 + 3);
  Store16(t + 16, InternetChecksum(t, thl + payload,
                                   PseudoHeaderSum(kApp, kServer, kProtocolTcp,
                                                   static_cast<uint16_t>(thl + payload))));
  return p;
}

std::vector<uint8_t> UdpPacket(size_t payload) {
  std::vector<uint8_t> data(payload);
  for (size_t i = 0; i < payload; i++) data[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> p(kIpv4HeaderLength + kUdpHeaderLength + payload);
  CHECK_EQ(BuildUdpPacket(kApp, 5353, kServer, 53, data.data(), payload, p.data(), p.size()),
           p.size());
  return p;
}

bool TransportChecksumValid(const std::vector<uint8_t>& p) {
  Ipv4Header ip;
  if (ParseIpv4(p.data(), p.size(), &ip) != PacketError::kNone) return false;
  return IsChecksumValid(p.data() + ip.header_length, ip.payload_length(),
                         PseudoHeaderSum(ip.source, ip.destination, ip.protocol,
                                         static_cast<uint16_t>(ip.payload_length())));
}

}  // namespace

TEST(checksum_matches_rfc1071_at_every_length_and_alignment) {
  std::vector<uint8_t> bytes(2000);
  srand(7);
  for (auto& b : bytes) b = static_cast<uint8_t>(rand());
  for (size_t offset = 0; offset < 8; offset++) {
    for (size_t length = 0; length < 300; length++) {
      CHECK_EQ(OnesComplementSum(bytes.data() + offset, length, 0x1234),
               ReferenceSum(bytes.data() + offset, length, 0x1234));
    }
    CHECK_EQ(OnesComplementSum(bytes.data() + offset, 1999 - offset, 0),
             ReferenceSum(bytes.data() + offset, 1999 - offset, 0));
  }
  std::vector<uint8_t> ones(65535, 0xff);
  CHECK_EQ(OnesComplementSum(ones.data(), ones.size(), 0), ReferenceSum(ones.data(), ones.size(), 0));
}

TEST(incremental_update_equals_recomputing) {
  srand(11);
  for (int round = 0; round < 2000; round++) {
    uint8_t data[16];
    for (auto& b : data) b = static_cast<uint8_t>(rand());
    Store16(data + 4, 0);
    Store16(data + 4, InternetChecksum(data, sizeof(data)));
    const uint32_t before = Load32(data + 8);
    const uint32_t after = static_cast<uint32_t>(rand()) ^ (static_cast<uint32_t>(rand()) << 16);
    const uint16_t port_before = Load16(data + 12);
    const uint16_t port_after = static_cast<uint16_t>(rand());
    Store32(data + 8, after);
    Store16(data + 12, port_after);
    Store16(data + 4, ApplyChecksumDelta(Load16(data + 4), ChecksumDelta32(before, after) +
                                                                ChecksumDelta16(port_before, port_after)));
    CHECK(IsChecksumValid(data, sizeof(data)));
  }
}

TEST(parses_a_valid_segment_with_options) {
  auto p = TcpPacket(kTcpSyn, 0, 8, 12);
  Ipv4Header ip;
  TcpHeader tcp;
  CHECK_EQ(ParseIpv4(p.data(), p.size(), &ip), PacketError::kNone);
  CHECK_EQ(ip.header_length, 28);
  CHECK_EQ(ip.source, kApp);
  CHECK_EQ(ip.destination, kServer);
  CHECK_EQ(ParseTcp(p.data(), ip, &tcp), PacketError::kNone);
  CHECK_EQ(tcp.header_length, 32);
  CHECK(tcp.syn() && !tcp.ack());
  CHECK_EQ(tcp.source_port, 40000);
  CHECK_EQ(tcp.destination_port, 80);
  CHECK_EQ(tcp.payload_offset, 60u);
}

TEST(refuses_hostile_ipv4_headers) {
  auto p = TcpPacket(kTcpAck, 10);
  Ipv4Header ip;
  CHECK_EQ(ParseIpv4(p.data(), 0, &ip), PacketError::kTruncated);
  // Every truncation of a valid packet is refused, never read past.
  for (size_t length = 0; length < p.size(); length++) {
    std::vector<uint8_t> cut(p.begin(), p.begin() + length);
    CHECK(ParseIpv4(cut.data(), cut.size(), &ip) != PacketError::kNone);
  }
  auto v6 = p;
  v6[0] = 0x65;
  CHECK_EQ(ParseIpv4(v6.data(), v6.size(), &ip), PacketError::kNotIpv4);
  auto short_ihl = p;
  short_ihl[0] = 0x44;
  CHECK_EQ(ParseIpv4(short_ihl.data(), short_ihl.size(), &ip), PacketError::kBadHeaderLength);
  auto long_ihl = p;
  long_ihl[0] = 0x4f;  // 60 bytes of header in a 50-byte packet
  std::vector<uint8_t> small(long_ihl.begin(), long_ihl.begin() + 40);
  CHECK_EQ(ParseIpv4(small.data(), small.size(), &ip), PacketError::kTruncated);
  auto big_total = p;
  Store16(&big_total[2], static_cast<uint16_t>(p.size() + 1));
  CHECK_EQ(ParseIpv4(big_total.data(), big_total.size(), &ip), PacketError::kTruncated);
  auto tiny_total = p;
  Store16(&tiny_total[2], 19);
  CHECK_EQ(ParseIpv4(tiny_total.data(), tiny_total.size(), &ip), PacketError::kBadTotalLength);
  auto corrupt = p;
  corrupt[8] ^= 1;
  CHECK_EQ(ParseIpv4(corrupt.data(), corrupt.size(), &ip), PacketError::kBadChecksum);
  // Fragments: more-fragments set, or a non-zero offset (checksums fixed so only that differs).
  for (uint16_t flags : {uint16_t{0x2000}, uint16_t{0x0001}, uint16_t{0x2010}}) {
    auto fragment = p;
    Store16(&fragment[6], flags);
    Store16(&fragment[10], 0);
    Store16(&fragment[10], InternetChecksum(fragment.data(), 20));
    CHECK_EQ(ParseIpv4(fragment.data(), fragment.size(), &ip), PacketError::kFragment);
  }
  // Trailing bytes beyond the total length (link padding) are ignored.
  auto padded = p;
  padded.resize(p.size() + 6, 0xee);
  CHECK_EQ(ParseIpv4(padded.data(), padded.size(), &ip), PacketError::kNone);
  CHECK_EQ(ip.total_length, p.size());
}

TEST(refuses_hostile_tcp_headers) {
  auto p = TcpPacket(kTcpAck, 0);
  Ipv4Header ip;
  TcpHeader tcp;
  CHECK_EQ(ParseIpv4(p.data(), p.size(), &ip), PacketError::kNone);
  auto bad_offset = p;
  bad_offset[20 + 12] = 4 << 4;  // 16-byte header
  CHECK_EQ(ParseTcp(bad_offset.data(), ip, &tcp), PacketError::kBadHeaderLength);
  bad_offset[20 + 12] = 15 << 4;  // 60 bytes in a 20-byte segment
  CHECK_EQ(ParseTcp(bad_offset.data(), ip, &tcp), PacketError::kBadHeaderLength);
  // A segment shorter than a TCP header, with a consistent IP header.
  std::vector<uint8_t> stub(p.begin(), p.begin() + 30);
  Store16(&stub[2], 30);
  Store16(&stub[10], 0);
  Store16(&stub[10], InternetChecksum(stub.data(), 20));
  CHECK_EQ(ParseIpv4(stub.data(), stub.size(), &ip), PacketError::kNone);
  CHECK_EQ(ParseTcp(stub.data(), ip, &tcp), PacketError::kTruncated);
  CHECK_EQ(ParseUdp(stub.data(), ip, true, nullptr), PacketError::kWrongProtocol);
}

TEST(udp_lengths_and_checksums) {
  auto p = UdpPacket(100);
  Ipv4Header ip;
  UdpHeader udp;
  CHECK_EQ(ParseIpv4(p.data(), p.size(), &ip), PacketError::kNone);
  CHECK_EQ(ParseUdp(p.data(), ip, true, &udp), PacketError::kNone);
  CHECK_EQ(udp.payload_length, 100u);
  CHECK_EQ(udp.destination_port, 53);
  auto longer = p;
  Store16(&longer[24], 109);  // UDP length past the IP payload
  CHECK_EQ(ParseUdp(longer.data(), ip, true, &udp), PacketError::kBadLength);
  Store16(&longer[24], 7);
  CHECK_EQ(ParseUdp(longer.data(), ip, true, &udp), PacketError::kBadLength);
  auto corrupt = p;
  corrupt[40] ^= 0x10;
  CHECK_EQ(ParseUdp(corrupt.data(), ip, true, &udp), PacketError::kBadChecksum);
  CHECK_EQ(ParseUdp(corrupt.data(), ip, false, &udp), PacketError::kNone);  // offloaded: trusted
  auto none = p;
  Store16(&none[26], 0);  // no checksum: accepted
  CHECK_EQ(ParseUdp(none.data(), ip, true, &udp), PacketError::kNone);
  auto shorter = p;  // UDP length shorter than the IP payload: the extra bytes are ignored
  Store16(&shorter[24], 58);
  Store16(&shorter[26], 0);
  CHECK_EQ(ParseUdp(shorter.data(), ip, true, &udp), PacketError::kNone);
  CHECK_EQ(udp.payload_length, 50u);
}

TEST(icmp_checksum_and_truncation) {
  uint8_t data[56];
  for (size_t i = 0; i < sizeof(data); i++) data[i] = static_cast<uint8_t>(i);
  uint8_t p[100];
  const size_t n = BuildIcmpEcho(kIcmpEchoRequest, kApp, kServer, 77, 3, data, sizeof(data), p, sizeof(p));
  CHECK_EQ(n, 84u);
  Ipv4Header ip;
  IcmpHeader icmp;
  CHECK_EQ(ParseIpv4(p, n, &ip), PacketError::kNone);
  CHECK_EQ(ParseIcmp(p, ip, &icmp), PacketError::kNone);
  CHECK_EQ(icmp.type, kIcmpEchoRequest);
  CHECK_EQ(icmp.identifier, 77);
  CHECK_EQ(icmp.sequence, 3);
  p[60] ^= 1;
  CHECK_EQ(ParseIcmp(p, ip, &icmp), PacketError::kBadChecksum);
  CHECK_EQ(BuildIcmpEcho(kIcmpEchoRequest, kApp, kServer, 1, 1, data, sizeof(data), p, 50), 0u);
}

TEST(rewrites_endpoints_with_correct_checksums) {
  for (size_t payload : {size_t{0}, size_t{1}, size_t{1000}, size_t{1461}}) {
    auto p = TcpPacket(kTcpAck, payload, 4);
    Ipv4Header ip;
    CHECK_EQ(ParseIpv4(p.data(), p.size(), &ip), PacketError::kNone);
    RewriteEndpoints(p.data(), ip, 0xc0000008, 10007, kApp, 33333, ChecksumState::kComplete);
    CHECK(TransportChecksumValid(p));
    CHECK_EQ(ParseIpv4(p.data(), p.size(), &ip), PacketError::kNone);  // IP checksum too
    CHECK_EQ(Load32(&p[12]), 0xc0000008u);
    CHECK_EQ(Load16(&p[24 + 2]), 33333);
  }
  auto u = UdpPacket(33);
  Ipv4Header ip;
  CHECK_EQ(ParseIpv4(u.data(), u.size(), &ip), PacketError::kNone);
  RewriteEndpoints(u.data(), ip, kServer, 53, kApp, 5353, ChecksumState::kComplete);
  CHECK(TransportChecksumValid(u));
  Store16(&u[26], 0);  // "no checksum" stays none
  RewriteEndpoints(u.data(), ip, kApp, 1, kServer, 2, ChecksumState::kComplete);
  CHECK_EQ(Load16(&u[26]), 0);
}

TEST(rewrites_a_partial_checksum_then_completes_it) {
  // What a TUN with checksum offload hands over: the field holds the pseudo-header sum.
  auto p = TcpPacket(kTcpAck | 0x08, 700);
  Ipv4Header ip;
  CHECK_EQ(ParseIpv4(p.data(), p.size(), &ip), PacketError::kNone);
  const uint16_t length = static_cast<uint16_t>(ip.payload_length());
  Store16(&p[20 + 16], PseudoHeaderSum(kApp, kServer, kProtocolTcp, length));
  RewriteEndpoints(p.data(), ip, 0xc0000008, 10001, kApp, 44444, ChecksumState::kPartial);
  CHECK_EQ(Load16(&p[20 + 16]), PseudoHeaderSum(0xc0000008, kApp, kProtocolTcp, length));
  CHECK(CompleteChecksum(p.data(), p.size(), 20, 16));
  CHECK(TransportChecksumValid(p));
  CHECK(!CompleteChecksum(p.data(), p.size(), p.size() - 1, 16));
}

TEST(builds_resets_like_linux) {
  auto syn = TcpPacket(kTcpSyn, 0, 0, 20);
  uint8_t out[64];
  const size_t n = BuildTcpReset(syn.data(), syn.size(), out, sizeof(out));
  CHECK_EQ(n, 40u);
  std::vector<uint8_t> reset(out, out + n);
  CHECK(TransportChecksumValid(reset));
  Ipv4Header ip;
  TcpHeader tcp;
  CHECK_EQ(ParseIpv4(out, n, &ip), PacketError::kNone);
  CHECK_EQ(ip.source, kServer);
  CHECK_EQ(ip.destination, kApp);
  CHECK_EQ(ParseTcp(out, ip, &tcp), PacketError::kNone);
  CHECK_EQ(tcp.flags, kTcpRst | kTcpAck);
  CHECK_EQ(tcp.acknowledgment, 1001u);
  CHECK_EQ(tcp.source_port, 80);
  auto ack = TcpPacket(kTcpAck, 10);
  CHECK_EQ(BuildTcpReset(ack.data(), ack.size(), out, sizeof(out)), 40u);
  CHECK_EQ(ParseIpv4(out, 40, &ip), PacketError::kNone);
  CHECK_EQ(ParseTcp(out, ip, &tcp), PacketError::kNone);
  CHECK_EQ(tcp.flags, kTcpRst);
  CHECK_EQ(tcp.sequence, 5000u);
  auto rst = TcpPacket(kTcpRst, 0);
  CHECK_EQ(BuildTcpReset(rst.data(), rst.size(), out, sizeof(out)), 0u);
  CHECK_EQ(BuildTcpReset(syn.data(), syn.size(), out, 39), 0u);
  CHECK_EQ(BuildTcpReset(syn.data(), 30, out, sizeof(out)), 0u);
}

TEST(builds_icmp_unreachable_quoting_the_offender) {
  auto syn = TcpPacket(kTcpSyn, 0, 8);
  uint8_t out[kMaxIcmpUnreachable];
  const size_t n = BuildIcmpUnreachable(syn.data(), syn.size(), kServer, kUnreachableHost, out, sizeof(out));
  CHECK_EQ(n, 20u + 8u + 28u + 8u);
  Ipv4Header ip;
  IcmpHeader icmp;
  CHECK_EQ(ParseIpv4(out, n, &ip), PacketError::kNone);
  CHECK_EQ(ip.tos, 0xc0);
  CHECK_EQ(ParseIcmp(out, ip, &icmp), PacketError::kNone);
  CHECK_EQ(icmp.type, kIcmpUnreachable);
  CHECK_EQ(icmp.code, kUnreachableHost);
  CHECK(std::memcmp(out + 28, syn.data(), 36) == 0);
  // Never about an ICMP error, nor to a multicast or zero source.
  CHECK_EQ(BuildIcmpUnreachable(out, n, kServer, kUnreachableHost, out + 0, 0), 0u);
  uint8_t again[kMaxIcmpUnreachable];
  CHECK_EQ(BuildIcmpUnreachable(out, n, kServer, kUnreachableHost, again, sizeof(again)), 0u);
  auto multicast = syn;
  Store32(&multicast[16], 0xe0000001);
  Store16(&multicast[10], 0);
  Store16(&multicast[10], InternetChecksum(multicast.data(), 28));
  CHECK_EQ(BuildIcmpUnreachable(multicast.data(), multicast.size(), kServer, 1, again, sizeof(again)), 0u);
}

TEST(packet_error_names_are_stable) {
  CHECK_STR(PacketErrorName(PacketError::kFragment), "fragment");
  CHECK_STR(PacketErrorName(PacketError::kBadChecksum), "bad-checksum");
  CHECK_STR(PacketErrorName(PacketError::kTruncated), "truncated");
}

TEST(builds_a_syn_probe_a_waiting_socket_drops) {
  auto syn = TcpPacket(kTcpSyn, 0, 0, 12);
  uint8_t out[64];
  CHECK_EQ(BuildTcpSynProbe(syn.data(), syn.size(), out, sizeof(out)), 40u);
  Ipv4Header ip;
  TcpHeader tcp;
  CHECK_EQ(ParseIpv4(out, 40, &ip), PacketError::kNone);
  CHECK_EQ(ParseTcp(out, ip, &tcp), PacketError::kNone);
  CHECK_EQ(tcp.flags, kTcpAck);
  CHECK_EQ(tcp.acknowledgment, 1001u);
  CHECK_EQ(ip.source, kServer);
  std::vector<uint8_t> probe(out, out + 40);
  CHECK(TransportChecksumValid(probe));
  auto ack = TcpPacket(kTcpAck, 0);
  CHECK_EQ(BuildTcpSynProbe(ack.data(), ack.size(), out, sizeof(out)), 0u);  // not a SYN
}
