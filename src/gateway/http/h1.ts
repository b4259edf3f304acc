// The HTTP/1.1 front end on the same TLS port: the JSON API, and CONNECT for TCP so that an
// ordinary HTTPS-proxy client (curl --proxy https://gateway) reaches allowed TCP resources.
// UDP and ICMP need HTTP/2 (extended CONNECT with capsules).
import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { proxyStatus, type ProxyError } from '../../shared/protocol/proxy-status.js';
import type { GatewayContext } from '../context.js';
import { withReservedFlow } from '../forward/flow.js';
import { openTcp, spliceTcp } from '../forward/tcp.js';
import { clientOf, type BytesRefusal } from '../front/client-connection.js';
import {
  bytesRefusal,
  handleApi,
  PAYLOAD_TOO_LARGE,
  REQUEST_TIMEOUT,
  type ApiDeps,
  type ApiResponse,
} from './api.js';
import { resetConnection } from './target-reset.js';

function writeStatus(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
}

/** How long a client may take to read a last answer before its connection is cut. */
const LINGER_MS = 2_000;

/**
 * Ends a connection after a last answer. The client gets time to read it (closing at once,
 * with its request still arriving, would reset the connection and lose the answer), but a
 * client that never reads or never closes does not hold the connection for ever.
 */
export function endConnection(socket: Duplex, answer?: string): void {
  socket.end(answer);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function refuse(
  socket: Duplex,
  status: number,
  error: ProxyError,
  details: string,
  extra: Record<string, string> = {},
): void {
  writeStatus(socket, status, {
    'proxy-status': proxyStatus(error, details),
    'content-length': '0',
    connection: 'close',
    ...extra,
  });
  endConnection(socket);
}

async function onConnect(
  ctx: GatewayContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  socket.on('error', () => undefined);
  // The request is whole: from here the connection is a tunnel, or refused and closed.
  const client = clientOf(req.socket);
  client?.becameTunnel();
  const session = ctx.sessions.authenticate(
    req.headers['proxy-authorization'] ?? req.headers['authorization'],
  );
  if (!session) {
    refuse(socket, 407, 'http_request_error', 'no valid bearer token', {
      'proxy-authenticate': 'Bearer realm="passerelle"',
    });
    return;
  }
  client?.markAuthenticated();
  if (session.flows >= ctx.settings.file.limits.streamsPerSession) {
    ctx.metrics.refusedStreams.inc({ limit: 'streams-per-session' });
    refuse(socket, 429, 'proxy_internal_error', 'too many flows in this session');
    return;
  }
  const cancelled = new AbortController();
  const onClose = () => cancelled.abort();
  socket.once('close', onClose);
  const result = await withReservedFlow(session, () =>
    openTcp(ctx, session, req.url, cancelled.signal),
  );
  socket.off('close', onClose);
  if (!result.ok) return refuse(socket, result.status, result.error, result.details);
  if (socket.destroyed) {
    result.socket.destroy();
    result.record.end('connection_terminated');
    return;
  }
  writeStatus(socket, 200);
  if (head.length > 0) result.socket.write(head);
  const close = () => socket.destroy();
  session.closers.add(close);
  socket.once('close', () => session.closers.delete(close));
  spliceTcp(socket, result.socket, result.record, () => resetConnection(socket));
}

/** How much of an oversized body is read and dropped so that the 413 reaches the client. */
const DISCARD_BYTES = 1024 * 1024;

function respond(res: ServerResponse, response: ApiResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...response.headers };
  if (response.body === undefined) {
    res.writeHead(response.status, headers).end();
    return;
  }
  res.writeHead(response.status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(response.body));
}

/** Answers a request that cannot be served and closes the connection, its body unread. */
function refuseRequest(req: IncomingMessage, res: ServerResponse, response: ApiResponse): void {
  // Taken now: the response lets go of its socket when it finishes.
  const socket = req.socket;
  respond(res, { ...response, headers: { ...response.headers, connection: 'close' } });
  res.once('finish', () => endConnection(socket));
}

/** What a connection that sent no whole request in time gets before it is closed. */
export const IDLE_TIMEOUT_ANSWER =
  'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

async function onRequest(
  ctx: GatewayContext,
  deps: ApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const client = clientOf(req.socket);
  if (!client) return void req.socket.destroy();
  const authenticated = ctx.sessions.authenticate(req.headers['authorization']) !== undefined;
  if (authenticated) client.markAuthenticated();
  const budget = client.openRequest(authenticated, () => refuseRequest(req, res, REQUEST_TIMEOUT));
  if (budget === 'unauthenticated-streams') {
    // Pipelined requests before login, more than one connection may have at once.
    ctx.metrics.refusedStreams.inc({ limit: budget });
    return refuseRequest(req, res, bytesRefusal('unauthenticated-bytes-per-connection'));
  }
  res.once('close', () => budget.finish());
  const limit = ctx.settings.file.limits.maxRequestBodyBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  let refusal: BytesRefusal | undefined;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Past the limit the rest is read and dropped before answering: closing while the client
      // is still sending resets the connection, and the client never sees the 413. A body far
      // past the limit is cut off.
      if (size > limit + DISCARD_BYTES) {
        req.destroy();
        break;
      }
      if (size > limit || refusal) continue;
      const taken = budget.take(chunk.length);
      if (taken === 'ok') chunks.push(chunk);
      else refusal = taken;
    }
  } catch {
    // The client went away before its request was whole (or after our 408): not an error.
    if (!res.headersSent) ctx.metrics.requestsAbandoned.inc();
    return;
  }
  budget.arrived();
  if (res.headersSent) return;
  if (size > limit) {
    ctx.metrics.malformed.inc({ kind: 'body-too-large' });
    if (req.destroyed && !req.complete) return;
    return refuseRequest(req, res, PAYLOAD_TOO_LARGE);
  }
  if (refusal) {
    ctx.metrics.requestsRefused.inc({ limit: refusal });
    return refuseRequest(req, res, bytesRefusal(refusal));
  }
  const response = await handleApi(ctx, deps, {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    authorization: req.headers['authorization'],
    contentType: req.headers['content-type'],
    body: Buffer.concat(chunks),
    sourceIp: req.socket.remoteAddress ?? 'unknown',
  });
  if (response.authenticated) client.markAuthenticated();
  respond(res, response);
}

export function createHttp1Server(ctx: GatewayContext, deps: ApiDeps): Server {
  // Node's requestTimeout and headersTimeout are checked only by a server that listens
  // itself; this one is handed connections by the TLS front end, so the deadlines are the
  // front door's (client-connection.ts).
  const server = createServer();
  server.on('request', (req, res) => {
    onRequest(ctx, deps, req, res).catch((err: Error) => {
      console.error(`gateway: internal error: ${err.stack ?? err.message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onConnect(ctx, req, socket, head).catch((err: Error) => {
      console.error(`gateway: internal error: ${err.stack ?? err.message}`);
      socket.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    ctx.metrics.malformed.inc({ kind: 'http1' });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });
  return server;
}
