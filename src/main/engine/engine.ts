// The tunnel engine (Electron-free): logs in, sets up the TUN device, routes and DNS from the
// session configuration, hands the TUN to the native data plane (which moves every byte:
// DESIGN §4), renews the session, reconnects after a loss, and undoes every change on
// disconnect. JavaScript steers; the data plane's thread does the packet work.
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { ClientDataPlane, openTunDevice } from '../../native/client.js';
import { isIPv4, parseIPv4 } from '../../shared/net/ipv4.js';
import type { AllowedResource, SessionConfig } from '../../shared/protocol/session.js';
import { DEFAULT_MTU, planAddresses } from './address-plan.js';
import { GatewayError } from './gateway/errors.js';
import { SessionClient, parseGatewayUrl, type GatewayEndpoint } from './gateway/session-client.js';
import { dataPlaneTuning, type DataPlaneTuning } from './tuning.js';
import { parsePin, type Trust } from './gateway/tls-trust.js';
import {
  DEFAULT_STATE_DIR,
  NetworkSetup,
  checkPrivileges,
  recoverStale,
  type AppliedSetup,
} from './netconfig/index.js';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectOptions, Engine, EngineEvents, EngineState, EngineStats } from './types.js';
import { lookup } from 'node:dns/promises';

export interface EngineOptions {
  /** Where network state files live, for crash recovery (/run/passerelle by default). */
  stateDir?: string;
  mtu?: number;
  /** Seconds between keepalive PINGs; the gateway is declared dead after 1.5 intervals + 2 s. */
  keepaliveSeconds?: number;
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
  statsTimer: NodeJS.Timeout;
  /** resolv.conf mode: checks that our DNS is still the one in use (see watchDns). */
  dnsTimer: NodeJS.Timeout | undefined;
}

const MAX_BACKOFF_MS = 15_000;
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
    throw new GatewayError(
      'gateway-unreachable',
      `cannot resolve the gateway ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export class TunnelEngine implements Engine {
  private readonly events = new EventEmitter();
  private current: EngineState = { kind: 'disconnected' };
  private running: Running | undefined;
  /** The data plane of the session under way (its counters outlive a disconnect, for stats()). */
  private plane: ClientDataPlane | undefined;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
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
    if (this.running || this.current.kind === 'connecting')
      throw new Error('already connected or connecting');
    this.stopping = false;
    const gateway = options.gatewayUrl;
    this.setState({ kind: 'connecting', gateway });
    let plane: ClientDataPlane | undefined;
    let client: SessionClient | undefined;
    let tunFd: number | undefined;
    let network: AppliedSetup | undefined;
    try {
      const privileges = await checkPrivileges();
      if (!privileges.ok)
        throw new GatewayError(
          'no-privileges',
          `${privileges.message}: the tunnel needs CAP_NET_ADMIN`,
        );
      const endpoint = parseGatewayUrl(gateway);
      const trust: Trust = options.pin
        ? { kind: 'pin', sha256: parsePin(options.pin) }
        : options.ca
          ? { kind: 'ca', pem: options.ca }
          : { kind: 'system' };
      const gatewayIp = await resolveGateway(endpoint.host);
      plane = new ClientDataPlane({
        onLinkDown: (reason) => this.onLinkLost(reason),
        onAuthRequired: () =>
          void this.renewSession().then((renewed) => {
            if (!renewed) this.running?.plane.renewalFailed();
          }),
        onTunError: (message) => void this.onTunLost(message),
      });
      this.plane = plane;
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
      await client.open();
      const login = await client.login(options.username, options.password, options.otp);
      const config = login.config;

      const stateDir = this.engineOptions.stateDir ?? defaultStateDir();
      // A previous engine killed without cleaning up leaves its routes: revert them first.
      const recovery = await recoverStale(stateDir);
      for (const error of recovery.errors)
        this.log('warn', `recovering a previous session: ${error.message}`);
      // The privileged step: today the engine opens the TUN itself; a privileged helper may
      // hand over the descriptor instead. A virtio-net header lets the data plane use offloads.
      const tun = openTunDevice(options.tunName ?? 'passerelle0', { vnetHeader: true });
      tunFd = tun.fd;
      const plan = planAddresses(config);
      network = await new NetworkSetup({ stateDir, log: (m) => this.log('info', m) }).apply({
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
        statsTimer,
      };
      this.setState({
        kind: 'connected',
        gateway,
        intranetIp: config.intranetIp,
        since: Date.now(),
      });
      this.log(
        'info',
        `connected to ${gateway} as ${options.username}${config.intranetIp ? `, intranet IP ${config.intranetIp}` : ''}`,
      );
    } catch (err) {
      await network?.undo().catch((e: Error) => this.log('error', `undo failed: ${e.message}`));
      if (tunFd !== undefined) closeSync(tunFd);
      await client?.logout().catch(() => undefined);
      plane?.close();
      const error =
        err instanceof GatewayError ? err : new GatewayError(classify(err), (err as Error).message);
      this.setState({
        kind: 'error',
        gateway,
        reason: error.reason,
        message: error.message,
        ...(error.fingerprint ? { fingerprint: error.fingerprint } : {}),
      });
      throw error;
    }
  }

  /** The data plane lost the gateway while connected. */
  private onLinkLost(reason: string): void {
    // A reconnect under way handles its own attempt's failures (one chain of attempts only).
    if (this.stopping || !this.running || this.current.kind === 'reconnecting') return;
    this.log('warn', `lost the gateway: ${reason}`);
    this.reconnect(1, reason);
  }

  /**
   * Keeps the TUN, routes and DNS; opens a new connection and resumes the session. The flows
   * that rode the lost connection are gone already (the data plane reset them); meanwhile a
   * new TCP connection fails at once and datagrams are dropped and counted.
   */
  private reconnect(attempt: number, reason: string): void {
    const running = this.running;
    if (!running || this.stopping) return;
    this.setState({ kind: 'reconnecting', gateway: running.options.gatewayUrl, attempt, reason });
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (attempt - 1));
    this.reconnectTimer = setTimeout(async () => {
      if (this.stopping || this.running !== running) return;
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
        });
        this.log('info', 'reconnected');
      } catch (err) {
        running.plane.disconnect('reconnect attempt failed');
        if (await this.stopIfHopeless(running, err)) return;
        this.reconnect(attempt + 1, (err as Error).message);
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
    this.log('error', message);
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
        err.reason !== 'otp-required')
    ) {
      return false;
    }
    const message =
      err.reason === 'otp-required'
        ? 'the gateway ended the session and needs a new one-time code: connect again'
        : err.message;
    this.log('error', message);
    await this.disconnect();
    this.setState({
      kind: 'error',
      gateway: running.options.gatewayUrl,
      reason: err.reason,
      message,
    });
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
      throw new Error(
        `no route to the gateway ${running.endpoint.host} outside the tunnel (is the network down?)`,
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

  async disconnect(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    const running = this.running;
    this.running = undefined;
    if (!running) {
      if (this.current.kind !== 'error') this.setState({ kind: 'disconnected' });
      return;
    }
    clearInterval(running.statsTimer);
    clearInterval(running.dnsTimer);
    running.plane.closeFlows();
    await running.client.logout().catch(() => undefined);
    running.plane.disconnect('disconnected');
    try {
      await running.network.undo();
    } catch (err) {
      this.log('error', `could not undo every network change: ${(err as Error).message}`);
    }
    // Stops the data plane's thread and closes the TUN device (the interface goes with it).
    running.plane.close();
    this.setState({ kind: 'disconnected' });
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

function classify(err: unknown): GatewayError['reason'] {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EPERM' || code === 'EACCES') return 'no-privileges';
  return 'internal';
}
