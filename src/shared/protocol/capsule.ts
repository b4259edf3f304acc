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

/** Type and length varints take at most 8 bytes each. */
const MAX_HEADER = 16;
/** The first buffer for a capsule cut short; it doubles as bytes arrive, up to the capsule. */
const FIRST_VALUE_BUFFER = 2048;

/**
 * Incremental capsule parser. Feed it the stream's DATA as it arrives; it returns the
 * complete capsules and keeps the remainder. A capsule longer than `maxLength` is an error
 * (the stream must be reset): it bounds the memory one stream can make us hold.
 *
 * Each byte is copied at most a few times whatever the DATA frames look like: a capsule
 * cut short is held in a buffer of its own that grows by doubling (never more than twice the
 * bytes received, never more than the capsule), and later chunks are copied into it. Joining
 * the held bytes with each new chunk instead costs the square of the capsule's size when a
 * peer sends it one byte per frame (65,535 bytes: half a second of CPU).
 *
 * Capsules found whole in one chunk are returned as views of that chunk, without a copy.
 */
export class CapsuleParser {
  /** Header bytes of a capsule cut short before its length was complete. */
  private readonly header = Buffer.alloc(MAX_HEADER);
  private headerLength = 0;
  /** The capsule being reassembled once its header is known. */
  private type = 0;
  private valueLength = -1;
  private value: Buffer | undefined;
  private valueFilled = 0;

  constructor(private readonly maxLength: number) {}

  push(chunk: Buffer): Capsule[] {
    const capsules: Capsule[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.valueLength >= 0) {
        offset = this.fillValue(chunk, offset, capsules);
        continue;
      }
      if (this.headerLength > 0) {
        offset = this.fillHeader(chunk, offset);
        // An empty value is complete with its header, even at the end of the chunk.
        if (this.valueLength === 0) offset = this.fillValue(chunk, offset, capsules);
        continue;
      }
      // Nothing held: read whole capsules straight from the chunk.
      const type = readVarint(chunk, offset);
      const length = type && readVarint(chunk, type.next);
      if (!type || !length) {
        this.holdHeader(chunk.subarray(offset));
        return capsules;
      }
      this.checkLength(length.value);
      const end = length.next + length.value;
      if (end <= chunk.length) {
        capsules.push({ type: type.value, value: chunk.subarray(length.next, end) });
        offset = end;
      } else {
        this.startValue(type.value, length.value);
        offset = length.next;
      }
    }
    return capsules;
  }

  /** Bytes received that do not yet form a whole capsule. */
  get buffered(): number {
    return this.headerLength + this.valueFilled;
  }

  private checkLength(length: number): void {
    if (length > this.maxLength) {
      throw new CapsuleError(`capsule of ${length} bytes exceeds the limit of ${this.maxLength}`);
    }
  }

  private holdHeader(bytes: Buffer): void {
    bytes.copy(this.header, this.headerLength);
    this.headerLength += bytes.length;
  }

  /** Adds header bytes until type and length are whole; returns the chunk offset reached. */
  private fillHeader(chunk: Buffer, offset: number): number {
    const held = this.headerLength;
    const taken = Math.min(MAX_HEADER - held, chunk.length - offset);
    chunk.copy(this.header, held, offset, offset + taken);
    const header = this.header.subarray(0, held + taken);
    const type = readVarint(header, 0);
    const length = type && readVarint(header, type.next);
    if (!type || !length) {
      this.headerLength = held + taken;
      return offset + taken;
    }
    this.checkLength(length.value);
    this.headerLength = 0;
    this.startValue(type.value, length.value);
    // Only what the header used is consumed; the rest of the chunk is value and later capsules.
    return offset + (length.next - held);
  }

  private startValue(type: number, length: number): void {
    this.type = type;
    this.valueLength = length;
    this.valueFilled = 0;
    this.value = undefined;
  }

  private fillValue(chunk: Buffer, offset: number, capsules: Capsule[]): number {
    const needed = this.valueLength - this.valueFilled;
    const available = chunk.length - offset;
    if (this.valueFilled === 0 && available >= needed) {
      // The whole value is in this chunk: a view, no copy.
      capsules.push({ type: this.type, value: chunk.subarray(offset, offset + needed) });
      this.valueLength = -1;
      return offset + needed;
    }
    const taken = Math.min(needed, available);
    this.reserve(this.valueFilled + taken);
    chunk.copy(this.value as Buffer, this.valueFilled, offset, offset + taken);
    this.valueFilled += taken;
    if (this.valueFilled === this.valueLength) {
      capsules.push({
        type: this.type,
        value: (this.value as Buffer).subarray(0, this.valueLength),
      });
      this.value = undefined;
      this.valueFilled = 0;
      this.valueLength = -1;
    }
    return offset + taken;
  }

  /** Makes room for `size` value bytes: doubling, capped at the capsule's length. */
  private reserve(size: number): void {
    const current = this.value;
    if (current && current.length >= size) return;
    let capacity = current ? current.length : FIRST_VALUE_BUFFER;
    while (capacity < size) capacity *= 2;
    const grown = Buffer.allocUnsafe(Math.min(capacity, this.valueLength));
    if (current) current.copy(grown, 0, 0, this.valueFilled);
    this.value = grown;
  }
}
