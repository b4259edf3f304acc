// ICMP (RFC 792) as Passerelle uses it: echo requests and replies cross the tunnel over
// connect-ip (DESIGN §2), and the client answers flows it cannot deliver with Destination
// Unreachable, so that applications fail at once instead of waiting for a timeout.
import { internetChecksum, isChecksumValid, updateChecksum16 } from './checksum.js';
import {
  IP_PROTOCOL,
  IPV4_HEADER_LENGTH,
  parseIpv4,
  writeIpv4Header,
  type Ipv4BuildOptions,
  type Ipv4Header,
} from './ipv4.js';
import { read16, read8, write16, write8 } from './bytes.js';

export const ICMP_TYPE = {
  ECHO_REPLY: 0,
  DESTINATION_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;

/**
 * Destination Unreachable codes (RFC 792, RFC 1812 §5.2.7.1), with the error Linux reports
 * to a connecting TCP socket for each: NETWORK → ENETUNREACH, HOST → EHOSTUNREACH,
 * PORT → ECONNREFUSED, HOST_PROHIBITED and ADMINISTRATIVELY_PROHIBITED → EHOSTUNREACH.
 */
export const UNREACHABLE_CODE = {
  NETWORK: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  NETWORK_PROHIBITED: 9,
  HOST_PROHIBITED: 10,
  ADMINISTRATIVELY_PROHIBITED: 13,
} as const;

/** Type, code, checksum and the 4 bytes after them: every ICMP message has these 8. */
export const ICMP_HEADER_LENGTH = 8;

export type IcmpDropReason = 'not-icmp' | 'truncated' | 'bad-checksum';

/** The fields of one ICMP header; reuse one instance per packet loop, as with `Ipv4Header`. */
export class IcmpHeader {
  type = 0;
  code = 0;
  checksum = 0;
  /** Echo identifier (bytes 4–5); meaningful for echo requests and replies only. */
  identifier = 0;
  /** Echo sequence number (bytes 6–7); meaningful for echo requests and replies only. */
  sequence = 0;
  /**
   * Where the data after the 8-byte header starts, counted from the start of the IP packet:
   * the echo data, or the quoted packet of an error message.
   */
  payloadOffset = 0;
  payloadLength = 0;

  get isEcho(): boolean {
    return this.type === ICMP_TYPE.ECHO_REQUEST || this.type === ICMP_TYPE.ECHO_REPLY;
  }
}

/**
 * Reads and validates the ICMP message of a packet whose IPv4 header `ip` was parsed by
 * `parseIpv4`. Returns the header (`into` when given) or the reason to drop. Never throws.
 * The checksum is verified: echo data is carried into a newly built packet, so corruption
 * would otherwise go unnoticed.
 */
export function parseIcmp(
  packet: Buffer,
  ip: Ipv4Header,
  into = new IcmpHeader(),
): IcmpHeader | IcmpDropReason {
  if (ip.protocol !== IP_PROTOCOL.ICMP) return 'not-icmp';
  const start = ip.headerLength;
  const end = ip.totalLength;
  if (end - start < ICMP_HEADER_LENGTH) return 'truncated';
  if (!isChecksumValid(packet, start, end)) return 'bad-checksum';
  into.type = read8(packet, start);
  into.code = read8(packet, start + 1);
  into.checksum = read16(packet, start + 2);
  into.identifier = read16(packet, start + 4);
  into.sequence = read16(packet, start + 6);
  into.payloadOffset = start + ICMP_HEADER_LENGTH;
  into.payloadLength = end - start - ICMP_HEADER_LENGTH;
  return into;
}

export interface IcmpEchoFields extends Ipv4BuildOptions {
  /** `ICMP_TYPE.ECHO_REQUEST` (8) or `ICMP_TYPE.ECHO_REPLY` (0). */
  type: typeof ICMP_TYPE.ECHO_REQUEST | typeof ICMP_TYPE.ECHO_REPLY;
  source: number;
  destination: number;
  identifier: number;
  sequence: number;
  /** The echo data; a reply carries the request's data unchanged. */
  payload: Uint8Array;
}

/** The largest echo data a single IPv4 packet can carry (65535 − 20 − 8). */
export const MAX_ICMP_ECHO_PAYLOAD = 0xffff - IPV4_HEADER_LENGTH - ICMP_HEADER_LENGTH;

/** Size of the IPv4 packet `writeIcmpEcho` writes for echo data of this many bytes. */
export function icmpEchoPacketLength(payloadLength: number): number {
  return IPV4_HEADER_LENGTH + ICMP_HEADER_LENGTH + payloadLength;
}

/**
 * Writes a complete IPv4 ICMP echo request or reply at `offset` in `out` (which must have
 * `icmpEchoPacketLength(payload.length)` bytes free there) and returns its length. Throws a
 * RangeError when the payload is larger than `MAX_ICMP_ECHO_PAYLOAD`.
 */
export function writeIcmpEcho(out: Buffer, offset: number, fields: IcmpEchoFields): number {
  const payloadLength = fields.payload.length;
  if (payloadLength > MAX_ICMP_ECHO_PAYLOAD) {
    throw new RangeError(
      `ICMP echo data of ${payloadLength} bytes exceeds ${MAX_ICMP_ECHO_PAYLOAD}`,
    );
  }
  const totalLength = icmpEchoPacketLength(payloadLength);
  writeIpv4Header(
    out,
    offset,
    fields.source,
    fields.destination,
    IP_PROTOCOL.ICMP,
    totalLength,
    fields,
  );
  const m = offset + IPV4_HEADER_LENGTH;
  write8(out, fields.type, m);
  write8(out, 0, m + 1);
  write16(out, 0, m + 2);
  write16(out, fields.identifier, m + 4);
  write16(out, fields.sequence, m + 6);
  out.set(fields.payload, m + ICMP_HEADER_LENGTH);
  write16(out, internetChecksum(out, m, offset + totalLength), m + 2);
  return totalLength;
}

/** As `writeIcmpEcho`, into a new buffer of exactly the packet's size. */
export function buildIcmpEcho(fields: IcmpEchoFields): Buffer {
  const out = Buffer.allocUnsafe(icmpEchoPacketLength(fields.payload.length));
  writeIcmpEcho(out, 0, fields);
  return out;
}

/**
 * Replaces the identifier of an echo request or reply in place, with an incremental checksum
 * update. Needed because an unprivileged ICMP socket (Linux "ping socket") picks the
 * identifier itself: the reply the gateway receives carries the socket's identifier, and the
 * application that sent the request only accepts its own. The packet must have passed
 * `parseIpv4` and `parseIcmp`.
 */
export function rewriteIcmpEchoIdentifier(
  packet: Buffer,
  ipHeaderLength: number,
  identifier: number,
): void {
  const at = ipHeaderLength + 4;
  const old = read16(packet, at);
  write16(packet, identifier, at);
  write16(
    packet,
    updateChecksum16(read16(packet, ipHeaderLength + 2), old, identifier),
    ipHeaderLength + 2,
  );
}

const ICMP_ERROR_TYPES = new Set<number>([
  ICMP_TYPE.DESTINATION_UNREACHABLE,
  ICMP_TYPE.SOURCE_QUENCH,
  ICMP_TYPE.REDIRECT,
  ICMP_TYPE.TIME_EXCEEDED,
  ICMP_TYPE.PARAMETER_PROBLEM,
]);

function isMulticastOrBroadcast(address: number): boolean {
  return address >>> 28 === 0xe || address >>> 0 === 0xffffffff;
}

/** Options for `buildIcmpUnreachable`: as for any built packet, but `tos` defaults to 0xc0. */
export type IcmpErrorOptions = Ipv4BuildOptions;

/**
 * Destination Unreachable (type 3) for `offending`, as a complete IPv4 packet from `source`
 * to the offending packet's source. It quotes the offending IP header (with its options) and
 * the first 8 bytes of its payload (RFC 792): enough for the sender's stack to find the
 * socket (the ports) and, for TCP, to check the quoted sequence number, which Linux does
 * before it accepts the error. The TOS defaults to 0xc0 (internetwork control), as routers
 * (RFC 1812 §4.3.2.5) and Linux mark their ICMP errors; with `identification` and
 * `dontFragment: false` given, the bytes equal Linux's own port unreachable.
 *
 * Returns null when no error may be sent (RFC 1122 §3.2.2): `offending` is not a valid IPv4
 * packet, is itself an ICMP error, or comes from or goes to no single host (0.0.0.0,
 * multicast, broadcast).
 */
export function buildIcmpUnreachable(
  offending: Buffer,
  source: number,
  code: number,
  options: IcmpErrorOptions = {},
): Buffer | null {
  const ip = parseIpv4(offending);
  if (typeof ip === 'string') return null;
  if (ip.source === 0 || isMulticastOrBroadcast(ip.source)) return null;
  if (isMulticastOrBroadcast(ip.destination)) return null;
  if (ip.protocol === IP_PROTOCOL.ICMP) {
    if (ip.payloadLength < 1) return null;
    if (ICMP_ERROR_TYPES.has(read8(offending, ip.headerLength))) return null;
  }

  const quoteLength = ip.headerLength + Math.min(8, ip.payloadLength);
  const totalLength = IPV4_HEADER_LENGTH + ICMP_HEADER_LENGTH + quoteLength;
  const out = Buffer.alloc(totalLength);
  writeIpv4Header(out, 0, source, ip.source, IP_PROTOCOL.ICMP, totalLength, {
    ...options,
    tos: options.tos ?? 0xc0,
  });
  const m = IPV4_HEADER_LENGTH;
  write8(out, ICMP_TYPE.DESTINATION_UNREACHABLE, m);
  write8(out, code, m + 1);
  // Checksum and the 4 unused bytes stay 0 until the checksum is computed.
  offending.copy(out, m + ICMP_HEADER_LENGTH, 0, quoteLength);
  write16(out, internetChecksum(out, m, totalLength), m + 2);
  return out;
}
