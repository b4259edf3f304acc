// The JSON API (DESIGN §2), independent of the HTTP version that carried it: the data plane
// reads a request whole from HTTP/2 or HTTP/1.1 and sends it up (src/gateway/data-plane.ts),
// which turns it into an ApiRequest and sends the ApiResponse back down.
import {
  API,
  loginRequestSchema,
  type ApiError,
  type SessionConfig,
} from '../../shared/protocol/session.js';
import { proxyStatus } from '../../shared/protocol/proxy-status.js';
import { authenticate } from '../auth/authenticate.js';
import type { LoginRateLimiter } from '../auth/rate-limit.js';
import type { TotpReplayGuard } from '../auth/totp.js';
import { VerifierBusyError, type PasswordVerifier } from '../auth/verifier.js';
import { auditName } from '../audit.js';
import { credentialStamp } from '../auth/users.js';
import type { GatewayContext } from '../context.js';
import type { LoginRefusalLog } from '../login-refusals.js';
import { PoolExhaustedError } from '../pool.js';
import type { Session } from '../sessions.js';

export interface ApiRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Buffer;
  sourceIp: string;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** The request showed a valid session or created one: its connection has logged in. */
  authenticated?: boolean;
}

export interface ApiDeps {
  limiter: LoginRateLimiter;
  replayGuard: TotpReplayGuard;
  verifier: PasswordVerifier;
  refusals: LoginRefusalLog;
}

function error(
  status: number,
  code: string,
  message: string,
  extra: Partial<ApiError> = {},
): ApiResponse {
  return { status, body: { error: code, message, ...extra } satisfies ApiError };
}

/** A refusal for a limit of the gateway, with when to come back and an RFC 9209 status. */
function overLimit(status: 429 | 503, code: string, message: string): ApiResponse {
  return {
    ...error(status, code, message),
    headers: {
      'retry-after': '1',
      'proxy-status': proxyStatus('http_request_denied', message),
    },
  };
}

export const PAYLOAD_TOO_LARGE = error(413, 'payload_too_large', 'request body too large');
export const REQUEST_TIMEOUT = error(
  408,
  'request_timeout',
  'the request did not arrive whole in time',
);

/** The answer when a request's body would take more than may be held before login. */
export function bytesRefusal(limit: BytesRefusal): ApiResponse {
  return limit === 'unauthenticated-bytes'
    ? overLimit(503, 'busy', 'the gateway holds too many unfinished logins; try again')
    : overLimit(429, 'too_many_requests', 'too many unfinished requests on this connection');
}

/** Which cap on bytes held before login a request's body would pass. */
export type BytesRefusal = 'unauthenticated-bytes-per-connection' | 'unauthenticated-bytes';

export function sessionConfig(
  ctx: GatewayContext,
  session: Session,
  now = Date.now(),
): SessionConfig {
  const file = ctx.settings.file;
  const splitTunnel = file.splitTunnel !== false && file.routes !== undefined;
  const pool = ctx.sessions.pool;
  return {
    routes: splitTunnel ? (file.routes ?? []) : ['0.0.0.0/0'],
    splitTunnel,
    intranetIp: session.intranetIp,
    intranetPrefix: session.intranetIp && pool ? pool.cidr.prefix : 32,
    dns: { servers: file.dns.servers, domains: file.dns.domains },
    resources: ctx.policy.allowedResources(session),
    timeouts: {
      udpIdleSeconds: file.timeouts.udpIdleSeconds,
      tcpConnectSeconds: file.timeouts.tcpConnectSeconds,
      keepaliveSeconds: file.timeouts.keepaliveSeconds,
      sessionSeconds: Math.max(1, Math.floor((session.expiresAt - now) / 1000)),
    },
  };
}

async function login(ctx: GatewayContext, deps: ApiDeps, req: ApiRequest): Promise<ApiResponse> {
  if (!/^application\/json\b/i.test(req.contentType ?? '')) {
    return error(415, 'unsupported_media_type', 'send the login as application/json');
  }
  let json: unknown;
  try {
    json = JSON.parse(req.body.toString('utf8'));
  } catch {
    ctx.metrics.malformed.inc({ kind: 'json' });
    return error(400, 'bad_request', 'the body is not valid JSON');
  }
  const parsed = loginRequestSchema.safeParse(json);
  if (!parsed.success) {
    ctx.metrics.malformed.inc({ kind: 'json' });
    return error(
      400,
      'bad_request',
      'expected {"username", "password", "otp"?} with a 6 to 8 digit otp',
    );
  }
  const { username, password, otp } = parsed.data;
  const now = Date.now();
  const gate = deps.limiter.check(req.sourceIp, username, now);
  if (!gate.allowed) {
    ctx.metrics.logins.inc({ result: gate.reason });
    deps.refusals.record(req.sourceIp, username, gate.reason, now);
    return {
      ...error(
        429,
        'too_many_attempts',
        `too many login attempts; try again in ${gate.retryAfterSeconds} s`,
      ),
      headers: { 'retry-after': String(gate.retryAfterSeconds) },
    };
  }
  let outcome;
  try {
    outcome = await authenticate(
      ctx.settings.users,
      username,
      password,
      otp,
      now,
      deps.replayGuard,
      deps.verifier.derive,
    );
  } catch (err) {
    if (!(err instanceof VerifierBusyError)) throw err;
    // Not a failed guess: neither the limiter nor the audit log counts it.
    ctx.metrics.logins.inc({ result: 'busy' });
    return overLimit(503, 'busy', 'too many logins are being checked; try again in a second');
  }
  if (!outcome.ok) {
    // otp-required is only reported after the password was right; a wrong code is reported
    // exactly like a wrong password, so nothing tells which part was wrong.
    const next =
      outcome.reason === 'otp-required'
        ? undefined
        : deps.limiter.recordFailure(req.sourceIp, username, now);
    ctx.metrics.logins.inc({ result: 'failure' });
    ctx.metrics.loginFailures.inc({ reason: outcome.reason });
    ctx.audit.write({
      event: 'login',
      user: auditName(username),
      sourceIp: req.sourceIp,
      result: 'failure',
      reason: outcome.reason,
      ...(next && !next.allowed ? { lockedOutSeconds: next.retryAfterSeconds } : {}),
    });
    if (outcome.reason === 'otp-required') {
      return error(401, 'otp_required', 'a one-time code is required', { otpRequired: true });
    }
    return error(401, 'invalid_credentials', 'wrong user name, password or one-time code');
  }
  // A reload while the password was checked may have removed the user or changed what proves
  // her identity; the sessions it ended must not come back through a login already under way.
  const stamp = credentialStamp(outcome.user);
  const current = ctx.settings.users.find(outcome.user.name);
  if (!current || credentialStamp(current) !== stamp) {
    return error(401, 'invalid_credentials', 'wrong user name, password or one-time code');
  }
  deps.limiter.recordSuccess(req.sourceIp, username, now);
  try {
    const { session, token } = ctx.sessions.create(
      outcome.user.name,
      outcome.user.groups,
      req.sourceIp,
      now,
      stamp,
    );
    ctx.metrics.logins.inc({ result: 'success' });
    ctx.metrics.sessions.set(ctx.sessions.size);
    ctx.audit.write({
      event: 'login',
      user: session.user,
      sourceIp: req.sourceIp,
      result: 'success',
      intranetIp: session.intranetIp,
      session: session.id,
    });
    return {
      status: 201,
      authenticated: true,
      body: {
        token,
        expiresAt: new Date(session.expiresAt).toISOString(),
        config: sessionConfig(ctx, session, now),
      },
    };
  } catch (err) {
    if (err instanceof PoolExhaustedError) return error(503, 'address_pool_exhausted', err.message);
    throw err;
  }
}

export async function handleApi(
  ctx: GatewayContext,
  deps: ApiDeps,
  req: ApiRequest,
): Promise<ApiResponse> {
  const path = req.path.split('?')[0];
  if (path === API.sessions) {
    if (req.method !== 'POST')
      return { ...error(405, 'method_not_allowed', 'use POST'), headers: { allow: 'POST' } };
    return login(ctx, deps, req);
  }
  if (path === API.config || path === API.currentSession) {
    const session = ctx.sessions.authenticate(req.authorization);
    if (!session) {
      return {
        ...error(401, 'unauthorized', 'log in first: no valid bearer token'),
        headers: { 'www-authenticate': 'Bearer realm="passerelle"' },
      };
    }
    if (path === API.config) {
      if (req.method !== 'GET')
        return { ...error(405, 'method_not_allowed', 'use GET'), headers: { allow: 'GET' } };
      return { status: 200, body: sessionConfig(ctx, session) };
    }
    if (req.method !== 'DELETE')
      return { ...error(405, 'method_not_allowed', 'use DELETE'), headers: { allow: 'DELETE' } };
    ctx.sessions.end(session, 'logout');
    return { status: 204 };
  }
  return error(404, 'not_found', `no such endpoint: ${req.method} ${path?.slice(0, 100)}`);
}
