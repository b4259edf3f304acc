// HTTP Datagrams and the Capsule Protocol (RFC 9297) with QUIC variable-length integers
// (RFC 9000 §16). Capsules are the framing inside a connect-udp / connect-ip stream: each is
// (type varint, length varint, value). Parsing is incremental because HTTP/2 DATA frames cut
// capsules anywhere.

export const CAPSULE_DATAGRAM = 0x00;
/** RFC 9484 connect-ip capsules. */
export const CAPSULE_ADDRESS_ASSIGN = 0x01;
export const CAPSULE_ADDRESS_REQUEST = 0x02;
export const CAPSULE_ROUTE_ADVERTISEMENT = 0x03;

export function varintLength(value: number): 1 | 2 | 4 | 8 {
  if (value < 0 || !Number.isSafeInteger(value))
    throw new RangeError(`varint out of range: ${value}`);
  if (value < 64) return 1;
  if (value < 16384) return 2;
  if (value < 1073741824) return 4;
  return 8;
}

/** Writes `value` at `offset`; returns the offset after it. */
export function writeVarint(target: Buffer, offset: number, value: number): number {
  const length = varintLength(value);
  switch (length) {
    case 1:
      target[offset] = value;
      break;
    case 2:
      target.writeUInt16BE(0x4000 | value, offset);
      break;
    case 4:
      target.writeUInt32BE((0x80000000 | value) >>> 0, offset);
      break;
    case 8:
      target.writeUInt32BE((0xc0000000 | Math.floor(value / 2 ** 32)) >>> 0, offset);
      target.writeUInt32BE(value >>> 0, offset + 4);
      break;
  }
  return offset + length;
}

/** Reads a varint at `offset`; undefined when the buffer ends before it does. */
export function readVarint(
  source: Buffer,
  offset: number,
): { value: number; next: number } | undefined {
  if (offset >= source.length) return undefined;
  const first = source[offset] as number;
  const length = 1 << (first >> 6);
  if (offset + length > source.length) return undefined;
  switch (length) {
    case 1:
      return { value: first & 0x3f, next: offset + 1 };
    case 2:
      return { value: source.readUInt16BE(offset) & 0x3fff, next: offset + 2 };
    case 4:
      return { value: (source.readUInt32BE(offset) & 0x3fffffff) >>> 0, next: offset + 4 };
    default: {
      const high = source.readUInt32BE(offset) & 0x3fffffff;
      const value = high * 2 ** 32 + source.readUInt32BE(offset + 4);
      // Values above 2^53 cannot be lengths we accept anyway; keep them as an unsafe marker.
      return { value, next: offset + 8 };
    }
  }
}

export interface Capsule {
  type: number;
  value: Buffer;
}

export function encodeCapsule(type: number, value: Buffer): Buffer {
  const header = varintLength(type) + varintLength(value.length);
  const out = Buffer.allocUnsafe(header + value.length);
  let offset = writeVarint(out, 0, type);
  offset = writeVarint(out, offset, value.length);
  value.copy(out, offset);
  return out;
}

/**
 * A DATAGRAM capsule carrying an HTTP Datagram with context ID 0 (RFC 9298 §5, RFC 9484 §6):
 * the payload is a UDP payload (connect-udp) or a whole IP packet (connect-ip).
 */
export function encodeDatagramCapsule(payload: Buffer): Buffer {
  const valueLength = 1 + payload.length;
  const out = Buffer.allocUnsafe(1 + varintLength(valueLength) + valueLength);
  let offset = writeVarint(out, 0, CAPSULE_DATAGRAM);
  offset = writeVarint(out, offset, valueLength);
  out[offset] = 0; // context ID 0
  payload.copy(out, offset + 1);
  return out;
}

/** Splits a DATAGRAM capsule's value into context ID and payload. */
export function decodeDatagram(value: Buffer): { contextId: number; payload: Buffer } | undefined {
  const id = readVarint(value, 0);
  if (!id) return undefined;
  return { contextId: id.value, payload: value.subarray(id.next) };
}

export class CapsuleError extends Error {}

/**
 * Incremental capsule parser. Feed it the stream's DATA as it arrives; it returns the
 * complete capsules and keeps the remainder. A capsule longer than `maxLength` is an error
 * (the stream must be reset): it bounds the memory one stream can make us hold.
 */
export class CapsuleParser {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLength: number) {}

  push(chunk: Buffer): Capsule[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const capsules: Capsule[] = [];
    let offset = 0;
    for (;;) {
      const type = readVarint(data, offset);
      if (!type) break;
      const length = readVarint(data, type.next);
      if (!length) break;
      if (length.value > this.maxLength) {
        throw new CapsuleError(
          `capsule of ${length.value} bytes exceeds the limit of ${this.maxLength}`,
        );
      }
      const end = length.next + length.value;
      if (end > data.length) break;
      capsules.push({ type: type.value, value: data.subarray(length.next, end) });
      offset = end;
    }
    this.pending = offset === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(offset));
    return capsules;
  }

  /** Bytes received that do not yet form a whole capsule. */
  get buffered(): number {
    return this.pending.length;
  }
}
