// Pure IPv4 packet parsing, building and rewriting: Buffers in, Buffers out, no I/O.
// Both data planes have their own in C++ (src/native/core/packet.h); this TypeScript copy serves
// the lab's standard HTTP/2 client (test/lab/fixtures/h2-probe.mjs builds and reads ICMP echo
// over connect-ip) and is the reference the unit tests check against captured packets.
//
// Conventions: addresses are unsigned 32-bit numbers (`ipToNumber`, `numberToIp`); parsers
// never throw and return either the header or a short drop reason; header objects can be
// reused across packets so that the hot path allocates nothing; rewrites happen in place with
// incremental checksum updates.
export {
  applyChecksumDelta,
  checksumDelta16,
  checksumDelta32,
  foldSum,
  internetChecksum,
  isChecksumValid,
  onesComplementSum,
  pseudoHeaderSum,
  updateChecksum16,
  updateChecksum32,
} from './checksum.js';
export {
  IP_PROTOCOL,
  IPV4_HEADER_LENGTH,
  Ipv4Header,
  ipToNumber,
  numberToIp,
  parseIpv4,
  rewriteIpv4Addresses,
  writeIpv4Header,
  type Ipv4BuildOptions,
  type Ipv4DropReason,
} from './ipv4.js';
export {
  TCP_FLAGS,
  TCP_HEADER_LENGTH,
  TcpHeader,
  buildTcpReset,
  isTcpChecksumValid,
  parseTcp,
  rewriteTcpEndpoints,
  type TcpDropReason,
} from './tcp.js';
export {
  MAX_UDP_PAYLOAD,
  UDP_HEADER_LENGTH,
  UdpHeader,
  buildUdpPacket,
  parseUdp,
  rewriteUdpEndpoints,
  udpPacketLength,
  writeUdpPacket,
  type UdpDropReason,
  type UdpPacketFields,
} from './udp.js';
export {
  ICMP_HEADER_LENGTH,
  ICMP_TYPE,
  IcmpHeader,
  MAX_ICMP_ECHO_PAYLOAD,
  UNREACHABLE_CODE,
  buildIcmpEcho,
  buildIcmpUnreachable,
  icmpEchoPacketLength,
  parseIcmp,
  rewriteIcmpEchoIdentifier,
  writeIcmpEcho,
  type IcmpDropReason,
  type IcmpEchoFields,
  type IcmpErrorOptions,
} from './icmp.js';
