// Fuzzes the packet parsers and what is built from a parsed packet (core/packet.h): any bytes
// from the TUN device or the gateway go through these.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "checksum.h"
#include "packet.h"

using namespace passerelle::core;

namespace {

void FixChecksums(std::vector<uint8_t>& p, uint8_t fix) {
  if (p.size() < kIpv4HeaderLength || (p[0] >> 4) != 4) return;
  const size_t ihl = static_cast<size_t>(p[0] & 15) * 4;
  if (ihl < kIpv4HeaderLength || ihl > p.size()) return;
  if (fix & 1) {
    p[10] = p[11] = 0;
    const uint16_t c = InternetChecksum(p.data(), ihl);
    p[10] = static_cast<uint8_t>(c >> 8);
    p[11] = static_cast<uint8_t>(c);
  }
  const size_t total = (static_cast<size_t>(p[2]) << 8) | p[3];
  if (!(fix & 2) || total > p.size() || total < ihl + 8) return;
  uint8_t* t = p.data() + ihl;
  const size_t length = total - ihl;
  if (p[9] == kProtocolIcmp) {
    t[2] = t[3] = 0;
    const uint16_t c = InternetChecksum(t, length);
    t[2] = static_cast<uint8_t>(c >> 8);
    t[3] = static_cast<uint8_t>(c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte says which checksums to make valid, so that the fuzzer reaches the code
  // behind them instead of stopping at a wrong checksum nearly every time.
  const uint8_t fix = data[0];
  // A copy of exactly the packet's bytes, so ASan sees any read past the end.
  std::vector<uint8_t> packet(data + 1, data + size);
  FixChecksums(packet, fix);
  Ipv4Header ip;
  if (ParseIpv4(packet.data(), packet.size(), &ip) != PacketError::kNone) return 0;
  uint8_t out[kMaxIcmpUnreachable + 64];
  BuildTcpReset(packet.data(), packet.size(), out, sizeof(out));
  BuildIcmpUnreachable(packet.data(), packet.size(), 0x0a000001, kUnreachableHost, out, sizeof(out));
  TcpHeader tcp;
  UdpHeader udp;
  IcmpHeader icmp;
  if (ParseTcp(packet.data(), ip, &tcp) == PacketError::kNone) {
    RewriteEndpoints(packet.data(), ip, 0xc0000008, 10000, 0x64400002, 40000, ChecksumState::kComplete);
    RewriteEndpoints(packet.data(), ip, 1, 2, 3, 4, ChecksumState::kPartial);
    CompleteChecksum(packet.data(), ip.total_length, ip.header_length, 16);
  }
  if (ParseUdp(packet.data(), ip, true, &udp) == PacketError::kNone) {
    std::vector<uint8_t> rebuilt(udp.payload_length + 28);
    BuildUdpPacket(ip.destination, udp.destination_port, ip.source, udp.source_port,
                   packet.data() + udp.payload_offset, udp.payload_length, rebuilt.data(),
                   rebuilt.size());
    RewriteEndpoints(packet.data(), ip, 5, 6, 7, 8, ChecksumState::kComplete);
  }
  if (ParseIcmp(packet.data(), ip, &icmp) == PacketError::kNone) {
    RewriteAddresses(packet.data(), 9, 10);
  }
  return 0;
}
