// The client's one HTTP/2 connection to the gateway: TLS with a verified certificate, the
// JSON API (login, config, logout), tunnel streams (CONNECT, connect-udp, connect-ip), and
// keepalive PINGs that measure the round trip and notice a dead gateway within seconds.
import { EventEmitter } from 'node:events';
import {
  constants,
  connect as connectHttp2,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import {
  API,
  apiErrorSchema,
  loginResponseSchema,
  sessionConfigSchema,
  type LoginResponse,
  type SessionConfig,
} from '../../../shared/protocol/session.js';
import {
  CONNECT_IP,
  CONNECT_UDP,
  connectIpPath,
  connectUdpPath,
} from '../../../shared/protocol/masque.js';
import { parseProxyError } from '../../../shared/protocol/proxy-status.js';
import { GatewayError, causeOfErrno, failureOf } from './errors.js';
import { endStream } from './stream-close.js';
import {
  certificateProblem,
  describeCertificate,
  fingerprintOf,
  pinMatches,
  systemCaList,
  type Trust,
} from './tls-trust.js';
import type { FailureCause } from '../types.js';

export interface GatewayEndpoint {
  host: string;
  port: number;
  /** "https://host:port" as given. */
  url: string;
}

export function parseGatewayUrl(text: string): GatewayEndpoint {
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `https://${text}`);
  } catch {
    throw new GatewayError('protocol', `"${text}" is not a gateway address (https://host[:port])`);
  }
  if (url.protocol !== 'https:')
    throw new GatewayError(
      'protocol',
      `the gateway address must use https:// (got ${url.protocol})`,
    );
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { host, port: url.port ? Number(url.port) : 443, url: `https://${url.host}` };
}

/** The answer to opening a tunnel stream: the stream, or why the gateway refused. */
export type TunnelAnswer =
  | { ok: true; stream: ClientHttp2Stream }
  | { ok: false; status: number; error: string | undefined };

export interface OpenedTunnel {
  stream: ClientHttp2Stream;
  answer: Promise<TunnelAnswer>;
}

export interface SessionClientOptions {
  endpoint: GatewayEndpoint;
  /**
   * The address to connect to, resolved once by the engine: the host route that keeps the
   * gateway outside a full tunnel is for this address, so every connection, reconnects
   * included, must go there and not wherever the name resolves next (round-robin DNS). The
   * certificate is still checked against the name in `endpoint`.
   */
  address?: string;
  trust: Trust;
  /** Per-stream receive window; large, so one flow is not capped by latency. */
  streamWindow?: number;
  connectionWindow?: number;
  connectTimeoutMs?: number;
}

/**
 * Events: 'closed' (reason: string, cause: FailureCause) when the connection is lost or closed;
 * 'rtt' (ms).
 */
export class SessionClient extends EventEmitter {
  private session: ClientHttp2Session | undefined;
  /** The TLS socket while its handshake runs: close() must be able to cut it short. */
  private handshaking: TLSSocket | undefined;
  private token: string | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** Set when a PING went unanswered: the close that follows is 'keepalive-lost'. */
  private keepaliveLost = false;
  rttMs: number | null = null;

  constructor(private readonly options: SessionClientOptions) {
    super();
  }

  get connected(): boolean {
    return this.session !== undefined && !this.session.closed && !this.session.destroyed;
  }

  /** Opens TLS, checks the certificate, then starts HTTP/2 on the verified socket. */
  async open(): Promise<void> {
    const socket = await this.openTls();
    const { streamWindow = 8 << 20, connectionWindow = 64 << 20 } = this.options;
    const session = connectHttp2(this.options.endpoint.url, {
      createConnection: () => socket,
      settings: { initialWindowSize: streamWindow, enablePush: false },
      maxSessionMemory: 256,
      peerMaxConcurrentStreams: 20_000,
    });
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', (err) =>
        reject(
          new GatewayError('gateway-unreachable', `HTTP/2 to the gateway failed: ${err.message}`, {
            cause: failureOf(err),
          }),
        ),
      );
    });
    session.setLocalWindowSize(connectionWindow);
    session.on('error', () => undefined);
    session.once('close', () => {
      this.stopKeepalive();
      if (this.session === session) this.session = undefined;
      const cause: FailureCause = this.keepaliveLost ? 'keepalive-lost' : 'connection-reset';
      this.emit(
        'closed',
        this.keepaliveLost
          ? 'the gateway stopped answering keepalive PINGs'
          : 'the connection to the gateway closed',
        cause,
      );
    });
    session.once('goaway', () =>
      this.emit('closed', 'the gateway closed the connection', 'gateway-closed'),
    );
    this.session = session;
  }

  private openTls(): Promise<TLSSocket> {
    const { endpoint, trust, connectTimeoutMs = 10_000 } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connectTls({
        host: this.options.address ?? endpoint.host,
        port: endpoint.port,
        // The name, for SNI and the certificate check, even when connecting to an address.
        servername: isIP(endpoint.host) ? undefined : endpoint.host,
        ALPNProtocols: ['h2'],
        minVersion: 'TLSv1.2',
        ca: trust.kind === 'ca' ? trust.pem : trust.kind === 'system' ? systemCaList() : undefined,
        // Verification is done below, on 'secureConnect', before any byte of HTTP is sent:
        // that is where we can read the certificate to show its fingerprint, or check a pin.
        rejectUnauthorized: false,
      });
      this.handshaking = socket;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new GatewayError(
            'gateway-unreachable',
            `no answer from ${endpoint.host}:${endpoint.port} within ${connectTimeoutMs / 1000} s`,
            { cause: 'timed-out' },
          ),
        );
      }, connectTimeoutMs);
      socket.once('close', () => {
        // Destroyed by close() (a cancelled connect) before any error or handshake.
        clearTimeout(timer);
        reject(
          new GatewayError('gateway-unreachable', 'the connection attempt was cancelled', {
            cause: 'connection-reset',
          }),
        );
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new GatewayError(
            'gateway-unreachable',
            `cannot reach the gateway ${endpoint.host}:${endpoint.port}: ${err.code ?? err.message}`,
            { cause: causeOfErrno(err.code) },
          ),
        );
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        this.handshaking = undefined;
        const cert = socket.getPeerCertificate();
        const fingerprint = cert ? fingerprintOf(cert) : '';
        if (trust.kind === 'pin') {
          if (!pinMatches(cert, trust)) {
            socket.destroy();
            return reject(
              new GatewayError(
                'certificate-changed',
                `the gateway's certificate (sha256 ${fingerprint}) does not match the pinned ${trust.pin === 'certificate' ? 'fingerprint' : 'public key'}`,
                { certificate: describeCertificate(cert, 'pin-mismatch', 'PIN_MISMATCH') },
              ),
            );
          }
        } else if (!socket.authorized) {
          const code = String(socket.authorizationError);
          socket.destroy();
          return reject(
            new GatewayError(
              'untrusted-certificate',
              `the gateway's certificate is not trusted (${code}); sha256 fingerprint ${fingerprint}`,
              { certificate: describeCertificate(cert, certificateProblem(code), code) },
            ),
          );
        }
        if (socket.alpnProtocol !== 'h2') {
          socket.destroy();
          return reject(
            new GatewayError(
              'protocol',
              'the server did not offer HTTP/2: is this a Passerelle gateway?',
              { cause: 'tls-failed' },
            ),
          );
        }
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        // Small frames (a ping, a request line) must not wait for Nagle's algorithm.
        socket.setNoDelay(true);
        resolve(socket);
      });
    });
  }

  private requireSession(): ClientHttp2Session {
    if (!this.session || this.session.closed)
      throw new GatewayError('gateway-unreachable', 'not connected to the gateway');
    return this.session;
  }

  private async json(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; retryAfter: string | undefined }> {
    const session = this.requireSession();
    const headers: Record<string, string> = { ':method': method, ':path': path };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const stream = session.request(headers, { endStream: body === undefined });
    if (body !== undefined) stream.end(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      let status = 0;
      let retryAfter: string | undefined;
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status']);
        retryAfter = h['retry-after'];
      });
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('error', (err) =>
        reject(new GatewayError('gateway-unreachable', err.message, { cause: failureOf(err) })),
      );
      // A session closed under the request (disconnect while logging in) ends its streams
      // without an error: without this the request would wait for ever.
      stream.on('close', () =>
        reject(
          new GatewayError('gateway-unreachable', `${method} ${path}: the connection closed`, {
            cause: 'connection-reset',
          }),
        ),
      );
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status, body: text ? (JSON.parse(text) as unknown) : undefined, retryAfter });
        } catch {
          reject(
            new GatewayError(
              'protocol',
              `the gateway answered ${method} ${path} with something that is not JSON`,
            ),
          );
        }
      });
    });
  }

  async login(username: string, password: string, otp?: string): Promise<LoginResponse> {
    const answer = await this.json('POST', API.sessions, {
      username,
      password,
      ...(otp ? { otp } : {}),
    });
    if (answer.status === 201) {
      const parsed = loginResponseSchema.safeParse(answer.body);
      if (!parsed.success)
        throw new GatewayError(
          'protocol',
          'the gateway sent a login answer this client does not understand',
        );
      this.token = parsed.data.token;
      return parsed.data;
    }
    const error = apiErrorSchema.safeParse(answer.body);
    const message = error.success ? error.data.message : `login failed with HTTP ${answer.status}`;
    if (answer.status === 401 && error.success && error.data.otpRequired)
      throw new GatewayError('otp-required', message);
    if (answer.status === 401) throw new GatewayError('bad-credentials', message);
    if (answer.status === 429)
      throw new GatewayError('rate-limited', message, {
        retryAfterSeconds: retryAfterSeconds(answer.retryAfter),
      });
    throw new GatewayError('protocol', message);
  }

  /** Re-uses a token from an earlier connection (reconnect without asking for the password). */
  useToken(token: string): void {
    this.token = token;
  }

  get currentToken(): string | undefined {
    return this.token;
  }

  async fetchConfig(): Promise<SessionConfig> {
    const answer = await this.json('GET', API.config);
    if (answer.status === 401)
      throw new GatewayError('bad-credentials', 'the session is no longer valid');
    const parsed = sessionConfigSchema.safeParse(answer.body);
    if (answer.status !== 200 || !parsed.success)
      throw new GatewayError('protocol', `GET ${API.config} failed (${answer.status})`);
    return parsed.data;
  }

  async logout(): Promise<void> {
    if (!this.token || !this.connected) return;
    await this.json('DELETE', API.currentSession).catch(() => undefined);
    this.token = undefined;
  }

  /**
   * Opens a tunnel stream and returns it at once, with the gateway's answer to come. Data
   * written before the answer is held by the gateway until it has judged the flow.
   */
  private tunnel(headers: Record<string, string>): OpenedTunnel {
    const session = this.requireSession();
    const stream = session.request(
      { ...headers, authorization: `Bearer ${this.token ?? ''}` },
      { endStream: false },
    );
    stream.on('error', () => undefined);
    const answer = new Promise<TunnelAnswer>((resolve) => {
      const onClose = () =>
        resolve({ ok: false, status: 0, error: `stream reset (${stream.rstCode})` });
      stream.once('close', onClose);
      stream.once('response', (h: IncomingHttpHeaders) => {
        stream.off('close', onClose);
        const status = Number(h[':status']);
        if (status >= 200 && status < 300) return resolve({ ok: true, stream });
        resolve({
          ok: false,
          status,
          error: parseProxyError(h['proxy-status'] as string | undefined),
        });
        // The gateway ended its side with the refusal; ending ours closes the stream without
        // a reset (see stream-close.ts).
        endStream(stream);
      });
    });
    return { stream, answer };
  }

  /**
   * CONNECT host:port (RFC 9113 §8.5): resolves once the gateway reached the target. Aborting
   * `signal` before the answer cancels the stream (RST_STREAM CANCEL), and the gateway stops
   * connecting; the answer is then a refusal with status 0.
   */
  connectTcp(host: string, port: number, signal?: AbortSignal): Promise<TunnelAnswer> {
    const { stream, answer } = this.tunnel({
      ':method': 'CONNECT',
      ':authority': `${host}:${port}`,
    });
    if (!signal) return answer;
    const cancel = () => {
      if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
    };
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    return answer.finally(() => signal.removeEventListener('abort', cancel));
  }

  /** connect-udp (RFC 9298). Node fills :scheme/:path on extended CONNECT only if told. */
  connectUdp(host: string, port: number): OpenedTunnel {
    return this.tunnel({
      ':method': 'CONNECT',
      ':protocol': CONNECT_UDP,
      ':scheme': 'https',
      ':authority': `${this.options.endpoint.host}:${this.options.endpoint.port}`,
      ':path': connectUdpPath(host, port),
      'capsule-protocol': '?1',
    });
  }

  /** connect-ip (RFC 9484) for ICMP (ipproto 1), to any target the policy allows. */
  connectIp(): OpenedTunnel {
    return this.tunnel({
      ':method': 'CONNECT',
      ':protocol': CONNECT_IP,
      ':scheme': 'https',
      ':authority': `${this.options.endpoint.host}:${this.options.endpoint.port}`,
      ':path': connectIpPath('*', 1),
      'capsule-protocol': '?1',
    });
  }

  /**
   * PINGs every `intervalMs`; a PING unanswered for `timeoutMs` means the gateway is gone:
   * the session is destroyed and 'closed' emitted, so the engine can reconnect.
   */
  startKeepalive(intervalMs: number, timeoutMs: number): void {
    this.stopKeepalive();
    const tick = () => {
      const session = this.session;
      if (!session || session.closed || session.destroyed) return;
      const deadline = setTimeout(() => {
        this.keepaliveLost = true;
        session.destroy(new Error('keepalive timeout'));
      }, timeoutMs);
      try {
        session.ping((err, duration) => {
          clearTimeout(deadline);
          if (err) return;
          this.rttMs = duration;
          this.emit('rtt', duration);
        });
      } catch (err) {
        // A session that cannot even send a PING (torn down between two ticks) is gone: its
        // 'close' starts the reconnect. Thrown from a timer, this would end the process.
        clearTimeout(deadline);
        session.destroy(err as Error);
      }
    };
    tick();
    this.pingTimer = setInterval(tick, intervalMs);
  }

  private stopKeepalive(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  close(): void {
    this.stopKeepalive();
    this.handshaking?.destroy();
    this.handshaking = undefined;
    this.session?.close();
    this.session?.destroy();
    this.session = undefined;
  }
}

/**
 * Retry-After as seconds (RFC 9110 §10.2.3: a number of seconds or an HTTP date); undefined
 * when absent or unreadable. Capped at a day: a gateway cannot make the app wait forever.
 */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : (Date.parse(text) - now) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(86_400, Math.max(0, Math.ceil(seconds)));
}
