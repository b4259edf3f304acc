// Test helpers: hex fixtures, a seeded random generator, and a deliberately naive reference
// checksum (one 16-bit word at a time, end-around carry on every step), written
// independently of src/shared/packet/checksum.ts so that the library is not checked against
// itself.

export function hex(text: string): Buffer {
  return Buffer.from(text, 'hex');
}

/** mulberry32: small, fast, and the same sequence for the same seed on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

export function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(random, 256);
  return out;
}

/** Ones'-complement sum of 16-bit words, the textbook way (RFC 1071 §4.1). */
export function referenceSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) {
    const high = bytes[i] ?? 0;
    const low = bytes[i + 1] ?? 0;
    sum += (high << 8) | low;
    if (sum > 0xffff) sum = (sum & 0xffff) + 1;
  }
  return sum;
}

export function referenceChecksum(bytes: Uint8Array, initial = 0): number {
  return ~referenceSum(bytes, initial) & 0xffff;
}

function referencePseudoHeader(packet: Buffer, protocol: number, length: number): number {
  const words = Buffer.alloc(12);
  packet.copy(words, 0, 12, 20);
  words[9] = protocol;
  words.writeUInt16BE(length, 10);
  return referenceSum(words);
}

/**
 * The IPv4 header checksum recomputed from scratch with the field zeroed. Over at least 20
 * bytes even when the IHL says less, so tests can forge headers with a broken IHL.
 */
export function referenceIpChecksum(packet: Buffer): number {
  const length = Math.min(packet.length, Math.max(20, ((packet[0] ?? 0) & 0x0f) * 4));
  const header = Buffer.from(packet.subarray(0, length));
  header.writeUInt16BE(0, 10);
  return referenceChecksum(header);
}

/** A TCP or UDP checksum recomputed from scratch, pseudo-header included. */
export function referenceTransportChecksum(packet: Buffer, checksumOffset: number): number {
  const ihl = ((packet[0] ?? 0) & 0x0f) * 4;
  const protocol = packet[9] ?? 0;
  const end = protocol === 17 ? ihl + packet.readUInt16BE(ihl + 4) : packet.readUInt16BE(2);
  const segment = Buffer.from(packet.subarray(ihl, end));
  segment.writeUInt16BE(0, checksumOffset);
  const checksum = referenceChecksum(
    segment,
    referencePseudoHeader(packet, protocol, segment.length),
  );
  return protocol === 17 && checksum === 0 ? 0xffff : checksum;
}

/** The ICMP checksum recomputed from scratch. */
export function referenceIcmpChecksum(packet: Buffer): number {
  const ihl = ((packet[0] ?? 0) & 0x0f) * 4;
  const message = Buffer.from(packet.subarray(ihl, packet.readUInt16BE(2)));
  message.writeUInt16BE(0, 2);
  return referenceChecksum(message);
}
