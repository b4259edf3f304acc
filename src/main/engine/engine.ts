// The tunnel engine (Electron-free): logs in, sets up the TUN device, routes and DNS from the
// session configuration, hands the TUN to the native data plane (which moves every byte:
// DESIGN §4), renews the session, reconnects after a loss, and undoes every change on
// disconnect. JavaScript steers; the data plane's thread does the packet work.
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { ClientDataPlane } from '../../native/client.js';
import { isIPv4, parseIPv4 } from '../../shared/net/ipv4.js';
import type { AllowedResource, SessionConfig } from '../../shared/protocol/session.js';
import { DEFAULT_MTU, planAddresses } from './address-plan.js';
import { ConnectAttempt } from './connect-attempt.js';
import { GatewayError, causeOfErrno, causeOfLinkFailure, failureOf } from './gateway/errors.js';
import { SessionClient, parseGatewayUrl, type GatewayEndpoint } from './gateway/session-client.js';
import { dataPlaneTuning, type DataPlaneTuning } from './tuning.js';
import { parsePin, type Trust } from './gateway/tls-trust.js';
import {
  AccessError,
  automaticAccess,
  type SystemAccess,
  type SystemSession,
} from './access/index.js';
import { DEFAULT_STATE_DIR, type AppliedSetup, type DnsMode } from './netconfig/index.js';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ConnectOptions,
  ConnectPhase,
  Engine,
  EngineEvents,
  EngineState,
  EngineStats,
  FailureCause,
  TunnelSummary,
} from './types.js';
import { lookup } from 'node:dns/promises';

export interface EngineOptions {
  /** Where network state files live, for crash recovery (/run/passerelle by default). */
  stateDir?: string;
  mtu?: number;
  /** Seconds between keepalive PINGs; the gateway is declared dead after 1.5 intervals + 2 s. */
  keepaliveSeconds?: number;
  /**
   * How the TUN and the network set-up are obtained: directly with CAP_NET_ADMIN, or through
   * the privileged helper service (src/helper/). By default, whichever this process can use.
   */
  access?: SystemAccess;
  /** The data plane's knobs; by default the measured values with PASSERELLE_* overrides (tuning.ts). */
  tuning?: DataPlaneTuning;
}

interface Running {
  endpoint: GatewayEndpoint;
  /** The gateway's address, resolved once: the host route and every reconnect use it. */
  gatewayIp: string;
  trust: Trust;
  options: ConnectOptions;
  client: SessionClient;
  config: SessionConfig;
  plane: ClientDataPlane;
  tunName: string;
  network: AppliedSetup;
  system: SystemSession;
  statsTimer: NodeJS.Timeout;
  /** resolv.conf mode: checks that our DNS is still the one in use (see watchDns). */
  dnsTimer: NodeJS.Timeout | undefined;
}

const MAX_BACKOFF_MS = 15_000;
/**
 * Disconnect restores routes and DNS first, then logs out, waiting at most this long: a
 * gateway that does not answer must neither keep the host's network pointing into a dead
 * tunnel nor hold the exit.
 */
const LOGOUT_TIMEOUT_MS = 2000;
/** At most one session renewal (a login after a 407) in this long. */
const RENEW_MIN_INTERVAL_MS = 2000;
/** How often resolv.conf is checked for another program's rewrite. */
const DNS_CHECK_MS = 2000;

/** The gateway's IPv4 address: the URL's, or its name resolved once. */
async function resolveGateway(host: string): Promise<string> {
  if (isIPv4(host)) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GatewayError(
      'gateway-unreachable',
      `cannot resolve the gateway ${host}: ${code ?? (err as Error).message}`,
      { cause: causeOfErrno(code) },
    );
  }
}

export class TunnelEngine implements Engine {
  private readonly events = new EventEmitter();
  private current: EngineState = { kind: 'disconnected' };
  private running: Running | undefined;
  /** The data plane of the latest session (stats() reads its shared counters). */
  private plane: ClientDataPlane | undefined;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** The connect() under way, which disconnect() cancels. */
  private attempt: ConnectAttempt | undefined;
  private disconnecting: Promise<void> | undefined;
  /** Whether the disconnect under way still logs out (see disconnect). */
  private logoutOnStop = true;
  /** Ends the wait for the logout of the disconnect under way. */
  private skipLogout: (() => void) | undefined;
  /** The login under way after a 407 (see renewSession), shared by every refused flow. */
  private renewing: Promise<boolean> | undefined;
  private lastRenewal = 0;
  /** A resolv.conf check is under way (see watchDns). */
  private checkingDns = false;

  constructor(private readonly engineOptions: EngineOptions = {}) {}

  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void {
    this.events.on(event, listener);
  }

  off<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void {
    this.events.off(event, listener);
  }

  state(): EngineState {
    return this.current;
  }

  resources(): AllowedResource[] {
    return this.running?.config.resources ?? [];
  }

  /** From the data plane's shared counters: no message to its thread. */
  stats(): EngineStats {
    const { figures, dropped } = this.plane?.stats() ?? { figures: {}, dropped: {} };
    const figure = (name: string) => figures[name] ?? 0;
    const rtt = figure('rtt-us');
    return {
      bytesIn: figure('bytes-in'),
      bytesOut: figure('bytes-out'),
      flows: { tcp: figure('tcp-open'), udp: figure('udp-open'), icmp: figure('icmp-open') },
      flowsTotal: {
        tcp: figure('tcp-total'),
        udp: figure('udp-total'),
        icmp: figure('icmp-total'),
      },
      dropped,
      rttMs: this.running && rtt > 0 ? rtt / 1000 : null,
      ...(this.plane ? { dataPlane: figures } : {}),
    };
  }

  private setState(state: EngineState): void {
    this.current = state;
    this.events.emit('state', state);
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.events.emit('log', { level, message, time: Date.now() });
  }

  async connect(options: ConnectOptions): Promise<void> {
    if (this.running || this.attempt || this.disconnecting)
      throw new Error('already connected or connecting');
    this.stopping = false;
    const gateway = options.gatewayUrl;
    const attempt = new ConnectAttempt();
    this.attempt = attempt;
    // Each phase is announced as it starts; a disconnect() meanwhile (even from a listener of
    // this very state) stops the attempt before the next step.
    const enter = (phase: ConnectPhase) => {
      attempt.check();
      attempt.phase = phase;
      this.setState({ kind: 'connecting', gateway, phase });
    };
    let system: SystemSession | undefined;
    let plane: ClientDataPlane | undefined;
    let client: SessionClient | undefined;
    /** The TUN's descriptor while it is ours to close (until the data plane takes it). */
    let tunFd: number | undefined;
    let network: AppliedSetup | undefined;
    /** The gateway connection went down while configuring: reconnect once connected. */
    let lostMeanwhile: { reason: string; cause: FailureCause } | undefined;
    try {
      enter('resolving');
      const access =
        this.engineOptions.access ??
        automaticAccess({ stateDir: this.engineOptions.stateDir ?? defaultStateDir() });
      // Not raced: what begin() opened (the helper's connection) must be ended on a cancel.
      system = await access.begin((level, message) => this.log(level, message));
      attempt.check();
      const endpoint = parseGatewayUrl(gateway);
      const trust: Trust = options.pin
        ? { kind: 'pin', ...parsePin(options.pin) }
        : options.ca
          ? { kind: 'ca', pem: options.ca }
          : { kind: 'system' };
      const gatewayIp = await attempt.race(resolveGateway(endpoint.host));
      enter('securing');
      const dataPlane = new ClientDataPlane({
        onLinkDown: (reason, failure) => {
          const cause = causeOfLinkFailure(failure);
          if (this.running?.plane === dataPlane) this.onLinkLost(reason, cause);
          else lostMeanwhile = { reason, cause };
        },
        onAuthRequired: () =>
          void this.renewSession().then((renewed) => {
            if (!renewed) dataPlane.renewalFailed();
          }),
        onTunError: (message) => void this.onTunLost(message),
      });
      plane = dataPlane;
      this.plane = dataPlane;
      const keepalive = this.engineOptions.keepaliveSeconds ?? 2;
      const tuning = this.engineOptions.tuning ?? dataPlaneTuning();
      client = new SessionClient({
        endpoint,
        trust,
        address: gatewayIp,
        plane,
        keepaliveIntervalMs: keepalive * 1000,
        keepaliveTimeoutMs: keepalive * 1500 + 2000,
        tuning: tuning.link,
      });
      // A cancel while securing closes it: the certificate check and the data plane's
      // connection are cut short.
      attempt.attach(client);
      await attempt.race(client.open());
      enter('signing-in');
      // Not raced: a cancel lets a login already sent come back, so it can be logged out.
      const login = await client.login(options.username, options.password, options.otp);
      const config = login.config;
      enter('configuring');

      // The privileged step (directly, or through the helper): a descriptor with a virtio-net
      // header, which the data plane takes over below.
      const tun = await system.openTun(options.tunName ?? 'passerelle0');
      tunFd = tun.fd;
      const plan = planAddresses(config);
      network = await system.applyNetwork({
        tunName: tun.name,
        ...plan,
        mtu: this.engineOptions.mtu ?? DEFAULT_MTU,
        routes: config.routes,
        splitTunnel: config.splitTunnel,
        gatewayIp,
        dns: config.dns,
      });
      // From here the descriptor belongs to the data plane, which closes it.
      const attached = plane.attachTun({
        tunFd: tun.fd,
        offloads: tuning.offloads,
        address: parseIPv4(plan.address),
        spareAddress: parseIPv4(plan.spareAddress),
        udpIdleMs: config.timeouts.udpIdleSeconds * 1000,
      });
      tunFd = undefined;
      await attached;
      // The setup above is never interrupted halfway; a cancel meanwhile undoes it whole. From
      // here on the tunnel is up, and a disconnect() takes it down the ordinary way.
      attempt.check();
      this.attempt = undefined;
      this.log('info', `tunnel device ${tun.name}: ${plane.info().tun ?? 'attached'}`);

      const statsTimer = setInterval(() => this.events.emit('stats', this.stats()), 1000);
      statsTimer.unref();
      const dnsTimer =
        network.dnsMode === 'resolvconf'
          ? setInterval(() => void this.watchDns(), DNS_CHECK_MS).unref()
          : undefined;
      this.running = {
        dnsTimer,
        endpoint,
        gatewayIp,
        trust,
        options,
        client,
        config,
        plane,
        tunName: tun.name,
        network,
        system,
        statsTimer,
      };
      // The state change is the log line (the controller and the CLI describe it).
      this.setState({
        kind: 'connected',
        gateway,
        intranetIp: config.intranetIp,
        since: Date.now(),
        tunnel: tunnelSummary(config, network.dnsMode),
      });
      if (lostMeanwhile) this.onLinkLost(lostMeanwhile.reason, lostMeanwhile.cause);
    } catch (err) {
      plane?.closeFlows();
      await network?.undo().catch((e: Error) => this.log('error', `undo failed: ${e.message}`));
      if (tunFd !== undefined) closeSync(tunFd);
      if (client) await this.logOut(client);
      client?.close();
      // Stops the data plane's thread; the TUN it took goes with it.
      plane?.close();
      system?.end();
      if (attempt.cancelled) {
        // A failure caused by the cancellation (the login's connection closed) is no error.
        this.setState({ kind: 'disconnected' });
        return;
      }
      const error =
        err instanceof GatewayError
          ? err
          : err instanceof AccessError
            ? new GatewayError(err.reason, err.message)
            : new GatewayError(classify(err), (err as Error).message);
      this.setState(errorState(gateway, error));
      throw error;
    } finally {
      if (this.attempt === attempt) this.attempt = undefined;
      attempt.finish();
    }
  }

  /** The data plane lost the gateway while connected. */
  private onLinkLost(reason: string, cause: FailureCause): void {
    // A reconnect under way handles its own attempt's failures (one chain of attempts only).
    if (this.stopping || !this.running || this.current.kind === 'reconnecting') return;
    this.reconnect(1, reason, cause);
  }

  /**
   * Keeps the TUN, routes and DNS; opens a new connection and resumes the session. The flows
   * that rode the lost connection are gone already (the data plane reset them); meanwhile a
   * new TCP connection fails at once and datagrams are dropped and counted.
   */
  private reconnect(attempt: number, reason: string, cause: FailureCause): void {
    const running = this.running;
    if (!running || this.stopping) return;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (attempt - 1));
    this.setState({
      kind: 'reconnecting',
      gateway: running.options.gatewayUrl,
      attempt,
      reason,
      cause,
      nextAttemptAt: Date.now() + delay,
    });
    this.reconnectTimer = setTimeout(async () => {
      if (this.stopping || this.running !== running) return;
      // The same session client and data plane: the verified certificate and the token carry
      // over, and a certificate renewed meanwhile is decided again (SessionClient.open).
      const client = running.client;
      try {
        await this.refreshGatewayRoute(running);
        await client.open();
        try {
          running.config = await client.fetchConfig();
        } catch (err) {
          if (!(err instanceof GatewayError) || err.reason !== 'bad-credentials') throw err;
          // The session ended meanwhile (gateway restart, expiry): log in again.
          running.config = (
            await client.login(running.options.username, running.options.password, undefined)
          ).config;
        }
        if (this.stopping || this.running !== running) return;
        running.plane.setUdpIdle(running.config.timeouts.udpIdleSeconds * 1000);
        this.setState({
          kind: 'connected',
          gateway: running.options.gatewayUrl,
          intranetIp: running.config.intranetIp,
          since: Date.now(),
          tunnel: tunnelSummary(running.config, running.network.dnsMode),
        });
      } catch (err) {
        if (this.stopping || this.running !== running) return;
        running.plane.disconnect('reconnect attempt failed');
        if (await this.stopIfHopeless(running, err)) return;
        this.reconnect(attempt + 1, (err as Error).message, failureOf(err));
      }
    }, delay);
  }

  /**
   * The TUN stopped (another program deleted the interface): nothing can be tunnelled any
   * more. Undoes the rest of the setup and reports it, rather than showing "connected".
   */
  private async onTunLost(reason: string): Promise<void> {
    const running = this.running;
    if (!running || this.stopping) return;
    const message = `the tunnel device ${running.tunName} stopped: ${reason}`;
    await this.disconnect();
    this.setState({
      kind: 'error',
      gateway: running.options.gatewayUrl,
      reason: 'internal',
      message,
    });
  }

  /** resolv.conf mode: puts the intranet DNS back if another program rewrote the file. */
  private async watchDns(): Promise<void> {
    const running = this.running;
    if (!running || this.stopping || this.checkingDns) return;
    this.checkingDns = true;
    try {
      if ((await running.network.reapplyDns()) === 'reapplied')
        this.log('info', 'resolv.conf was rewritten by another program: intranet DNS put back');
    } catch (err) {
      this.log('warn', `checking resolv.conf: ${(err as Error).message}`);
    } finally {
      this.checkingDns = false;
    }
  }

  /**
   * Stops with an error state when retrying cannot help: the password or the certificate
   * changed, or the gateway lost the session of a user with one-time codes (a code cannot be
   * kept to log in again, and logins without it would only count towards a lockout).
   * Returns whether it stopped.
   */
  private async stopIfHopeless(running: Running, err: unknown): Promise<boolean> {
    if (
      !(err instanceof GatewayError) ||
      (err.reason !== 'bad-credentials' &&
        err.reason !== 'untrusted-certificate' &&
        err.reason !== 'certificate-changed' &&
        err.reason !== 'otp-required')
    ) {
      return false;
    }
    const message =
      err.reason === 'otp-required'
        ? 'the gateway ended the session and needs a new one-time code: connect again'
        : err.message;
    await this.disconnect();
    this.setState(
      errorState(
        running.options.gatewayUrl,
        new GatewayError(err.reason, message, {
          ...(err.certificate ? { certificate: err.certificate } : {}),
          ...(err.failure ? { cause: err.failure } : {}),
        }),
      ),
    );
    return true;
  }

  /**
   * The gateway refused a tunnel with 407: the session ended (its lifetime ran out, or a newer
   * login replaced it past the per-user cap) while the connection stayed up. Logs in again
   * with the saved password on the same connection, once for all the flows refused meanwhile
   * (the data plane holds their SYNs and sends them on with the new token). Resolves whether
   * the session was renewed.
   */
  private renewSession(): Promise<boolean> {
    const running = this.running;
    if (!running || this.stopping) return Promise.resolve(false);
    // A 407 right after a renewal is not an ended session but a gateway refusing us: no
    // login per refused flow.
    if (!this.renewing && Date.now() - this.lastRenewal < RENEW_MIN_INTERVAL_MS) {
      return Promise.resolve(false);
    }
    this.renewing ??= (async () => {
      try {
        const { username, password } = running.options;
        running.config = (await running.client.login(username, password, undefined)).config;
        this.lastRenewal = Date.now();
        this.log('info', 'the session had ended: logged in again');
        return true;
      } catch (err) {
        if (!(await this.stopIfHopeless(running, err)))
          this.log('warn', `renewing the session failed: ${(err as Error).message}`);
        return false;
      }
    })().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /**
   * Full tunnel: a network change may have taken the gateway's host route with its link.
   * Puts it back before a reconnect, and does not try while there is no path outside the
   * tunnel (the attempt would only go into the tunnel itself).
   */
  private async refreshGatewayRoute(running: Running): Promise<void> {
    const refreshed = await running.network.refreshHostRoute();
    if (refreshed.result === 'no-path') {
      throw new GatewayError(
        'gateway-unreachable',
        `no route to the gateway ${running.endpoint.host} outside the tunnel (is the network down?)`,
        { cause: 'network-unreachable' },
      );
    }
    if (refreshed.result === 'replaced') {
      const { dst, gateway, dev } = refreshed.route;
      this.log(
        'info',
        `route to the gateway put back: ${dst} ${gateway ? `via ${gateway} ` : ''}dev ${dev}`,
      );
    }
  }

  /**
   * Undoes everything: flows, routes and DNS, then logs out (bounded, see LOGOUT_TIMEOUT_MS)
   * and closes the data plane with its TUN; a connect() under way is cancelled and undoes what it did. Called
   * again while it runs (a second Ctrl-C), it returns the same promise, and
   * `{ logout: false }` skips the logout: the host's network is restored whatever the number
   * of calls.
   */
  disconnect(options: { logout?: boolean } = {}): Promise<void> {
    if (options.logout === false) {
      this.logoutOnStop = false;
      this.skipLogout?.();
    }
    if (this.disconnecting) return this.disconnecting;
    const done = this.stop().finally(() => {
      this.disconnecting = undefined;
      this.logoutOnStop = true;
    });
    this.disconnecting = done;
    return done;
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    const attempt = this.attempt;
    if (attempt) {
      // connect() undoes what it did and ends in 'disconnected'.
      attempt.cancel();
      await attempt.done;
      return;
    }
    const running = this.running;
    this.running = undefined;
    if (!running) {
      if (this.current.kind !== 'error' && this.current.kind !== 'disconnected')
        this.setState({ kind: 'disconnected' });
      return;
    }
    clearInterval(running.statsTimer);
    clearInterval(running.dnsTimer);
    // Every flow ends now: applications see resets, not a tunnel that stopped answering.
    running.plane.closeFlows();
    // The host's network first: it must not depend on the gateway answering the logout.
    try {
      await running.network.undo();
    } catch (err) {
      this.log('error', `could not undo every network change: ${(err as Error).message}`);
    }
    // Over the data plane's connection, which a reconnect attempt under way may not have up:
    // the request then fails at once.
    await this.logOut(running.client);
    running.client.close();
    // Stops the data plane's thread and closes the TUN device (the interface goes with it).
    running.plane.close();
    running.system.end();
    this.setState({ kind: 'disconnected' });
  }

  /** Logs out, waiting at most LOGOUT_TIMEOUT_MS, or not at all once told to skip it. */
  private async logOut(client: SessionClient): Promise<void> {
    if (!this.logoutOnStop) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.logout().catch(() => undefined),
      new Promise<void>((resolve) => {
        this.skipLogout = resolve;
        timer = setTimeout(resolve, LOGOUT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    this.skipLogout = undefined;
  }
}

/**
 * /run/passerelle/net-<inode>: one folder per network namespace, so that engines in two
 * namespaces (containers, the test lab) never read or repair each other's state.
 */
export function defaultStateDir(): string {
  let namespace = 'default';
  try {
    namespace = readlinkSync('/proc/self/ns/net').replace(/^net:\[(\d+)\]$/, 'net-$1');
  } catch {
    // no /proc (not Linux): one folder is enough
  }
  return join(DEFAULT_STATE_DIR, namespace);
}

function errorState(gateway: string, error: GatewayError): EngineState {
  return {
    kind: 'error',
    gateway,
    reason: error.reason,
    message: error.message,
    ...(error.fingerprint ? { fingerprint: error.fingerprint } : {}),
    ...(error.certificate ? { certificate: error.certificate } : {}),
    ...(error.failure ? { cause: error.failure } : {}),
    ...(error.retryAfterSeconds !== undefined
      ? { retryAt: Date.now() + error.retryAfterSeconds * 1000 }
      : {}),
  };
}

/** What the session does to the machine's traffic, for the UI to say. */
export function tunnelSummary(config: SessionConfig, dnsMode: DnsMode): TunnelSummary {
  const hasDns = config.dns.servers.length > 0;
  return {
    splitTunnel: config.splitTunnel,
    routes: [...config.routes],
    dns: {
      servers: [...config.dns.servers],
      domains: [...config.dns.domains],
      scope: !hasDns || dnsMode === 'none' ? 'none' : dnsMode === 'resolved' ? 'domains' : 'all',
    },
  };
}

function classify(err: unknown): GatewayError['reason'] {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EPERM' || code === 'EACCES') return 'no-privileges';
  return 'internal';
}
