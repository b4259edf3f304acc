// The gateway process: one TLS listener whose ALPN picks HTTP/2 (the tunnel) or HTTP/1.1
// (the API and CONNECT for ordinary HTTPS-proxy clients), the metrics listener, the session
// sweeper, and reload without dropping sessions.
import { createServer as createHttp2Server } from 'node:http2';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import {
  createServer as createTlsServer,
  type SecureContextOptions,
  type TLSSocket,
} from 'node:tls';
import { openAuditLog } from './audit.js';
import { LoginRateLimiter } from './auth/rate-limit.js';
import { TotpReplayGuard } from './auth/totp.js';
import { PasswordVerifier } from './auth/verifier.js';
import { credentialStamp } from './auth/users.js';
import { ConfigError } from './config/errors.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import type { GatewayContext } from './context.js';
import { descriptorLimit, flowsTotal, SocketBudget } from './forward/socket-budget.js';
import { FrontDoor } from './front/front-door.js';
import { createHttp1Server, endConnection, IDLE_TIMEOUT_ANSWER } from './http/h1.js';
import { attachHttp2 } from './http/h2.js';
import type { ApiDeps } from './http/api.js';
import { LoginRefusalLog } from './login-refusals.js';
import { GatewayMetrics } from './metrics.js';
import { Policy } from './policy.js';
import { AddressPool } from './pool.js';
import { ownAddressBlocks, ReservedDestinations } from './reserved.js';
import { SessionManager, type EndReason, type Session } from './sessions.js';

export interface Gateway {
  readonly context: GatewayContext;
  /** The tunnel listener's bound address. */
  address(): AddressInfo;
  metricsAddress(): AddressInfo | undefined;
  /** Re-reads the configuration; a bad file is refused and the running one stays. */
  reload(): Promise<{ ok: true } | { ok: false; problems: string[] }>;
  close(): Promise<void>;
}

/**
 * TLS 1.2 suites: ECDHE key exchange (forward secrecy) with an AEAD cipher only, AES-GCM or
 * ChaCha20-Poly1305; no CBC (padding oracles, Lucky 13), no CCM (CCM8's 64-bit tag, and no
 * client needs it), no static RSA key exchange. Both certificate types (ECDSA, RSA). The
 * TLS 1.3 suites are OpenSSL's defaults minus CCM. docs/operations.md says why 1.2 stays.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
export const TLS13_CIPHERSUITES = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
].join(':');

function tlsOptions(settings: LoadedConfig): SecureContextOptions {
  return {
    cert: settings.tls.cert,
    key: settings.tls.key,
    minVersion: settings.file.tls.minVersion,
    // Node takes both lists in one string: TLS 1.3 names start with TLS_.
    ciphers: `${TLS13_CIPHERSUITES}:${TLS12_CIPHERS}`,
    honorCipherOrder: true,
  };
}

function limiterOptions(settings: LoadedConfig) {
  return {
    perIpPerMinute: settings.file.limits.loginsPerMinutePerIp,
    failuresBeforeLockout: settings.file.limits.failuresBeforeLockout,
    userFailuresPerHour: settings.file.limits.userFailuresPerHour,
  };
}

/** Says so when the configured flow cap leaves the kernel to refuse sockets first. */
function warnAboutDescriptors(settings: LoadedConfig, limit: number | undefined): void {
  const cap = flowsTotal(settings.file.limits.flowsTotal, limit);
  if (limit !== undefined && cap >= limit) {
    console.warn(
      `gateway: limits.flowsTotal ${cap} is not below the open-files limit ${limit}: flows past the limit fail with EMFILE instead of 429; raise "ulimit -n" or lower limits.flowsTotal`,
    );
  }
}

export async function startGateway(configPath: string): Promise<Gateway> {
  const settings = await loadConfig(configPath);
  const metrics = new GatewayMetrics();
  const audit = openAuditLog(settings.auditPath);
  const onEnd = (session: Session, reason: EndReason) => {
    metrics.sessions.set(sessions.size);
    audit.write({
      event: 'logout',
      user: session.user,
      session: session.id,
      reason,
      intranetIp: session.intranetIp,
    });
  };
  const sessionOptions = (s: LoadedConfig, pool: AddressPool | undefined) => ({
    lifetimeSeconds: s.file.sessions.lifetimeSeconds,
    perUser: s.file.sessions.perUser,
    pool,
    onEnd,
  });
  const sessions = new SessionManager(
    sessionOptions(
      settings,
      settings.file.addressPool ? new AddressPool(settings.file.addressPool) : undefined,
    ),
  );
  // The gateway's own addresses are reserved destinations; they are read again every sweep,
  // since interfaces come and go.
  const reserved = new ReservedDestinations(ownAddressBlocks());
  const descriptors = descriptorLimit();
  warnAboutDescriptors(settings, descriptors);
  const ctx: GatewayContext = {
    settings,
    policy: new Policy(settings.file.resources, settings.file.policies, reserved),
    sessions,
    audit,
    metrics,
    sockets: new SocketBudget(
      () => ({
        perUser: ctx.settings.file.limits.flowsPerUser,
        total: flowsTotal(ctx.settings.file.limits.flowsTotal, descriptors),
      }),
      (inUse) => metrics.flowSockets.set(inUse),
    ),
  };
  const deps: ApiDeps = {
    limiter: new LoginRateLimiter(limiterOptions(settings)),
    replayGuard: new TotpReplayGuard(),
    verifier: new PasswordVerifier(settings.front.loginVerifications, settings.front.loginQueue),
    refusals: new LoginRefusalLog(
      audit,
      () => ctx.settings.file.limits.loginRefusalSummarySeconds * 1000,
    ),
  };

  const limits = settings.file.limits;
  const h2 = createHttp2Server({
    settings: {
      enableConnectProtocol: true,
      initialWindowSize: settings.file.flowControl.streamWindowBytes,
      maxConcurrentStreams: limits.streamsPerSession + 16,
    },
    maxSessionMemory: limits.sessionMemoryMiB,
    // Thousands of flows per connection: nghttp2's header-table and outstanding-ping caps
    // stay at their defaults; only the stream count and memory are sized up.
    peerMaxConcurrentStreams: limits.streamsPerSession + 16,
  });
  attachHttp2(ctx, deps, h2);
  const h1: HttpServer = createHttp1Server(ctx, deps);

  // Every client connection after TLS, so that shutdown can end them: an open HTTP/2
  // connection would otherwise keep the process alive.
  const connections = new Set<TLSSocket>();
  const front = new FrontDoor(() => ctx.settings.front, metrics);
  const tls = createTlsServer(
    { ...tlsOptions(settings), ALPNProtocols: ['h2', 'http/1.1'] },
    (socket: TLSSocket) => {
      const client = front.secured(socket);
      if (!client) return void socket.destroy();
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      if (socket.alpnProtocol === 'h2') {
        client.start('h2', () => socket.destroy());
        h2.emit('connection', socket);
      } else {
        client.start('h1', () => endConnection(socket, IDLE_TIMEOUT_ANSWER));
        h1.emit('connection', socket);
      }
    },
  );
  // A failed handshake ends its connection (Node leaves that to this handler). Only TLS
  // errors are malformed input; a reset, or a close of ours, is not.
  tls.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code?.startsWith('ERR_SSL')) metrics.malformed.inc({ kind: 'tls-handshake' });
    socket.destroy();
  });
  // The front door sees every TCP connection before TLS does (front/front-door.ts).
  const listener = createNetServer((socket) =>
    front.accept(socket, (admitted) => tls.emit('connection', admitted)),
  );

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(settings.file.listen.port, settings.file.listen.host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  // accept() can still fail (EMFILE when the limits are set above what the system allows):
  // the listener keeps going, and it is said once a minute at most.
  let lastAcceptError = 0;
  listener.on('error', (err: NodeJS.ErrnoException) => {
    metrics.connectionsRefused.inc({ limit: 'system' });
    if (Date.now() - lastAcceptError < 60_000) return;
    lastAcceptError = Date.now();
    console.error(`gateway: cannot accept a connection: ${err.code ?? err.message}`);
  });
  const metricsServer = settings.file.metrics
    ? await metrics.serve(settings.file.metrics.host, settings.file.metrics.port)
    : undefined;

  const sweeper = setInterval(() => {
    const now = Date.now();
    sessions.sweep(now);
    deps.limiter.sweep(now);
    deps.replayGuard.sweep(now);
    reserved.setOwn(ownAddressBlocks());
  }, 15_000);
  sweeper.unref();

  const reload: Gateway['reload'] = async () => {
    let next: LoadedConfig;
    try {
      next = await loadConfig(ctx.settings.path);
    } catch (err) {
      if (err instanceof ConfigError) return { ok: false, problems: err.problems };
      return { ok: false, problems: [(err as Error).message] };
    }
    const previous = ctx.settings;
    if (
      next.file.listen.host !== previous.file.listen.host ||
      next.file.listen.port !== previous.file.listen.port
    ) {
      console.warn('gateway: a new listen address takes effect at the next restart');
    }
    let pool = sessions.pool;
    if (next.file.addressPool !== previous.file.addressPool) {
      pool = next.file.addressPool ? new AddressPool(next.file.addressPool) : undefined;
      // Sessions alive keep their address; the new pool learns the ones that fall inside it.
      for (const session of sessions.all())
        if (session.intranetIp && pool) pool.adopt(session.user, session.intranetIp);
    }
    sessions.reconfigure(sessionOptions(next, pool));
    // A removed user, or one whose password or one-time-code secret changed, keeps no session.
    sessions.endRevoked((name) => {
      const user = next.users.find(name);
      return user && credentialStamp(user);
    });
    for (const session of sessions.all())
      session.groups = next.users.find(session.user)?.groups ?? [];
    ctx.settings = next;
    reserved.setOwn(ownAddressBlocks());
    ctx.policy = new Policy(next.file.resources, next.file.policies, reserved);
    warnAboutDescriptors(next, descriptors);
    // The same limiter, so lockouts in force survive a reload.
    deps.limiter.reconfigure(limiterOptions(next));
    deps.verifier.reconfigure(next.front.loginVerifications, next.front.loginQueue);
    front.reconfigure();
    tls.setSecureContext({ ...tlsOptions(next) });
    audit.reopen();
    return { ok: true };
  };

  const close: Gateway['close'] = async () => {
    clearInterval(sweeper);
    deps.refusals.flush();
    for (const session of [...sessions.all()]) sessions.end(session, 'shutdown');
    h2.close();
    await new Promise<void>((resolve) => {
      listener.close(() => resolve());
      // Tunnels were closed with their sessions; what is left are idle connections.
      front.closeHandshaking();
      for (const socket of connections) socket.destroy();
    });
    await deps.verifier.close();
    if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    await audit.close();
  };

  return {
    context: ctx,
    address: () => listener.address() as AddressInfo,
    metricsAddress: () => metricsServer?.address() as AddressInfo | undefined,
    reload,
    close,
  };
}
