// NetworkSetup: what the engine does to the host once the TUN exists (addresses, MTU, link up,
// routes, DNS), recorded in a state file before each change so that it can always be undone.
import { isIP } from 'node:net';
import { cidrContains, normalizeCidr, parseIpv4, parseIpv4Cidr } from './cidr.js';
import { applyResolved, cleanDomain, resolvedUsable, type DnsSettings } from './dns-resolved.js';
import {
  applyResolvConf,
  DEFAULT_RESOLV_CONF,
  hasMarker,
  readResolvConf,
} from './dns-resolvconf.js';
import { combineErrors, revertState } from './revert.js';
import { gatewayPath } from './gateway-path.js';
import { IpRoute2, type HostRoute } from './routes.js';
import { createRunner, isAlreadyExists, type Runner } from './run.js';
import {
  currentOwner,
  DEFAULT_STATE_DIR,
  ownerAlive,
  readState,
  removeState,
  STATE_VERSION,
  stateFilePath,
  writeState,
  type ChangeStatus,
  type NetState,
} from './state.js';

export interface NetworkPlan {
  tunName: string;
  /** The client address A (the intranet IP, or a local one). */
  address: string;
  prefixLength: number;
  /**
   * B, the NAT's second address (DESIGN §3), routed to the TUN as B/32 but never assigned:
   * the kernel drops packets arriving with one of its own addresses as source, and the
   * listener's replies to B must leave through the TUN.
   */
  spareAddress: string;
  mtu: number;
  /** Secured networks (IPv4 CIDRs) routed to the TUN. */
  routes: string[];
  /** Off: all IPv4 traffic goes to the TUN (0.0.0.0/1 + 128.0.0.0/1) except the gateway itself. */
  splitTunnel: boolean;
  /** The gateway's public IP, kept outside the tunnel by a host route when needed. */
  gatewayIp: string;
  dns: DnsSettings;
}

export type DnsMode = 'none' | 'resolved' | 'resolvconf';

export interface NetworkSetupOptions {
  /** Where state files live; /run/passerelle by default. */
  stateDir?: string;
  /** The resolv.conf managed when systemd-resolved is absent; /etc/resolv.conf by default. */
  resolvConfPath?: string;
  /** "auto" (default) uses systemd-resolved when it can serve this network namespace. */
  dnsMode?: 'auto' | 'resolved' | 'resolvconf';
  /** Runs ip and resolvectl; the real execFile runner by default. */
  run?: Runner;
  /** Per-command timeout in milliseconds (10 s by default). */
  timeoutMs?: number;
  /** Non-fatal notes (a stale state reverted, resolv.conf changed by someone else…). */
  log?: (message: string) => void;
}

export interface AppliedSetup {
  readonly tunName: string;
  readonly stateFile: string;
  readonly dnsMode: DnsMode;
  /** The gateway's host route outside the tunnel, when one was needed (as it is now). */
  readonly hostRoute: HostRoute | null;
  /**
   * Puts the gateway's host route back where the main table would send the gateway now:
   * after a network change it may be gone with its link, or point at a next hop that left.
   * Call before reconnecting. "no-path": no route outside the tunnel (the network is down);
   * connecting now would send the gateway's own traffic into the tunnel.
   */
  refreshHostRoute(): Promise<HostRouteRefresh>;
  /**
   * resolv.conf mode: after a network change another program (NetworkManager, a DHCP
   * client) may write its own resolv.conf over ours, and intranet names stop resolving. Puts
   * ours back on top of the new file, which becomes the original restored on disconnect.
   */
  reapplyDns(): Promise<'not-managed' | 'unchanged' | 'reapplied'>;
  /** Routes added via the TUN. */
  readonly routes: readonly string[];
  /**
   * Reverts everything (DNS, routes, host route, addresses, MTU/up) and deletes the state file.
   * Idempotent; best effort: every step runs, failures are reported together (AggregateError),
   * and the state file is then kept so that recovery can try again.
   */
  undo(): Promise<void>;
}

export type HostRouteRefresh =
  { result: 'not-needed' | 'unchanged' | 'no-path' } | { result: 'replaced'; route: HostRoute };

/** A failed apply(); everything that had landed was rolled back (see rollbackErrors). */
export class NetworkSetupError extends Error {
  override readonly name = 'NetworkSetupError';
  constructor(
    message: string,
    override readonly cause: unknown,
    readonly rollbackErrors: Error[],
  ) {
    super(message, { cause });
  }
}

const FULL_TUNNEL_HALVES = ['0.0.0.0/1', '128.0.0.0/1'];
/** Full tunnel: IPv6 is blocked (the tunnel carries IPv4 only), never sent around it. */
const IPV6_HALVES = ['::/1', '8000::/1'];

interface CheckedPlan {
  tunName: string;
  addresses: string[];
  routes: string[];
  splitTunnel: boolean;
  gatewayIp: string;
  mtu: number;
  dns: DnsSettings;
  /** Prefixes the TUN will own, to tell whether the gateway would fall inside one. */
  tunnelPrefixes: string[];
}

export function checkPlan(plan: NetworkPlan): CheckedPlan {
  const bad = (what: string): never => {
    throw new Error(`invalid network plan: ${what}`);
  };
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(plan.tunName) || plan.tunName.startsWith('.')) {
    bad(`tunName ${JSON.stringify(plan.tunName)} is not an interface name`);
  }
  if (parseIpv4(plan.address) === null) bad(`address ${JSON.stringify(plan.address)} is not IPv4`);
  if (parseIpv4(plan.spareAddress) === null) {
    bad(`spareAddress ${JSON.stringify(plan.spareAddress)} is not IPv4`);
  }
  if (plan.spareAddress === plan.address) bad('spareAddress equals address');
  if (!Number.isInteger(plan.prefixLength) || plan.prefixLength < 0 || plan.prefixLength > 32) {
    bad(`prefixLength ${plan.prefixLength} is not 0..32`);
  }
  if (!Number.isInteger(plan.mtu) || plan.mtu < 68 || plan.mtu > 65535) {
    bad(`mtu ${plan.mtu} is not 68..65535`);
  }
  if (parseIpv4(plan.gatewayIp) === null)
    bad(`gatewayIp ${JSON.stringify(plan.gatewayIp)} is not IPv4`);
  const routes: string[] = [];
  const wanted = plan.splitTunnel ? plan.routes : [...FULL_TUNNEL_HALVES, ...plan.routes];
  for (const r of [`${plan.spareAddress}/32`, ...wanted]) {
    const n = normalizeCidr(r) ?? bad(`route ${JSON.stringify(r)} is not an IPv4 CIDR`);
    if (!routes.includes(n)) routes.push(n);
  }
  for (const s of plan.dns.servers)
    if (isIP(s) === 0) bad(`DNS server ${JSON.stringify(s)} is not an IP`);
  const domains = plan.dns.domains.map(cleanDomain);
  for (const d of domains) {
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(d))
      bad(`DNS domain ${JSON.stringify(d)} is not a name`);
  }
  const ownPrefix = `${plan.address}/${plan.prefixLength}`;
  return {
    tunName: plan.tunName,
    addresses: [ownPrefix],
    routes,
    splitTunnel: plan.splitTunnel,
    gatewayIp: plan.gatewayIp,
    mtu: plan.mtu,
    dns: { servers: [...plan.dns.servers], domains },
    tunnelPrefixes: [...routes, ownPrefix],
  };
}

export class NetworkSetup {
  private readonly run: Runner;
  private readonly stateDir: string;
  private readonly resolvConfPath: string;

  constructor(private readonly options: NetworkSetupOptions = {}) {
    this.run =
      options.run ??
      createRunner(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    this.stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
    this.resolvConfPath = options.resolvConfPath ?? DEFAULT_RESOLV_CONF;
  }

  private async chooseDnsMode(dns: DnsSettings): Promise<DnsMode> {
    if (dns.servers.length === 0) return 'none';
    const wanted = this.options.dnsMode ?? 'auto';
    if (wanted !== 'auto') return wanted;
    return (await resolvedUsable(this.run)) ? 'resolved' : 'resolvconf';
  }

  /** Reverts a state file left by a dead process for this TUN (the TUN itself is new: kept). */
  private async clearStale(file: string): Promise<void> {
    const stale = await readState(file);
    if (!stale) return;
    if (ownerAlive(stale.owner)) {
      throw new Error(
        `${stale.tunName} is already configured by process ${stale.owner.pid} (${file}); undo that first`,
      );
    }
    this.options.log?.(
      `reverting what process ${stale.owner.pid} left on ${stale.tunName} (${file})`,
    );
    const errors = await revertState(stale, this.revertOptions());
    const error = combineErrors(errors, `reverting the stale state ${file}`);
    if (error) throw error;
    await removeState(file);
  }

  private revertOptions(): Parameters<typeof revertState>[1] {
    return {
      run: this.run,
      deleteLink: false,
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
      ...(this.options.log ? { log: this.options.log } : {}),
    };
  }

  async apply(plan: NetworkPlan): Promise<AppliedSetup> {
    const p = checkPlan(plan);
    const tun = p.tunName;
    const ip = new IpRoute2(this.run, this.options.timeoutMs);
    const file = stateFilePath(this.stateDir, tun);
    await this.clearStale(file);

    // Everything read before anything changes.
    const link = await ip.showLink(tun);
    let hostRoute: HostRoute | null = null;
    const gatewayInside = p.tunnelPrefixes.some((c) => {
      const prefix = parseIpv4Cidr(c);
      return prefix !== null && cidrContains(prefix, p.gatewayIp);
    });
    if (!p.splitTunnel || gatewayInside) {
      const current = await ip.routeGet(p.gatewayIp);
      if (current.dev === tun) {
        throw new Error(`the route to the gateway ${p.gatewayIp} already goes through ${tun}`);
      }
      // A local address is looked up in the local table first: the tunnel routes cannot catch it.
      if (current.type !== 'local') {
        hostRoute = { dst: `${p.gatewayIp}/32`, gateway: current.gateway, dev: current.dev };
      }
    }
    const dnsMode = await this.chooseDnsMode(p.dns);
    const original = dnsMode === 'resolvconf' ? await readResolvConf(this.resolvConfPath) : null;

    const state: NetState = {
      version: STATE_VERSION,
      tunName: tun,
      owner: currentOwner(),
      createdAt: new Date().toISOString(),
      link: { originalMtu: link.mtu, wasUp: link.up, status: 'planned' },
      addresses: p.addresses.map((cidr) => ({ cidr, status: 'planned' })),
      hostRoute: hostRoute ? { ...hostRoute, status: 'planned' } : null,
      routes: p.routes.map((dst) => ({ dst, status: 'planned' })),
      ipv6Blocks: p.splitTunnel ? [] : IPV6_HALVES.map((dst) => ({ dst, status: 'planned' })),
      dns:
        dnsMode === 'none'
          ? { mode: 'none' }
          : dnsMode === 'resolved'
            ? { mode: 'resolved', status: 'planned' }
            : {
                mode: 'resolvconf',
                status: 'planned',
                path: this.resolvConfPath,
                originalBase64: original === null ? null : original.toString('base64'),
              },
    };
    await writeState(file, state);

    /** Marks the change pending (on disk) before running it, then done or skipped after. */
    const change = async (
      entry: { status: ChangeStatus },
      action: () => Promise<ChangeStatus | void>,
    ): Promise<void> => {
      entry.status = 'pending';
      await writeState(file, state);
      entry.status = (await action()) ?? 'done';
      await writeState(file, state);
    };

    try {
      for (const address of state.addresses) {
        await change(address, async () => {
          try {
            await ip.addAddress(tun, address.cidr);
          } catch (err) {
            if (isAlreadyExists(err)) return 'skipped'; // someone put it there first: not ours
            throw err;
          }
        });
      }
      await change(state.link, async () => {
        await ip.setMtu(tun, p.mtu);
        await ip.setUp(tun, true);
      });
      // The gateway's own route before the routes that would otherwise capture it.
      const host = state.hostRoute;
      if (host) {
        await change(host, async () => {
          try {
            await ip.addHostRoute(host);
          } catch (err) {
            if (isAlreadyExists(err)) return 'skipped';
            throw err;
          }
        });
      }
      for (const route of state.routes) {
        await change(route, async () => {
          try {
            await ip.addDevRoute(route.dst, tun);
          } catch (err) {
            if (!isAlreadyExists(err)) throw err;
            const devs = await ip.routeDevsFor(route.dst);
            // The kernel's own route for the TUN's subnet: already where we want it.
            if (devs.includes(tun)) return 'skipped';
            throw new Error(
              `${(err as Error).message} (a route for ${route.dst} already exists via ${devs.join(', ') || 'another path'}; it is not replaced)`,
              { cause: err },
            );
          }
        });
      }
      for (const block of state.ipv6Blocks ?? []) {
        await change(block, async () => {
          try {
            await ip.addUnreachable6(block.dst);
          } catch (err) {
            // Already there (not ours), or IPv6 disabled on this host: nothing can leak.
            if (isAlreadyExists(err) || /IPv6 is disabled|not supported/i.test(String(err))) {
              return 'skipped';
            }
            throw err;
          }
        });
      }
      const dns = state.dns;
      if (dns.mode === 'resolved') {
        await change(dns, () =>
          applyResolved(
            this.run,
            tun,
            p.dns,
            { fullTunnel: !p.splitTunnel },
            this.options.timeoutMs,
          ),
        );
      } else if (dns.mode === 'resolvconf') {
        await change(dns, () => applyResolvConf(dns.path, original, p.dns, tun));
      }
    } catch (err) {
      const rollbackErrors = await revertState(state, this.revertOptions());
      if (rollbackErrors.length === 0) await removeState(file).catch(() => undefined);
      const message = err instanceof Error ? err.message : String(err);
      const rollback =
        rollbackErrors.length === 0
          ? ''
          : `; rolling back also failed (state kept in ${file}): ${rollbackErrors.map((e) => e.message).join('; ')}`;
      throw new NetworkSetupError(
        `setting up ${tun} failed: ${message}${rollback}`,
        err,
        rollbackErrors,
      );
    }

    let done = false;
    let running: Promise<void> | null = null;
    // A repair under way (host route, resolv.conf) when undo starts finishes first, so that it
    // cannot put back a route or a file after undo removed it, or rewrite the removed state.
    let undoing = false;
    let repairing: Promise<unknown> | null = null;
    const repair = <T>(action: () => Promise<T>): Promise<T> => {
      const run = (repairing ?? Promise.resolve()).catch(() => undefined).then(action);
      repairing = run;
      return run;
    };
    const undo = (): Promise<void> => {
      if (done) return Promise.resolve();
      undoing = true;
      running ??= (async () => {
        await repairing?.catch(() => undefined);
        const errors = await revertState(state, this.revertOptions());
        const error = combineErrors(errors, `undoing the network setup of ${tun}`);
        if (error) throw error;
        await removeState(file);
        done = true;
      })().finally(() => {
        running = null;
      });
      return running;
    };

    const refreshHostRoute = (): Promise<HostRouteRefresh> => repair(refreshHostRouteNow);
    const refreshHostRouteNow = async (): Promise<HostRouteRefresh> => {
      const host = state.hostRoute;
      // Only a route we added (or were adding) is ours to move; one that was there before is
      // left alone.
      if (done || undoing || !host || !(host.status === 'done' || host.status === 'pending')) {
        return { result: 'not-needed' };
      }
      const wanted = gatewayPath(await ip.mainRoutes(), p.gatewayIp, tun, host.dst);
      if (!wanted) return { result: 'no-path' };
      const now = await ip.hostRouteNow(host.dst);
      if (now && now.dev === wanted.dev && now.gateway === wanted.gateway) {
        return { result: 'unchanged' };
      }
      // Recorded first, so that undo and crash recovery delete the route that is there.
      state.hostRoute = { ...wanted, status: 'pending' };
      await writeState(file, state);
      await ip.replaceHostRoute(wanted);
      state.hostRoute.status = 'done';
      await writeState(file, state);
      return { result: 'replaced', route: wanted };
    };

    const reapplyDns = (): Promise<'not-managed' | 'unchanged' | 'reapplied'> =>
      repair(async () => {
        const dns = state.dns;
        if (done || undoing || dns.mode !== 'resolvconf' || dns.status !== 'done') {
          return 'not-managed';
        }
        const current = await readResolvConf(dns.path);
        if (current !== null && hasMarker(current.toString('utf8'), tun)) return 'unchanged';
        // Recorded first: a crash from here on restores their file, not the one from before.
        dns.originalBase64 = current === null ? null : current.toString('base64');
        await writeState(file, state);
        await applyResolvConf(dns.path, current, p.dns, tun);
        return 'reapplied';
      });

    return {
      tunName: tun,
      stateFile: file,
      dnsMode,
      get hostRoute() {
        const host = state.hostRoute;
        return host?.status === 'done'
          ? { dst: host.dst, gateway: host.gateway, dev: host.dev }
          : null;
      },
      routes: state.routes.filter((r) => r.status === 'done').map((r) => r.dst),
      refreshHostRoute,
      reapplyDns,
      undo,
    };
  }
}
