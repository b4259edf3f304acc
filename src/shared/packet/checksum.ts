// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// Every IPv4 header, ICMP message, TCP segment and UDP datagram carries the same 16-bit
// ones'-complement checksum. The client rewrites addresses and ports of every TCP packet that
// crosses the TUN device (DESIGN §3); recomputing the checksum would read every payload byte
// again, while an incremental update costs a few additions whatever the packet size, and it
// carries a corrupted packet's bad checksum over unchanged, so the receiving stack still
// drops it.

/**
 * Folds a sum of 16-bit words (any non-negative integer up to 2^53) into 16 bits with
 * end-around carry, which is what ones'-complement addition amounts to.
 */
export function foldSum(sum: number): number {
  // Above 32 bits, `>>>` would truncate: divide instead. Two more folds absorb the carries.
  if (sum > 0xffffffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** True on x86 and ARM hosts: decides how words read in native order line up with the wire's. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Below this many bytes a plain byte loop beats setting up a 32-bit view (measured). */
const WIDE_SUM_THRESHOLD = 64;

/** 2^20 32-bit words add up to less than 2^52: exact in a JavaScript number. */
const WORDS_PER_CHUNK = 1 << 20;

function swapBytes16(value: number): number {
  return ((value & 0xff) << 8) | (value >>> 8);
}

/**
 * Ones'-complement sum of `buf[start, end)` read as big-endian 16-bit words (an odd last byte
 * is padded with a zero byte, RFC 1071), added to `initial` (e.g. a pseudo-header sum).
 * The result is folded to 16 bits but not complemented: sums of several ranges can be
 * chained through `initial`.
 */
export function onesComplementSum(buf: Buffer, start: number, end: number, initial = 0): number {
  // Indexing is used rather than buf.readUInt16BE: the bounds are checked once by the loop,
  // and in Node 20 it is several times faster than the read methods (measured), which
  // matters on a path that sees every payload byte of every UDP and ICMP packet.
  if (end - start < WIDE_SUM_THRESHOLD) {
    let sum = initial;
    let i = start;
    const pairsEnd = end - 1;
    for (; i < pairsEnd; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
    if (i < end) sum += buf[i]! << 8;
    return foldSum(sum);
  }

  // Longer ranges: add aligned 32-bit words in the host's byte order. RFC 1071 §2 shows the
  // sum does not depend on byte order except for a final byte swap, and adding a 32-bit
  // word is adding its two 16-bit halves, because 2^16 ≡ 1 modulo 0xffff. This runs about
  // three times faster than the byte loop on 1500-byte packets.
  const absoluteStart = buf.byteOffset + start;
  const head = (4 - (absoluteStart & 3)) & 3;
  const wordCount = (end - start - head) >>> 2;
  const words = new Uint32Array(buf.buffer, absoluteStart + head, wordCount);
  let wide = 0;
  for (let chunk = 0; chunk < wordCount; chunk += WORDS_PER_CHUNK) {
    const chunkEnd = Math.min(wordCount, chunk + WORDS_PER_CHUNK);
    for (let k = chunk; k < chunkEnd; k++) wide += words[k]!;
    wide = foldSum(wide);
  }
  // The words start `head` bytes into the range. From an even position, a little-endian read
  // puts the wire's high byte low: swap. From an odd position, the wire's 16-bit grid is
  // shifted by one byte, which cancels the swap. A big-endian host is the mirror case.
  if (((head & 1) === 0) === LITTLE_ENDIAN) wide = swapBytes16(wide);

  let sum = initial + wide;
  const headEnd = start + head;
  for (let i = start; i < headEnd; i++) sum += (i - start) & 1 ? buf[i]! : buf[i]! << 8;
  for (let i = headEnd + wordCount * 4; i < end; i++) {
    sum += (i - start) & 1 ? buf[i]! : buf[i]! << 8;
  }
  return foldSum(sum);
}

/**
 * The checksum to store in a header: the complement of the ones'-complement sum of
 * `buf[start, end)` plus `initial`. Over a range that already holds a correct checksum the
 * result is 0, which is how `isChecksumValid` verifies.
 */
export function internetChecksum(buf: Buffer, start: number, end: number, initial = 0): number {
  return ~onesComplementSum(buf, start, end, initial) & 0xffff;
}

/** True when the range (with its checksum field in place) sums to all ones. */
export function isChecksumValid(buf: Buffer, start: number, end: number, initial = 0): boolean {
  return onesComplementSum(buf, start, end, initial) === 0xffff;
}

/**
 * Sum of the IPv4 pseudo-header that TCP and UDP checksums cover (RFC 793, RFC 768):
 * source, destination, protocol and the transport length. Folded, not complemented; pass it
 * as `initial` to `internetChecksum`.
 */
export function pseudoHeaderSum(
  source: number,
  destination: number,
  protocol: number,
  length: number,
): number {
  return foldSum(
    (source >>> 16) +
      (source & 0xffff) +
      (destination >>> 16) +
      (destination & 0xffff) +
      protocol +
      length,
  );
}

/**
 * New checksum after one 16-bit word of the covered data changed from `oldValue` to
 * `newValue`: RFC 1624 equation 3, HC' = ~(~HC + ~m + m'). Equation 3 (not the older
 * equation 2 of RFC 1141) never turns a correct checksum into the "minus zero" 0xffff.
 */
export function updateChecksum16(checksum: number, oldValue: number, newValue: number): number {
  return ~foldSum((~checksum & 0xffff) + (~oldValue & 0xffff) + (newValue & 0xffff)) & 0xffff;
}

/** As `updateChecksum16`, for a 32-bit field (an IPv4 address, a TCP sequence number). */
export function updateChecksum32(checksum: number, oldValue: number, newValue: number): number {
  return (
    ~foldSum(
      (~checksum & 0xffff) +
        (~(oldValue >>> 16) & 0xffff) +
        (~oldValue & 0xffff) +
        ((newValue >>> 16) & 0xffff) +
        (newValue & 0xffff),
    ) & 0xffff
  );
}

/**
 * The term one 32-bit field change adds to a running checksum delta (~m + m' for each half).
 * Several changes can be summed and applied at once with `applyChecksumDelta`, so a NAT
 * rewrite of two addresses and two ports touches each checksum field only once.
 */
export function checksumDelta32(oldValue: number, newValue: number): number {
  return (
    (~(oldValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) +
    ((newValue >>> 16) & 0xffff) +
    (newValue & 0xffff)
  );
}

/** As `checksumDelta32`, for a 16-bit field. */
export function checksumDelta16(oldValue: number, newValue: number): number {
  return (~oldValue & 0xffff) + (newValue & 0xffff);
}

/** Applies a sum of `checksumDelta16`/`checksumDelta32` terms to a checksum (RFC 1624 eq. 3). */
export function applyChecksumDelta(checksum: number, delta: number): number {
  return ~foldSum((~checksum & 0xffff) + delta) & 0xffff;
}
