// IPv4 headers (RFC 791): read, validate, write, and rewrite addresses in place.
//
// Addresses are unsigned 32-bit numbers (198.18.0.10 is 0xc612000a): comparing, hashing and
// writing them costs nothing, where strings would be allocated for every packet.
import {
  applyChecksumDelta,
  checksumDelta32,
  internetChecksum,
  isChecksumValid,
} from './checksum.js';
import { read16, read32, read8, write16, write32, write8 } from './bytes.js';

export const IP_PROTOCOL = { ICMP: 1, TCP: 6, UDP: 17 } as const;

/** Length of an IPv4 header without options, which is what the builders here write. */
export const IPV4_HEADER_LENGTH = 20;

/** Why an IPv4 packet was dropped; short, stable strings meant for counters and logs. */
export type Ipv4DropReason =
  'truncated' | 'not-ipv4' | 'bad-header-length' | 'bad-total-length' | 'bad-checksum' | 'fragment';

/**
 * The fields of one IPv4 header. `parseIpv4` fills an instance; on the per-packet path, pass
 * the same instance every time so that reading a header allocates nothing.
 */
export class Ipv4Header {
  /** Header length in bytes (IHL × 4): 20, or up to 60 with options. */
  headerLength = 0;
  /** Type of service byte (DSCP and ECN). */
  tos = 0;
  /** Length of the whole datagram in bytes, from the header. */
  totalLength = 0;
  identification = 0;
  dontFragment = false;
  /** Always false once `parseIpv4` accepted the packet: it refuses fragments. */
  moreFragments = false;
  /** Offset of this fragment's data in bytes (the wire field × 8); always 0 once accepted. */
  fragmentOffset = 0;
  ttl = 0;
  protocol = 0;
  headerChecksum = 0;
  source = 0;
  destination = 0;

  /** Where the transport header starts in the packet. */
  get payloadOffset(): number {
    return this.headerLength;
  }

  /** Bytes after the IP header, per the total length (trailing bytes are not counted). */
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }
}

/**
 * Reads and validates the IPv4 header at the start of `packet`. Returns the header (`into`
 * when given) or the reason to drop the packet. Never throws.
 *
 * Options are accepted and skipped. Fragments are refused: the engine rewrites and forwards
 * whole datagrams only, and the packets it reads come from the local stack through a TUN
 * device whose MTU it chooses, so a fragment there means something it does not support.
 * Bytes beyond the total length (link padding) are ignored, as the kernel does.
 */
export function parseIpv4(packet: Buffer, into = new Ipv4Header()): Ipv4Header | Ipv4DropReason {
  const length = packet.length;
  if (length < 1) return 'truncated';
  const versionAndIhl = read8(packet, 0);
  if (versionAndIhl >> 4 !== 4) return 'not-ipv4';
  if (length < IPV4_HEADER_LENGTH) return 'truncated';
  const headerLength = (versionAndIhl & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return 'bad-header-length';
  if (headerLength > length) return 'truncated';
  const totalLength = read16(packet, 2);
  if (totalLength < headerLength) return 'bad-total-length';
  if (totalLength > length) return 'truncated';
  // Checked before the fragment bits, so a corrupted header is reported as such.
  if (!isChecksumValid(packet, 0, headerLength)) return 'bad-checksum';
  const flagsAndOffset = read16(packet, 6);
  const moreFragments = (flagsAndOffset & 0x2000) !== 0;
  const fragmentOffset = (flagsAndOffset & 0x1fff) * 8;
  if (moreFragments || fragmentOffset !== 0) return 'fragment';

  into.headerLength = headerLength;
  into.tos = read8(packet, 1);
  into.totalLength = totalLength;
  into.identification = read16(packet, 4);
  into.dontFragment = (flagsAndOffset & 0x4000) !== 0;
  into.moreFragments = moreFragments;
  into.fragmentOffset = fragmentOffset;
  into.ttl = read8(packet, 8);
  into.protocol = read8(packet, 9);
  into.headerChecksum = read16(packet, 10);
  into.source = read32(packet, 12);
  into.destination = read32(packet, 16);
  return into;
}

/** Header fields a builder may choose; every one has a sensible default. */
export interface Ipv4BuildOptions {
  /** 64 by default, the Linux default, so our packets look like the local stack's own. */
  ttl?: number;
  /** 0 by default; see `dontFragment`. */
  identification?: number;
  /**
   * True by default. Packets built here are handed to the local stack through the TUN device
   * and are never fragmented; DF with identification 0 marks them as atomic datagrams
   * (RFC 6864), which is also what Linux sends for its own TCP resets.
   */
  dontFragment?: boolean;
  /** 0 by default. */
  tos?: number;
}

const DEFAULT_BUILD_OPTIONS: Ipv4BuildOptions = {};

/**
 * Writes a 20-byte IPv4 header (no options) with its checksum at `offset` in `out`.
 * `totalLength` is the IP header plus payload. Returns the header length, i.e. where the
 * payload goes relative to `offset`. Positional parameters rather than one object, so the
 * per-packet builders allocate nothing to call it.
 */
export function writeIpv4Header(
  out: Buffer,
  offset: number,
  source: number,
  destination: number,
  protocol: number,
  totalLength: number,
  options: Ipv4BuildOptions = DEFAULT_BUILD_OPTIONS,
): number {
  write8(out, 0x45, offset);
  write8(out, options.tos ?? 0, offset + 1);
  write16(out, totalLength, offset + 2);
  write16(out, options.identification ?? 0, offset + 4);
  write16(out, options.dontFragment === false ? 0 : 0x4000, offset + 6);
  write8(out, options.ttl ?? 64, offset + 8);
  write8(out, protocol, offset + 9);
  write16(out, 0, offset + 10);
  write32(out, source >>> 0, offset + 12);
  write32(out, destination >>> 0, offset + 16);
  write16(out, internetChecksum(out, offset, offset + IPV4_HEADER_LENGTH), offset + 10);
  return IPV4_HEADER_LENGTH;
}

/**
 * Replaces the source and destination addresses of a parsed IPv4 packet in place and fixes
 * the header checksum incrementally. Transport checksums that cover the addresses (TCP, UDP)
 * are not touched: use `rewriteTcpEndpoints` / `rewriteUdpEndpoints` for those. Enough for
 * ICMP, whose checksum covers the ICMP message only.
 */
export function rewriteIpv4Addresses(packet: Buffer, source: number, destination: number): void {
  const oldSource = read32(packet, 12);
  const oldDestination = read32(packet, 16);
  const delta = checksumDelta32(oldSource, source) + checksumDelta32(oldDestination, destination);
  write32(packet, source >>> 0, 12);
  write32(packet, destination >>> 0, 16);
  write16(packet, applyChecksumDelta(read16(packet, 10), delta), 10);
}

/**
 * "198.18.0.10" → 0xc612000a (strict dotted quad; throws a TypeError otherwise) and back:
 * the project's one implementation, in src/shared/net/ipv4.ts, under the names the packet
 * code reads best with.
 */
export { parseIPv4 as ipToNumber, formatIPv4 as numberToIp } from '../net/ipv4.js';
