// The gateway process: the control plane in TypeScript (configuration and SIGHUP reload,
// logins, sessions and the address pool, policy, audit, metrics) and the native data plane it
// starts and steers (src/gateway/data-plane.ts, docs/gateway-dataplane.md), which owns the
// TLS port, the front door (connection caps, deadlines), every connection and every flow.
import type { AddressInfo } from 'node:net';
import { openAuditLog } from './audit.js';
import { LoginRateLimiter } from './auth/rate-limit.js';
import { TotpReplayGuard } from './auth/totp.js';
import { PasswordVerifier } from './auth/verifier.js';
import { credentialStamp } from './auth/users.js';
import { ConfigError } from './config/errors.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import type { GatewayContext } from './context.js';
import { DataPlaneLink } from './data-plane.js';
import { flowsTotal } from './forward/socket-budget.js';
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
  /** The data plane's process and libraries. */
  dataPlane(): { pid: number; threads: number; openssl: string; nghttp2: string } | undefined;
  /** Re-reads the configuration; a bad file is refused and the running one stays. */
  reload(): Promise<{ ok: true } | { ok: false; problems: string[] }>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** The data plane cannot be kept running; the process should exit non-zero. */
  onFatal?: (reason: string) => void;
}

function limiterOptions(settings: LoadedConfig) {
  return {
    perIpPerMinute: settings.file.limits.loginsPerMinutePerIp,
    failuresBeforeLockout: settings.file.limits.failuresBeforeLockout,
    userFailuresPerHour: settings.file.limits.userFailuresPerHour,
  };
}

/** Says so when the configured flow cap leaves the kernel to refuse sockets first. */
function warnAboutDescriptors(settings: LoadedConfig, limit: number): void {
  const cap = flowsTotal(settings.file.limits.flowsTotal, limit);
  if (cap >= limit) {
    console.warn(
      `gateway: limits.flowsTotal ${cap} is not below the open-files limit ${limit}: flows past the limit fail with EMFILE instead of 429; raise "ulimit -n" or lower limits.flowsTotal`,
    );
  }
}

export async function startGateway(
  configPath: string,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const settings = await loadConfig(configPath);
  const metrics = new GatewayMetrics();
  const audit = openAuditLog(settings.auditPath);
  const onEnd = (session: Session, reason: EndReason) => {
    link.sessionEnded(session);
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
    onStart: (session: Session, tokenHash: string) => link.sessionStarted(session, tokenHash),
    onEnd,
  });
  const sessions = new SessionManager(
    sessionOptions(
      settings,
      settings.file.addressPool ? new AddressPool(settings.file.addressPool) : undefined,
    ),
  );
  // The gateway's own addresses are reserved destinations; they are read again every sweep,
  // since interfaces come and go (the data plane runs in the same network namespace).
  const reserved = new ReservedDestinations(ownAddressBlocks());
  // Read once with the configuration; the front door's caps were sized from the same figure.
  const descriptors = settings.front.descriptorLimit;
  warnAboutDescriptors(settings, descriptors);
  const ctx: GatewayContext = {
    settings,
    policy: new Policy(settings.file.resources, settings.file.policies, reserved),
    sessions,
    audit,
    metrics,
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

  // Sessions call into it (onStart, onEnd) only once it exists: none can start before.
  const link: DataPlaneLink = new DataPlaneLink(ctx, deps, reserved, descriptors, (reason) => {
    if (options.onFatal) options.onFatal(reason);
    else console.error(`gateway: the data plane cannot run: ${reason}`);
  });
  try {
    await link.start();
  } catch (err) {
    await deps.verifier.close();
    await audit.close();
    throw err;
  }
  const metricsServer = settings.file.metrics
    ? await metrics.serve(settings.file.metrics.host, settings.file.metrics.port)
    : undefined;

  const sweeper = setInterval(() => {
    const now = Date.now();
    sessions.sweep(now);
    deps.limiter.sweep(now);
    deps.replayGuard.sweep(now);
    reserved.setOwn(ownAddressBlocks());
    link.pushReserved();
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
    // The data plane first: a certificate it cannot use refuses the whole reload.
    try {
      await link.reconfigure(next);
    } catch (err) {
      return { ok: false, problems: [`tls: ${(err as Error).message}`] };
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
    link.pushReserved();
    link.pushPolicies();
    warnAboutDescriptors(next, descriptors);
    // The same limiter, so lockouts in force survive a reload.
    deps.limiter.reconfigure(limiterOptions(next));
    deps.verifier.reconfigure(next.front.loginVerifications, next.front.loginQueue);
    audit.reopen();
    return { ok: true };
  };

  const close: Gateway['close'] = async () => {
    clearInterval(sweeper);
    deps.refusals.flush();
    for (const session of [...sessions.all()]) sessions.end(session, 'shutdown');
    // The data plane closes every connection and reports the flows' last events first.
    await link.shutdown();
    await deps.verifier.close();
    if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    await audit.close();
  };

  return {
    context: ctx,
    address: () => ({
      address: settings.file.listen.host,
      family: 'IPv4',
      port: link.port,
    }),
    metricsAddress: () => metricsServer?.address() as AddressInfo | undefined,
    dataPlane: () => link.info,
    reload,
    close,
  };
}
