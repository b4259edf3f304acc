// The client's session with the gateway (DESIGN §2), over the one HTTP/2 connection that the
// native data plane holds: TypeScript verifies the certificate (verify.ts) and hands the
// verified leaf to the data plane, then speaks the JSON API (login, config, logout) through
// it. Tunnels never pass here: the data plane opens them itself with the token it is given.
import { isIP } from 'node:net';
import { parseIPv4 } from '../../../shared/net/ipv4.js';
import {
  API,
  apiErrorSchema,
  loginResponseSchema,
  sessionConfigSchema,
  type LoginResponse,
  type SessionConfig,
} from '../../../shared/protocol/session.js';
import { LinkDownError, type ClientDataPlane, type LinkOptions } from '../../../native/client.js';
import { GatewayError, causeOfLinkFailure } from './errors.js';
import type { Trust } from './tls-trust.js';
import { verifyGateway } from './verify.js';

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

/** Knobs of the connection the data plane makes (docs/architecture.md, "Choices made by measurement"). */
export type LinkTuning = Pick<
  LinkOptions,
  'streamWindow' | 'connectionWindow' | 'notsentLowat' | 'writeBudget' | 'datagramQueue'
>;

export interface SessionClientOptions {
  endpoint: GatewayEndpoint;
  /**
   * The address to connect to, resolved once by the engine: the host route that keeps the
   * gateway outside a full tunnel is for this address, so every connection, reconnects
   * included, must go there and not wherever the name resolves next (round-robin DNS). The
   * certificate is still checked against the name in `endpoint`.
   */
  address: string;
  trust: Trust;
  plane: ClientDataPlane;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  connectTimeoutMs?: number;
  tuning?: LinkTuning;
}

export class SessionClient {
  private token: string | undefined;
  /** The leaf certificate verified last: reconnects accept it without asking again. */
  private pin: Buffer | undefined;
  /** Cuts the certificate check of the open() under way short (see close()). */
  private verifying: AbortController | undefined;
  private closed = false;

  constructor(private readonly options: SessionClientOptions) {}

  /**
   * Connects the data plane to the gateway: the certificate verified in TypeScript (once; again
   * only when the native side finds it changed: a renewal the trust still accepts, such as a
   * public-key pin with the same key, is handed down without a question), then TLS and HTTP/2
   * in the data plane.
   */
  async open(): Promise<void> {
    this.pin ??= await this.verify();
    try {
      await this.connectPlane(this.pin);
    } catch (err) {
      if (!(err instanceof LinkDownError) || !err.certificateChanged) throw this.linkError(err);
      // The gateway now shows another certificate: decide about it again.
      this.pin = undefined;
      this.pin = await this.verify();
      try {
        await this.connectPlane(this.pin);
      } catch (again) {
        throw this.linkError(again);
      }
    }
  }

  private async verify(): Promise<Buffer> {
    const { endpoint, address, trust, connectTimeoutMs = 10_000 } = this.options;
    this.throwIfClosed();
    const verifying = new AbortController();
    this.verifying = verifying;
    try {
      const verified = await verifyGateway({
        host: endpoint.host,
        port: endpoint.port,
        address,
        trust,
        timeoutMs: connectTimeoutMs,
        signal: verifying.signal,
      });
      return verified.leafSha256;
    } finally {
      if (this.verifying === verifying) this.verifying = undefined;
    }
  }

  private connectPlane(pin: Buffer): Promise<void> {
    const { endpoint, address, plane, connectTimeoutMs = 10_000 } = this.options;
    this.throwIfClosed();
    return plane.connect({
      address: parseIPv4(address),
      port: endpoint.port,
      serverName: isIP(endpoint.host) ? '' : endpoint.host,
      pin,
      authority: new URL(endpoint.url).host,
      connectTimeoutMs,
      keepaliveIntervalMs: this.options.keepaliveIntervalMs,
      keepaliveTimeoutMs: this.options.keepaliveTimeoutMs,
      ...this.options.tuning,
    });
  }

  private throwIfClosed(): void {
    if (this.closed)
      throw new GatewayError('gateway-unreachable', 'the connection attempt was cancelled', {
        cause: 'connection-reset',
      });
  }

  private linkError(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    if (err instanceof LinkDownError) {
      // Changed again right after it was verified: connections reach gateways that show
      // different certificates (a balancer in front of several), a TLS problem to retry.
      const message = err.certificateChanged
        ? `the gateway showed another certificate on each connection: ${err.reason}`
        : err.reason;
      return new GatewayError('gateway-unreachable', message, {
        cause: causeOfLinkFailure(err.failure),
      });
    }
    return new GatewayError('gateway-unreachable', (err as Error).message, { cause: 'other' });
  }

  private async json(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; retryAfter: string | undefined }> {
    const headers: [string, string][] = [];
    if (this.token) headers.push(['authorization', `Bearer ${this.token}`]);
    if (body !== undefined) headers.push(['content-type', 'application/json']);
    let answer;
    try {
      answer = await this.options.plane.request(
        method,
        path,
        headers,
        body === undefined ? '' : JSON.stringify(body),
      );
    } catch (err) {
      // The connection closed under the request (lost, or closed by a cancel).
      throw new GatewayError(
        'gateway-unreachable',
        `${method} ${path}: ${(err as Error).message}`,
        {
          cause: 'connection-reset',
        },
      );
    }
    const text = answer.body.toString('utf8');
    try {
      return {
        status: answer.status,
        body: text ? (JSON.parse(text) as unknown) : undefined,
        retryAfter: answer.headers['retry-after'],
      };
    } catch {
      throw new GatewayError(
        'protocol',
        `the gateway answered ${method} ${path} with something that is not JSON`,
      );
    }
  }

  /** Logs in; on success the data plane opens tunnels with the new token. */
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
      this.options.plane.setToken(this.token);
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

  get currentToken(): string | undefined {
    return this.token;
  }

  /** The session's configuration; with a valid token, the data plane may open tunnels again. */
  async fetchConfig(): Promise<SessionConfig> {
    const answer = await this.json('GET', API.config);
    if (answer.status === 401)
      throw new GatewayError('bad-credentials', 'the session is no longer valid');
    const parsed = sessionConfigSchema.safeParse(answer.body);
    if (answer.status !== 200 || !parsed.success)
      throw new GatewayError('protocol', `GET ${API.config} failed (${answer.status})`);
    if (this.token) this.options.plane.setToken(this.token);
    return parsed.data;
  }

  async logout(): Promise<void> {
    if (!this.token) return;
    await this.json('DELETE', API.currentSession).catch(() => undefined);
    this.token = undefined;
  }

  /**
   * Stops for good: a certificate check under way is cut short, and the data plane's
   * connection closes (a request on it fails at once). For a cancelled connect, and at the end.
   */
  close(): void {
    this.closed = true;
    this.verifying?.abort();
    this.options.plane.disconnect('closed by the client');
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
