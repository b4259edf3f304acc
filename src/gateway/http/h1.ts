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
import { handleApi, type ApiDeps } from './api.js';
import { resetConnection } from './target-reset.js';

function writeStatus(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
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
  socket.end();
}

async function onConnect(
  ctx: GatewayContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  socket.on('error', () => undefined);
  const session = ctx.sessions.authenticate(
    req.headers['proxy-authorization'] ?? req.headers['authorization'],
  );
  if (!session) {
    refuse(socket, 407, 'http_request_error', 'no valid bearer token', {
      'proxy-authenticate': 'Bearer realm="passerelle"',
    });
    return;
  }
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

async function onRequest(
  ctx: GatewayContext,
  deps: ApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const limit = ctx.settings.file.limits.maxRequestBodyBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Past the limit the rest is read and dropped before answering: closing while the client
    // is still sending resets the connection, and the client never sees the 413. A body far
    // past the limit is cut off.
    if (size > limit + DISCARD_BYTES) {
      req.destroy();
      break;
    }
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) {
    ctx.metrics.malformed.inc({ kind: 'body-too-large' });
    if (req.destroyed && !req.complete) return;
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ error: 'payload_too_large', message: 'request body too large' }));
    return;
  }
  const response = await handleApi(ctx, deps, {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    authorization: req.headers['authorization'],
    contentType: req.headers['content-type'],
    body: Buffer.concat(chunks),
    sourceIp: req.socket.remoteAddress ?? 'unknown',
  });
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...response.headers };
  if (response.body === undefined) {
    res.writeHead(response.status, headers).end();
    return;
  }
  res.writeHead(response.status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(response.body));
}

export function createHttp1Server(ctx: GatewayContext, deps: ApiDeps): Server {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 });
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
