// The HTTP/2 front end: every stream is either a JSON API call or a tunnel (CONNECT for TCP,
// extended CONNECT for connect-udp and connect-ip). Multiplexing, flow control and
// back-pressure are nghttp2's; this file only routes streams.
import {
  constants,
  type Http2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { proxyStatus, type ProxyError } from '../../shared/protocol/proxy-status.js';
import { CONNECT_IP, CONNECT_UDP, parseMasquePath } from '../../shared/protocol/masque.js';
import type { GatewayContext } from '../context.js';
import { withReservedFlow } from '../forward/flow.js';
import { discardIcmp, openIcmp, spliceIcmp } from '../forward/icmp.js';
import { openTcp, spliceTcp } from '../forward/tcp.js';
import { openUdp, spliceUdp } from '../forward/udp.js';
import type { Session } from '../sessions.js';
import {
  clientOf,
  type BytesRefusal,
  type ClientConnection,
  type RequestBudget,
} from '../front/client-connection.js';
import {
  bytesRefusal,
  handleApi,
  PAYLOAD_TOO_LARGE,
  REQUEST_TIMEOUT,
  type ApiDeps,
  type ApiResponse,
} from './api.js';
import { watchLiveness } from './liveness.js';
import { resetStream } from './target-reset.js';

function respondJson(stream: ServerHttp2Stream, response: ApiResponse): void {
  if (stream.destroyed || stream.headersSent) return;
  const headers: OutgoingHttpHeaders = {
    ':status': response.status,
    'cache-control': 'no-store',
    ...response.headers,
  };
  if (response.body === undefined) {
    stream.respond(headers, { endStream: true });
    return;
  }
  const body = Buffer.from(JSON.stringify(response.body));
  stream.respond({ ...headers, 'content-type': 'application/json', 'content-length': body.length });
  stream.end(body);
}

function refuse(
  stream: ServerHttp2Stream,
  status: number,
  error: ProxyError,
  details: string,
): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    { ':status': status, 'proxy-status': proxyStatus(error, details) },
    { endStream: true },
  );
}

type BodyOutcome =
  | { kind: 'body'; body: Buffer }
  | { kind: 'too-large' }
  | { kind: 'refused'; limit: BytesRefusal }
  | { kind: 'aborted' };

/** Reads a request body, holding its bytes against the request's budget. */
function readBody(
  stream: ServerHttp2Stream,
  limit: number,
  budget: RequestBudget,
): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (outcome: BodyOutcome) => {
      stream.off('data', onData);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop({ kind: 'too-large' });
      const taken = budget.take(chunk.length);
      if (taken !== 'ok') return stop({ kind: 'refused', limit: taken });
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve({ kind: 'body', body: Buffer.concat(chunks) }));
    // A reset or a closed connection before the end (resolving twice is harmless).
    stream.once('close', () => resolve({ kind: 'aborted' }));
  });
}

/** Answers an API request that cannot be served, and stops the client sending the rest. */
function refuseRequest(stream: ServerHttp2Stream, response: ApiResponse): void {
  respondJson(stream, response);
  // RST_STREAM NO_ERROR after the whole answer (RFC 9113 §8.1): the body is not wanted.
  if (!stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR);
}

/** Ties a tunnel stream to its session: logout and expiry close it. */
function track(session: Session, stream: ServerHttp2Stream): void {
  const close = () => stream.close(constants.NGHTTP2_CANCEL);
  session.closers.add(close);
  stream.once('close', () => session.closers.delete(close));
}

async function handleTunnel(
  ctx: GatewayContext,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  client: ClientConnection,
): Promise<void> {
  const session = ctx.sessions.authenticate(
    (headers['authorization'] as string | undefined) ??
      (headers['proxy-authorization'] as string | undefined),
  );
  if (!session) {
    stream.respond(
      {
        ':status': 407,
        'proxy-authenticate': 'Bearer realm="passerelle"',
        'proxy-status': proxyStatus('http_request_error', 'no valid bearer token'),
      },
      { endStream: true },
    );
    return;
  }
  client.markAuthenticated();
  if (session.flows >= ctx.settings.file.limits.streamsPerSession) {
    ctx.metrics.refusedStreams.inc({ limit: 'streams-per-session' });
    refuse(
      stream,
      429,
      'proxy_internal_error',
      `at most ${ctx.settings.file.limits.streamsPerSession} flows per session`,
    );
    return;
  }
  const protocol = headers[':protocol'] as string | undefined;
  if (protocol === undefined) {
    const cancelled = new AbortController();
    const onClose = () => cancelled.abort();
    stream.once('close', onClose);
    const result = await withReservedFlow(session, () =>
      openTcp(ctx, session, headers[':authority'], cancelled.signal),
    );
    stream.off('close', onClose);
    if (!result.ok) return refuse(stream, result.status, result.error, result.details);
    if (stream.destroyed) {
      result.socket.destroy();
      result.record.end('connection_terminated');
      return;
    }
    stream.respond({ ':status': 200 });
    track(session, stream);
    spliceTcp(stream, result.socket, result.record, () =>
      resetStream(stream, constants.NGHTTP2_CONNECT_ERROR),
    );
    return;
  }
  if (protocol !== CONNECT_UDP && protocol !== CONNECT_IP) {
    return refuse(
      stream,
      501,
      'http_request_error',
      `unsupported :protocol ${protocol.slice(0, 40)}`,
    );
  }
  const target = parseMasquePath(protocol, (headers[':path'] as string | undefined) ?? '');
  if (target.kind === 'invalid') {
    ctx.metrics.malformed.inc({ kind: 'masque-path' });
    return refuse(stream, 400, 'http_request_error', target.reason);
  }
  const onFatal = () => stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
  if (target.kind === 'udp') {
    const result = await withReservedFlow(session, () =>
      openUdp(ctx, session, target.host, target.port),
    );
    if (!result.ok) return refuse(stream, result.status, result.error, result.details);
    if (stream.destroyed) return void result.socket.close();
    stream.respond({ ':status': 200, 'capsule-protocol': '?1' });
    track(session, stream);
    spliceUdp(
      ctx,
      stream,
      result.socket,
      result.record,
      ctx.settings.file.timeouts.udpIdleSeconds * 1000,
      onFatal,
    );
    return;
  }
  const result = openIcmp(ctx, session, target.target, target.ipproto);
  if (!result.ok) return refuse(stream, result.status, result.error, result.details);
  if (stream.destroyed) return discardIcmp(result);
  stream.respond({ ':status': 200, 'capsule-protocol': '?1' });
  track(session, stream);
  spliceIcmp(ctx, session, stream, result, onFatal);
}

async function handleApiStream(
  ctx: GatewayContext,
  deps: ApiDeps,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  client: ClientConnection,
): Promise<void> {
  const authorization = headers['authorization'] as string | undefined;
  const authenticated = ctx.sessions.authenticate(authorization) !== undefined;
  if (authenticated) client.markAuthenticated();
  const budget = client.openRequest(authenticated, () => refuseRequest(stream, REQUEST_TIMEOUT));
  if (budget === 'unauthenticated-streams') {
    ctx.metrics.refusedStreams.inc({ limit: budget });
    if (!stream.destroyed) stream.close(constants.NGHTTP2_REFUSED_STREAM);
    return;
  }
  stream.once('close', () => budget.finish());
  const read = await readBody(stream, ctx.settings.file.limits.maxRequestBodyBytes, budget);
  budget.arrived();
  if (read.kind === 'aborted') {
    // The client reset the stream or went away; a stream we answered (408) is not counted.
    if (!stream.headersSent) ctx.metrics.requestsAbandoned.inc();
    return;
  }
  if (stream.destroyed || stream.headersSent) return;
  if (read.kind === 'too-large') {
    ctx.metrics.malformed.inc({ kind: 'body-too-large' });
    return refuseRequest(stream, PAYLOAD_TOO_LARGE);
  }
  if (read.kind === 'refused') {
    ctx.metrics.requestsRefused.inc({ limit: read.limit });
    return refuseRequest(stream, bytesRefusal(read.limit));
  }
  const response = await handleApi(ctx, deps, {
    method: (headers[':method'] as string | undefined) ?? 'GET',
    path: (headers[':path'] as string | undefined) ?? '/',
    authorization,
    contentType: headers['content-type'] as string | undefined,
    body: read.body,
    sourceIp: stream.session?.socket?.remoteAddress ?? 'unknown',
  });
  if (response.authenticated) client.markAuthenticated();
  respondJson(stream, response);
}

export function attachHttp2(ctx: GatewayContext, deps: ApiDeps, server: Http2Server): void {
  server.on('session', (session) => {
    watchLiveness(session, () => ctx.settings.file.timeouts.keepaliveSeconds * 1000);
    // The connection window is one for all flows: far above 64 KiB, or throughput collapses.
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(ctx.settings.file.flowControl.connectionWindowBytes);
      } catch {
        // the session closed before it was set up
      }
    });
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const client = clientOf(stream.session?.socket);
    if (!client) {
      // Every connection comes through the front door; one that did not is not served.
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const work =
      headers[':method'] === 'CONNECT'
        ? handleTunnel(ctx, stream, headers, client)
        : handleApiStream(ctx, deps, stream, headers, client);
    work.catch((err: Error) => {
      console.error(`gateway: internal error on a stream: ${err.stack ?? err.message}`);
      if (!stream.headersSent && !stream.destroyed)
        refuse(stream, 500, 'proxy_internal_error', 'internal error');
      else stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    });
  });
}
