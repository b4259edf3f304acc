// UDP forwarding for connect-udp (RFC 9298): one connected UDP socket per stream; every
// DATAGRAM capsule with context ID 0 is one datagram to the target, and every datagram back
// becomes one capsule. UDP may drop: when the stream cannot keep up we drop and count rather
// than queue without bound.
import { createSocket, type Socket } from 'node:dgram';
import type { Duplex } from 'node:stream';
import { encodeDatagramCapsule } from '../../shared/protocol/capsule.js';
import { readDatagrams } from '../../shared/protocol/datagram-stream.js';
import type { ProxyError } from '../../shared/protocol/proxy-status.js';
import type { GatewayContext } from '../context.js';
import type { Session } from '../sessions.js';
import { FlowRecord, recordDenied, reserveSocket, type FlowTarget } from './flow.js';
import { resolveTarget } from './target.js';

/** Largest UDP payload over IPv4, plus the context ID: anything longer is malformed. */
export const MAX_UDP_CAPSULE = 65_527 + 8;
/** Bytes queued towards the client past which datagrams from the target are dropped. */
const MAX_QUEUED_DOWN = 1024 * 1024;

export type UdpOpenResult =
  | { ok: true; socket: Socket; record: FlowRecord }
  | { ok: false; status: number; error: ProxyError; details: string };

export async function openUdp(
  ctx: GatewayContext,
  session: Session,
  host: string,
  port: number,
): Promise<UdpOpenResult> {
  const resolved = await resolveTarget(host);
  if (!resolved.ok) return resolved;
  const target: FlowTarget = { protocol: 'udp', destination: resolved.address, port };
  const decision = ctx.policy.decide(session, { protocol: 'udp', address: resolved.value, port });
  if (decision.verdict === 'deny') {
    recordDenied(ctx, session, target, decision);
    return {
      ok: false,
      status: 403,
      error: 'destination_ip_prohibited',
      details: 'not allowed by policy',
    };
  }
  const reserved = reserveSocket(ctx, session);
  if (!reserved.ok) return reserved;
  const socket = createSocket('udp4');
  socket.once('close', () => reserved.lease.release());
  return new Promise((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve({
        ok: false,
        status: 502,
        error: 'destination_ip_unroutable',
        details: err.code ?? err.message,
      });
    });
    socket.connect(port, resolved.address, () => {
      socket.removeAllListeners('error');
      resolve({ ok: true, socket, record: new FlowRecord(ctx, session, target, decision) });
    });
  });
}

export function spliceUdp(
  ctx: GatewayContext,
  stream: Duplex,
  socket: Socket,
  record: FlowRecord,
  idleMs: number,
  onFatal: () => void,
): void {
  const idle = setTimeout(onIdle, idleMs);
  let closed = false;

  function onIdle() {
    // Silence for the idle period: finish the stream cleanly (END_STREAM), like a NAT timeout.
    stream.end();
    close();
  }
  function touch() {
    idle.refresh();
  }
  function close(error?: string) {
    if (closed) return;
    closed = true;
    clearTimeout(idle);
    socket.close();
    record.end(error);
  }

  readDatagrams(stream, MAX_UDP_CAPSULE, {
    onDatagram(payload) {
      touch();
      record.bytesUp += payload.length;
      socket.send(payload);
    },
    onDropped: () => ctx.metrics.malformed.inc({ kind: 'datagram' }),
    onMalformed() {
      ctx.metrics.malformed.inc({ kind: 'capsule' });
      close('http_request_error');
      onFatal();
    },
  });
  socket.on('message', (message) => {
    touch();
    if (stream.writableLength > MAX_QUEUED_DOWN) {
      ctx.metrics.malformed.inc({ kind: 'udp-dropped-queue-full' });
      return;
    }
    record.bytesDown += message.length;
    stream.write(encodeDatagramCapsule(message));
  });
  // ICMP port unreachable surfaces as ECONNREFUSED on a connected socket: the target has no
  // listener right now. UDP carries on (a later datagram may find one), as a NAT would.
  socket.on('error', () => undefined);
  stream.on('end', () => {
    stream.end();
    close();
  });
  stream.on('close', () => close());
  stream.on('error', () => close());
}
