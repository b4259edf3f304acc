// The channel between the gateway's control plane (this process) and its native data plane
// (src/native/gateway/): framed binary messages, little-endian, the same numbers and field
// orders as src/native/gateway/control/messages.h, where each message is described. What the
// data plane sends is read with every length checked: the data plane parses what strangers
// send, so the control plane treats its messages as untrusted too.
import type { ApiRequest } from '../gateway/http/api.js';
import type { CompiledRules } from '../gateway/policy.js';

export const PROTOCOL_VERSION = 1;
const MAX_FRAME = 16 * 1024 * 1024;

export const Down = {
  configure: 1,
  subject: 2,
  subjectDrop: 3,
  sessionAdd: 4,
  sessionDrop: 5,
  apiResponse: 6,
  resolved: 7,
  shutdown: 8,
  reserved: 9,
} as const;

export const Up = {
  ready: 101,
  configured: 102,
  apiRequest: 103,
  resolve: 104,
  events: 105,
  fatal: 106,
} as const;

export const EventKind = {
  flowOpen: 1,
  flowEnd: 2,
  counter: 3,
  sessionDropped: 4,
  gauge: 5,
} as const;

/** The protocols' numbers on the wire (admission::Protocol). */
export const PROTOCOL_NUMBERS = { tcp: 0, udp: 1, icmp: 2 } as const;
export type WireProtocol = keyof typeof PROTOCOL_NUMBERS;
const PROTOCOL_NAMES: readonly WireProtocol[] = ['tcp', 'udp', 'icmp'];

export const VERDICTS = ['allow', 'deny', 'error'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** RFC 9209 error tokens by number (control::ProxyError); 0 is none. */
export const PROXY_ERRORS = [
  undefined,
  'destination_ip_prohibited',
  'destination_ip_unroutable',
  'destination_not_found',
  'connection_refused',
  'connection_terminated',
  'connection_timeout',
  'connection_limit_reached',
  'dns_error',
  'proxy_internal_error',
  'http_request_error',
  'http_request_denied',
] as const;

export const COUNTER_FAMILIES = {
  1: 'malformed',
  2: 'refusedStreams',
  3: 'connectionsRefused',
  4: 'connectionsClosed',
  5: 'requestsRefused',
  6: 'requestsAbandoned',
} as const;
export type CounterFamily = (typeof COUNTER_FAMILIES)[keyof typeof COUNTER_FAMILIES];

/** The limits of CONFIGURE, in control::Limit's order. */
export const LIMIT_ORDER = [
  'streamsPerSession',
  'sessionMemoryBytes',
  'maxRequestBodyBytes',
  'connections',
  'connectionsPerSource',
  'unauthenticatedConnections',
  'unauthenticatedConnectionsPerSource',
  'handshakeTimeoutMs',
  'requestTimeoutMs',
  'unauthenticatedStreams',
  'unauthenticatedBytesPerConnection',
  'unauthenticatedBytes',
  'flowsTotal',
  'flowsPerUser',
  'tcpConnectTimeoutMs',
  'udpIdleTimeoutMs',
  'keepaliveIntervalMs',
  'streamWindowBytes',
  'connectionWindowBytes',
] as const;
export type DataPlaneLimits = Record<(typeof LIMIT_ORDER)[number], number>;

/** An answer on the wire: status, headers (lower-case names), body. */
export interface WireAnswer {
  status: number;
  headers: readonly (readonly [string, string])[];
  body: Buffer;
}

/** The answers the data plane gives when a limit is met, in control::Canned's order. */
export const CANNED_ORDER = [
  'payloadTooLarge',
  'requestTimeout',
  'tooManyRequests',
  'busy',
] as const;
export type CannedAnswers = Record<(typeof CANNED_ORDER)[number], WireAnswer>;

export interface DataPlaneConfig {
  listenHost: string;
  listenPort: number;
  /** Worker threads; 0 = one per CPU. */
  threads: number;
  tlsMinVersion: 12 | 13;
  certificate: Buffer;
  key: Buffer;
  limits: DataPlaneLimits;
  canned: CannedAnswers;
}

/** One rule of a user's compiled policy, as src/gateway/policy.ts compiles it. */
export type WireRule = CompiledRules['rules'][number];

/** A destination no broad allow reaches (src/gateway/reserved.ts). */
export interface WireReservedBlock {
  network: number;
  mask: number;
  kind: string;
}

export type WireRuleSet = CompiledRules;

/** Builds one message: the type, then fields appended in order. */
export class MessageWriter {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly type: number) {}

  private push(buffer: Buffer): this {
    this.chunks.push(buffer);
    this.size += buffer.length;
    return this;
  }

  u8(value: number): this {
    const b = Buffer.allocUnsafe(1);
    b.writeUInt8(value);
    return this.push(b);
  }

  u16(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16LE(value);
    return this.push(b);
  }

  u32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(value >>> 0);
    return this.push(b);
  }

  i32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32LE(value);
    return this.push(b);
  }

  u64(value: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(value);
    return this.push(b);
  }

  bytes(value: Buffer): this {
    this.u32(value.length);
    return this.push(value);
  }

  str(value: string): this {
    return this.bytes(Buffer.from(value, 'utf8'));
  }

  raw(value: Buffer): this {
    return this.push(value);
  }

  /** The framed message: u32 length, u8 type, fields. */
  finish(): Buffer {
    const head = Buffer.allocUnsafe(5);
    head.writeUInt32LE(this.size + 1, 0);
    head.writeUInt8(this.type, 4);
    return Buffer.concat([head, ...this.chunks], 5 + this.size);
  }
}

export class MalformedMessage extends Error {}

/** Reads the fields of one message; any read past its end throws MalformedMessage. */
export class MessageReader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  private take(n: number): number {
    if (this.offset + n > this.data.length) {
      throw new MalformedMessage(`a field runs past the message (${this.data.length} bytes)`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(): number {
    return this.data.readUInt8(this.take(1));
  }

  u16(): number {
    return this.data.readUInt16LE(this.take(2));
  }

  u32(): number {
    return this.data.readUInt32LE(this.take(4));
  }

  i32(): number {
    return this.data.readInt32LE(this.take(4));
  }

  u64(): bigint {
    return this.data.readBigUInt64LE(this.take(8));
  }

  bytes(): Buffer {
    const length = this.u32();
    const at = this.take(length);
    return this.data.subarray(at, at + length);
  }

  str(): string {
    return this.bytes().toString('utf8');
  }

  get done(): boolean {
    return this.offset === this.data.length;
  }
}

/** Cuts the channel's byte stream into messages. */
export class FrameSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Feeds bytes; returns the whole messages now available. Throws on an oversized frame. */
  push(chunk: Buffer): { type: number; fields: Buffer }[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const messages: { type: number; fields: Buffer }[] = [];
    if (this.pendingBytes < 4) return messages;
    let data = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    let offset = 0;
    while (data.length - offset >= 4) {
      const size = data.readUInt32LE(offset);
      if (size < 1 || size > MAX_FRAME) {
        throw new MalformedMessage(`a frame of ${size} bytes from the data plane`);
      }
      if (data.length - offset < 4 + size) break;
      messages.push({
        type: data[offset + 4] as number,
        fields: data.subarray(offset + 5, offset + 4 + size),
      });
      offset += 4 + size;
    }
    data = offset === data.length ? Buffer.alloc(0) : data.subarray(offset);
    this.pending = data.length > 0 ? [data] : [];
    this.pendingBytes = data.length;
    return messages;
  }
}

export function encodeConfigure(config: DataPlaneConfig): Buffer {
  const w = new MessageWriter(Down.configure)
    .u16(PROTOCOL_VERSION)
    .str(config.listenHost)
    .u16(config.listenPort)
    .u16(config.threads)
    .u8(config.tlsMinVersion)
    .bytes(config.certificate)
    .bytes(config.key);
  for (const name of LIMIT_ORDER) w.u32(Math.max(0, Math.min(0xffffffff, config.limits[name])));
  for (const name of CANNED_ORDER) {
    const answer = config.canned[name];
    w.u16(answer.status).u16(answer.headers.length);
    for (const [header, value] of answer.headers) w.str(header).str(value);
    w.bytes(answer.body);
  }
  return w.finish();
}

export function encodeReserved(blocks: readonly WireReservedBlock[]): Buffer {
  const w = new MessageWriter(Down.reserved).u32(blocks.length);
  for (const block of blocks) w.u32(block.network).u32(block.mask).str(block.kind);
  return w.finish();
}

export function encodeSubject(handle: number, set: WireRuleSet): Buffer {
  const w = new MessageWriter(Down.subject).u32(handle).u32(set.resourceNames.length);
  for (const name of set.resourceNames) w.str(name);
  w.u32(set.rules.length);
  for (const rule of set.rules) {
    w.u8(rule.allow ? 1 : 0)
      .i32(rule.policy)
      .u32(rule.resource)
      .u32(rule.network)
      .u32(rule.mask)
      .u8(rule.protocols)
      .u8(rule.coversIcmp ? 1 : 0)
      .u16(rule.ports.length);
    for (const range of rule.ports) w.u16(range.from).u16(range.to);
  }
  return w.finish();
}

export function encodeSessionAdd(session: {
  handle: number;
  subject: number;
  tokenHash: Buffer;
  expiresAt: number;
  intranetIp: number | null;
}): Buffer {
  if (session.tokenHash.length !== 32) throw new RangeError('a token hash is 32 bytes');
  return new MessageWriter(Down.sessionAdd)
    .u32(session.handle)
    .u32(session.subject)
    .raw(session.tokenHash)
    .u64(BigInt(Math.max(0, Math.floor(session.expiresAt))))
    .u8(session.intranetIp === null ? 0 : 1)
    .u32(session.intranetIp ?? 0)
    .finish();
}

export function encodeHandle(type: number, handle: number): Buffer {
  return new MessageWriter(type).u32(handle).finish();
}

export function encodeApiResponse(
  request: bigint,
  answer: WireAnswer,
  /** The request showed or created a session: its connection has logged in. */
  authenticated: boolean,
): Buffer {
  const w = new MessageWriter(Down.apiResponse)
    .u64(request)
    .u16(answer.status)
    .u16(answer.headers.length);
  for (const [name, value] of answer.headers) w.str(name).str(value);
  return w
    .bytes(answer.body)
    .u8(authenticated ? 1 : 0)
    .finish();
}

export function encodeResolved(
  request: bigint,
  result: { ok: true; address: number } | { ok: false; error: string },
): Buffer {
  const w = new MessageWriter(Down.resolved).u64(request);
  if (result.ok) return w.u8(1).u32(result.address).str('').finish();
  return w.u8(0).u32(0).str(result.error).finish();
}

/** An API request as src/gateway/http/api.ts answers it, with the data plane's id for it. */
export interface ApiRequestMessage extends ApiRequest {
  id: bigint;
}

export function decodeApiRequest(r: MessageReader): ApiRequestMessage {
  const id = r.u64();
  const method = r.str();
  const path = r.str();
  const hasAuthorization = r.u8() !== 0;
  const authorization = r.str();
  const hasContentType = r.u8() !== 0;
  const contentType = r.str();
  // A copy: the message's buffer is reused for the next read.
  const body = Buffer.from(r.bytes());
  const sourceIp = r.str();
  return {
    id,
    method,
    path,
    authorization: hasAuthorization ? authorization : undefined,
    contentType: hasContentType ? contentType : undefined,
    body,
    sourceIp,
  };
}

export interface FlowEndEvent {
  session: number;
  protocol: WireProtocol;
  verdict: Verdict;
  error: string | undefined;
  /** FLOW_OPEN was sent for it. */
  opened: boolean;
  policy: number | null;
  resource: string | null;
  destination: number;
  /** Below 32 when a range was refused as a whole (a connect-ip scope). */
  prefix: number;
  port: number | undefined;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /** The kind of reserved destination a default deny refused. */
  reserved: string | undefined;
}

export type DataPlaneEvent =
  | { kind: 'flowOpen'; session: number; protocol: WireProtocol }
  | ({ kind: 'flowEnd' } & FlowEndEvent)
  | { kind: 'counter'; family: CounterFamily; name: string; delta: number }
  | { kind: 'sessionDropped'; session: number }
  | { kind: 'gauge'; name: string; value: number };

function protocolName(value: number): WireProtocol {
  const name = PROTOCOL_NAMES[value];
  if (name === undefined) throw new MalformedMessage(`unknown protocol ${value}`);
  return name;
}

export function decodeEvents(r: MessageReader): DataPlaneEvent[] {
  const count = r.u32();
  const events: DataPlaneEvent[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8();
    switch (kind) {
      case EventKind.flowOpen:
        events.push({ kind: 'flowOpen', session: r.u32(), protocol: protocolName(r.u8()) });
        break;
      case EventKind.flowEnd: {
        const session = r.u32();
        const protocol = protocolName(r.u8());
        const verdict = VERDICTS[r.u8()];
        const error = PROXY_ERRORS[r.u8()];
        const opened = r.u8() !== 0;
        const policy = r.i32();
        const resource = r.str();
        const destination = r.u32();
        const prefix = r.u8();
        const port = r.u16();
        const bytesUp = Number(r.u64());
        const bytesDown = Number(r.u64());
        const durationMs = r.u32();
        const reserved = r.str();
        if (verdict === undefined) throw new MalformedMessage('unknown verdict');
        events.push({
          kind: 'flowEnd',
          session,
          protocol,
          verdict,
          error,
          opened,
          policy: policy < 0 ? null : policy,
          resource: resource === '' ? null : resource,
          destination,
          prefix,
          port: protocol === 'icmp' ? undefined : port,
          bytesUp,
          bytesDown,
          durationMs,
          reserved: reserved === '' ? undefined : reserved,
        });
        break;
      }
      case EventKind.counter: {
        const family = COUNTER_FAMILIES[r.u8() as keyof typeof COUNTER_FAMILIES];
        const name = r.str();
        const delta = r.u32();
        if (family === undefined) throw new MalformedMessage('unknown counter family');
        events.push({ kind: 'counter', family, name, delta });
        break;
      }
      case EventKind.sessionDropped:
        events.push({ kind: 'sessionDropped', session: r.u32() });
        break;
      case EventKind.gauge:
        events.push({ kind: 'gauge', name: r.str(), value: Number(r.u64()) });
        break;
      default:
        throw new MalformedMessage(`unknown event kind ${kind}`);
    }
  }
  if (!r.done) throw new MalformedMessage('bytes left after the events');
  return events;
}
