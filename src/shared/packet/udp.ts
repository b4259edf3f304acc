// UDP datagrams (RFC 768). The engine takes an application's datagram apart (its payload
// crosses the tunnel as a connect-udp DATAGRAM capsule) and builds the answers back into
// whole IPv4 packets for the TUN device.
import { internetChecksum, isChecksumValid, pseudoHeaderSum } from './checksum.js';
import {
  IP_PROTOCOL,
  IPV4_HEADER_LENGTH,
  writeIpv4Header,
  type Ipv4BuildOptions,
  type Ipv4Header,
} from './ipv4.js';
import { rewriteEndpoints } from './transport.js';
import { read16, write16 } from './bytes.js';

export const UDP_HEADER_LENGTH = 8;

/** The largest payload a single IPv4 UDP packet can carry (65535 − 20 − 8). */
export const MAX_UDP_PAYLOAD = 0xffff - IPV4_HEADER_LENGTH - UDP_HEADER_LENGTH;

export type UdpDropReason = 'not-udp' | 'truncated' | 'bad-length' | 'bad-checksum';

/** The fields of one UDP header; reuse one instance per packet loop, as with `Ipv4Header`. */
export class UdpHeader {
  sourcePort = 0;
  destinationPort = 0;
  /** The UDP length field: header plus payload. */
  length = 0;
  /** 0 when the sender computed none. */
  checksum = 0;
  /** Where the payload starts, counted from the start of the IP packet. */
  payloadOffset = 0;
  payloadLength = 0;
}

/**
 * Reads and validates the UDP header of a packet whose IPv4 header `ip` was parsed by
 * `parseIpv4`. Returns the header (`into` when given) or the reason to drop. Never throws.
 *
 * The checksum is verified (unless it is 0, "none"): the payload is about to leave this
 * packet and travel inside a new one with a fresh checksum, so a corrupted datagram would
 * otherwise be delivered as if it were sound. The UDP length wins over the IP length when it
 * is shorter (extra bytes ignored) and makes the datagram invalid when it is longer, as in
 * Linux.
 */
export function parseUdp(
  packet: Buffer,
  ip: Ipv4Header,
  into = new UdpHeader(),
): UdpHeader | UdpDropReason {
  if (ip.protocol !== IP_PROTOCOL.UDP) return 'not-udp';
  const u = ip.headerLength;
  if (ip.totalLength - u < UDP_HEADER_LENGTH) return 'truncated';
  const length = read16(packet, u + 4);
  if (length < UDP_HEADER_LENGTH || length > ip.totalLength - u) return 'bad-length';
  const checksum = read16(packet, u + 6);
  if (checksum !== 0) {
    const initial = pseudoHeaderSum(ip.source, ip.destination, IP_PROTOCOL.UDP, length);
    if (!isChecksumValid(packet, u, u + length, initial)) return 'bad-checksum';
  }
  into.sourcePort = read16(packet, u);
  into.destinationPort = read16(packet, u + 2);
  into.length = length;
  into.checksum = checksum;
  into.payloadOffset = u + UDP_HEADER_LENGTH;
  into.payloadLength = length - UDP_HEADER_LENGTH;
  return into;
}

export interface UdpPacketFields extends Ipv4BuildOptions {
  source: number;
  sourcePort: number;
  destination: number;
  destinationPort: number;
  /** At most `MAX_UDP_PAYLOAD` bytes. */
  payload: Uint8Array;
}

/** Size of the IPv4 packet `writeUdpPacket` writes for a payload of this many bytes. */
export function udpPacketLength(payloadLength: number): number {
  return IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH + payloadLength;
}

/**
 * Writes a complete IPv4 UDP packet with correct checksums at `offset` in `out` (which must
 * have `udpPacketLength(payload.length)` bytes free there) and returns its length. Lets a
 * caller fill one large buffer with a batch of packets without an allocation per packet.
 * Throws a RangeError when the payload is larger than `MAX_UDP_PAYLOAD`: the caller decides
 * what to do with such a datagram, it cannot be expressed.
 */
export function writeUdpPacket(out: Buffer, offset: number, fields: UdpPacketFields): number {
  const payloadLength = fields.payload.length;
  if (payloadLength > MAX_UDP_PAYLOAD) {
    throw new RangeError(`UDP payload of ${payloadLength} bytes exceeds ${MAX_UDP_PAYLOAD}`);
  }
  const udpLength = UDP_HEADER_LENGTH + payloadLength;
  const totalLength = IPV4_HEADER_LENGTH + udpLength;
  writeIpv4Header(
    out,
    offset,
    fields.source,
    fields.destination,
    IP_PROTOCOL.UDP,
    totalLength,
    fields,
  );
  const u = offset + IPV4_HEADER_LENGTH;
  write16(out, fields.sourcePort, u);
  write16(out, fields.destinationPort, u + 2);
  write16(out, udpLength, u + 4);
  write16(out, 0, u + 6);
  out.set(fields.payload, u + UDP_HEADER_LENGTH);
  const initial = pseudoHeaderSum(fields.source, fields.destination, IP_PROTOCOL.UDP, udpLength);
  const checksum = internetChecksum(out, u, u + udpLength, initial);
  // 0 on the wire means "no checksum" (RFC 768): a computed 0 is sent as its equal, 0xffff.
  write16(out, checksum === 0 ? 0xffff : checksum, u + 6);
  return totalLength;
}

/** As `writeUdpPacket`, into a new buffer of exactly the packet's size. */
export function buildUdpPacket(fields: UdpPacketFields): Buffer {
  const out = Buffer.allocUnsafe(udpPacketLength(fields.payload.length));
  writeUdpPacket(out, 0, fields);
  return out;
}

/**
 * Replaces both endpoints of a UDP packet in place with incremental checksum updates; a
 * datagram sent without checksum (0) stays without. The packet must have passed `parseIpv4`
 * and `parseUdp`.
 */
export function rewriteUdpEndpoints(
  packet: Buffer,
  ipHeaderLength: number,
  source: number,
  sourcePort: number,
  destination: number,
  destinationPort: number,
): void {
  rewriteEndpoints(
    packet,
    ipHeaderLength,
    6,
    true,
    source,
    sourcePort,
    destination,
    destinationPort,
  );
}
