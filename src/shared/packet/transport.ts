// What TCP and UDP share: both start with the source and destination ports, and both
// checksums cover the IPv4 addresses through the pseudo-header. So rewriting a flow's
// endpoints (the client's NAT, DESIGN §3) is one function for both.
import { applyChecksumDelta, checksumDelta16, checksumDelta32 } from './checksum.js';
import { read16, read32, write16, write32 } from './bytes.js';

/**
 * Replaces source and destination address and port of a validated IPv4 TCP or UDP packet in
 * place, fixing the IP header checksum and the transport checksum (at `checksumOffset` within
 * the transport header) incrementally: a few additions instead of a pass over the payload.
 *
 * `zeroMeansNoChecksum` is UDP's rule (RFC 768): 0 means the sender computed no checksum, so
 * it stays 0, and a computed 0 is sent as 0xffff.
 */
export function rewriteEndpoints(
  packet: Buffer,
  ipHeaderLength: number,
  checksumOffset: number,
  zeroMeansNoChecksum: boolean,
  source: number,
  sourcePort: number,
  destination: number,
  destinationPort: number,
): void {
  const oldSource = read32(packet, 12);
  const oldDestination = read32(packet, 16);
  const addressDelta =
    checksumDelta32(oldSource, source) + checksumDelta32(oldDestination, destination);
  write32(packet, source >>> 0, 12);
  write32(packet, destination >>> 0, 16);
  write16(packet, applyChecksumDelta(read16(packet, 10), addressDelta), 10);

  const t = ipHeaderLength;
  const portDelta =
    checksumDelta16(read16(packet, t), sourcePort) +
    checksumDelta16(read16(packet, t + 2), destinationPort);
  write16(packet, sourcePort, t);
  write16(packet, destinationPort, t + 2);

  const at = t + checksumOffset;
  const checksum = read16(packet, at);
  if (zeroMeansNoChecksum && checksum === 0) return;
  const updated = applyChecksumDelta(checksum, addressDelta + portDelta);
  write16(packet, zeroMeansNoChecksum && updated === 0 ? 0xffff : updated, at);
}
