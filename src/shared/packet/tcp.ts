// TCP segments (RFC 9293) as the client's NAT sees them: read the header, rewrite the flow's
// endpoints in place, and answer a refused SYN with a reset.
//
// The engine never builds data segments: the host's own TCP stack terminates every
// connection (DESIGN §3), and the NAT only swaps addresses and ports.
import { internetChecksum, isChecksumValid, pseudoHeaderSum } from './checksum.js';
import {
  IP_PROTOCOL,
  IPV4_HEADER_LENGTH,
  parseIpv4,
  writeIpv4Header,
  type Ipv4BuildOptions,
  type Ipv4Header,
} from './ipv4.js';
import { rewriteEndpoints } from './transport.js';
import { read16, read32, read8, write16, write32, write8 } from './bytes.js';

export const TCP_FLAGS = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Length of a TCP header without options. */
export const TCP_HEADER_LENGTH = 20;

export type TcpDropReason = 'not-tcp' | 'truncated' | 'bad-header-length';

/** The fields of one TCP header; reuse one instance per packet loop, as with `Ipv4Header`. */
export class TcpHeader {
  sourcePort = 0;
  destinationPort = 0;
  sequence = 0;
  acknowledgment = 0;
  /** Data offset × 4: 20, or up to 60 with options. */
  headerLength = 0;
  /** The flag byte; test with `TCP_FLAGS`, or the getters below. */
  flags = 0;
  window = 0;
  checksum = 0;
  urgentPointer = 0;
  /** Where the payload starts, counted from the start of the IP packet. */
  payloadOffset = 0;
  payloadLength = 0;

  get syn(): boolean {
    return (this.flags & TCP_FLAGS.SYN) !== 0;
  }
  get ack(): boolean {
    return (this.flags & TCP_FLAGS.ACK) !== 0;
  }
  get fin(): boolean {
    return (this.flags & TCP_FLAGS.FIN) !== 0;
  }
  get rst(): boolean {
    return (this.flags & TCP_FLAGS.RST) !== 0;
  }
}

/**
 * Reads the TCP header of a packet whose IPv4 header `ip` was parsed by `parseIpv4`. Returns
 * the header (`into` when given) or the reason to drop. Never throws.
 *
 * The checksum is not verified here, on purpose: the NAT updates it incrementally, so a
 * corrupted segment keeps a wrong checksum and the receiving stack drops it; verifying would
 * read every payload byte of every packet for nothing. `isTcpChecksumValid` is there for the
 * places that need it.
 */
export function parseTcp(
  packet: Buffer,
  ip: Ipv4Header,
  into = new TcpHeader(),
): TcpHeader | TcpDropReason {
  if (ip.protocol !== IP_PROTOCOL.TCP) return 'not-tcp';
  const t = ip.headerLength;
  const segmentLength = ip.totalLength - t;
  if (segmentLength < TCP_HEADER_LENGTH) return 'truncated';
  const headerLength = (read8(packet, t + 12) >> 4) * 4;
  if (headerLength < TCP_HEADER_LENGTH || headerLength > segmentLength) {
    return 'bad-header-length';
  }
  into.sourcePort = read16(packet, t);
  into.destinationPort = read16(packet, t + 2);
  into.sequence = read32(packet, t + 4);
  into.acknowledgment = read32(packet, t + 8);
  into.headerLength = headerLength;
  into.flags = read8(packet, t + 13);
  into.window = read16(packet, t + 14);
  into.checksum = read16(packet, t + 16);
  into.urgentPointer = read16(packet, t + 18);
  into.payloadOffset = t + headerLength;
  into.payloadLength = segmentLength - headerLength;
  return into;
}

/** Full verification of the TCP checksum (pseudo-header, header and payload). */
export function isTcpChecksumValid(packet: Buffer, ip: Ipv4Header): boolean {
  const length = ip.totalLength - ip.headerLength;
  const initial = pseudoHeaderSum(ip.source, ip.destination, IP_PROTOCOL.TCP, length);
  return isChecksumValid(packet, ip.headerLength, ip.totalLength, initial);
}

/**
 * The NAT step of DESIGN §3: replaces both endpoints of a TCP packet in place and fixes the
 * IP and TCP checksums incrementally. The packet must have passed `parseIpv4` and `parseTcp`.
 * Outbound A:p → D:q becomes B:n → A:L; the listener's reply A:L → B:n becomes D:q → A:p.
 */
export function rewriteTcpEndpoints(
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
    16,
    false,
    source,
    sourcePort,
    destination,
    destinationPort,
  );
}

/**
 * The reset a host sends for a segment nobody will accept (RFC 9293 §3.10.7.1), as a
 * complete IPv4 packet from the segment's destination to its source. For a SYN (the case the
 * engine needs: a CONNECT the gateway refused) it is RST|ACK with sequence 0 and
 * acknowledgment = SYN's sequence + 1, so the application's connect() fails at once with
 * "connection refused". For a segment carrying ACK it is a bare RST with sequence = that
 * acknowledgment. With default options the bytes equal Linux's own reset (identification 0,
 * DF, TTL 64).
 *
 * Returns null when there is nothing to send: not a valid IPv4 TCP packet, or a reset
 * itself (a reset is never answered with a reset).
 */
export function buildTcpReset(offending: Buffer, options: Ipv4BuildOptions = {}): Buffer | null {
  const ip = parseIpv4(offending);
  if (typeof ip === 'string') return null;
  const tcp = parseTcp(offending, ip);
  if (typeof tcp === 'string' || tcp.rst) return null;

  let sequence: number;
  let acknowledgment: number;
  let flags: number;
  if (tcp.ack) {
    sequence = tcp.acknowledgment;
    acknowledgment = 0;
    flags = TCP_FLAGS.RST;
  } else {
    // SEG.LEN counts the payload and one for each of SYN and FIN.
    const segmentLength = tcp.payloadLength + (tcp.syn ? 1 : 0) + (tcp.fin ? 1 : 0);
    sequence = 0;
    acknowledgment = (tcp.sequence + segmentLength) >>> 0;
    flags = TCP_FLAGS.RST | TCP_FLAGS.ACK;
  }

  return buildBareSegment(ip, tcp, sequence, acknowledgment, flags, options);
}

/** A 20-byte segment answering `tcp`: endpoints swapped, no options, no payload, window 0. */
function buildBareSegment(
  ip: Ipv4Header,
  tcp: TcpHeader,
  sequence: number,
  acknowledgment: number,
  flags: number,
  options: Ipv4BuildOptions,
): Buffer {
  const length = IPV4_HEADER_LENGTH + TCP_HEADER_LENGTH;
  const out = Buffer.alloc(length);
  writeIpv4Header(out, 0, ip.destination, ip.source, IP_PROTOCOL.TCP, length, options);
  const t = IPV4_HEADER_LENGTH;
  write16(out, tcp.destinationPort, t);
  write16(out, tcp.sourcePort, t + 2);
  write32(out, sequence, t + 4);
  write32(out, acknowledgment, t + 8);
  write8(out, (TCP_HEADER_LENGTH / 4) << 4, t + 12);
  write8(out, flags, t + 13);
  // Window, checksum and urgent pointer stay 0 until the checksum is computed.
  const initial = pseudoHeaderSum(ip.destination, ip.source, IP_PROTOCOL.TCP, TCP_HEADER_LENGTH);
  write16(out, internetChecksum(out, t, length, initial), t + 16);
  return out;
}
