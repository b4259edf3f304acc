// TCP forwarding for CONNECT host:port (RFC 9113 §8.5, and HTTP/1.1 CONNECT): judge the
// target, connect from the gateway's own address, and only then answer 2xx, so the client
// learns whether the real target accepted before it tells its application "connected".
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { forward } from '../../shared/forward.js';
import type { ProxyError } from '../../shared/protocol/proxy-status.js';
import type { GatewayContext } from '../context.js';
import type { Session } from '../sessions.js';
import { FlowRecord, recordDenied, recordFailed, reserveSocket, type FlowTarget } from './flow.js';
import { parseAuthority, resolveTarget } from './target.js';

export type TcpOpenResult =
  | { ok: true; socket: Socket; record: FlowRecord }
  | { ok: false; status: number; error: ProxyError; details: string };

const CONNECT_ERRORS: Record<string, { status: number; error: ProxyError }> = {
  ECONNREFUSED: { status: 502, error: 'connection_refused' },
  ECONNRESET: { status: 502, error: 'connection_terminated' },
  EHOSTUNREACH: { status: 502, error: 'destination_ip_unroutable' },
  ENETUNREACH: { status: 502, error: 'destination_ip_unroutable' },
  ETIMEDOUT: { status: 504, error: 'connection_timeout' },
  // The client cancelled the CONNECT (its application gave up) while we were connecting.
  ECANCELED: { status: 502, error: 'connection_terminated' },
};

/**
 * Judges and connects. `cancelled` fires when the client gives up on the CONNECT (its stream
 * or connection closed): the connect attempt stops then, instead of holding a socket and a
 * place under the flow cap until the target answers or the connect timeout.
 */
export async function openTcp(
  ctx: GatewayContext,
  session: Session,
  authority: string | undefined,
  cancelled?: AbortSignal,
): Promise<TcpOpenResult> {
  const parsed = parseAuthority(authority);
  if (!parsed) {
    ctx.metrics.malformed.inc({ kind: 'authority' });
    return {
      ok: false,
      status: 400,
      error: 'http_request_error',
      details: 'CONNECT needs :authority host:port',
    };
  }
  const resolved = await resolveTarget(parsed.host);
  if (!resolved.ok) return resolved;
  const target: FlowTarget = { protocol: 'tcp', destination: resolved.address, port: parsed.port };
  const decision = ctx.policy.decide(session, {
    protocol: 'tcp',
    address: resolved.value,
    port: parsed.port,
  });
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
  const timeoutMs = ctx.settings.file.timeouts.tcpConnectSeconds * 1000;
  return new Promise((resolve) => {
    // allowHalfOpen: a target's FIN must not close our sending half; the client decides that.
    const socket = connect({
      host: resolved.address,
      port: parsed.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    socket.once('close', () => reserved.lease.release());
    const timer = setTimeout(
      () => fail(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    const fail = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      cancelled?.removeEventListener('abort', onCancel);
      socket.destroy();
      const mapped = CONNECT_ERRORS[err.code ?? ''] ?? {
        status: 502,
        error: 'proxy_internal_error' as const,
      };
      recordFailed(ctx, session, target, decision, mapped.error);
      resolve({
        ok: false,
        ...mapped,
        details: `${resolved.address}:${parsed.port}: ${err.code ?? err.message}`,
      });
    };
    const onCancel = () =>
      fail(Object.assign(new Error('cancelled by the client'), { code: 'ECANCELED' }));
    socket.once('error', fail);
    if (cancelled?.aborted) onCancel();
    else cancelled?.addEventListener('abort', onCancel, { once: true });
    socket.once('connect', () => {
      clearTimeout(timer);
      cancelled?.removeEventListener('abort', onCancel);
      socket.removeListener('error', fail);
      resolve({ ok: true, socket, record: new FlowRecord(ctx, session, target, decision) });
    });
  });
}

/**
 * Splices a client-side duplex (an HTTP/2 stream or an HTTP/1.1 socket) with the target
 * socket, both ways, with back-pressure, half-close passed through, and the flow
 * record ended once both are closed. `abort` tears down the client side on a target error
 * (RST_STREAM with CONNECT_ERROR for HTTP/2).
 */
export function spliceTcp(
  client: Duplex,
  target: Socket,
  record: FlowRecord,
  abort: () => void,
): void {
  let closed = 0;
  const onClose = () => {
    if (++closed < 2) return;
    record.bytesUp = target.bytesWritten;
    record.bytesDown = target.bytesRead;
    record.end();
  };
  target.on('error', () => abort());
  target.once('close', () => {
    onClose();
    // The target is gone for good (reset or both halves closed): nothing more can cross.
    if (target.readableEnded === false) abort();
  });
  client.once('close', () => {
    target.destroy();
    onClose();
  });
  client.on('error', () => target.destroy());
  forward(client, target);
  forward(target, client);
}
