// iproute2 operations: the link, its addresses, routes, and the lookup of the current route to
// the gateway. Every function builds an argv and runs it; nothing is parsed from text output
// except iproute2's JSON (-j).
import type { MainRoute } from './gateway-path.js';
import type { Runner } from './run.js';

export interface LinkInfo {
  name: string;
  mtu: number;
  up: boolean;
  /** linkinfo.info_kind from `ip -d -j link`: "tun" for a TUN device, null for a plain link. */
  kind: string | null;
}

export interface RouteToHost {
  /** The next hop, or null when the host is on-link. */
  gateway: string | null;
  dev: string;
  /** "unicast", "local", "broadcast"… (iproute2 omits it for unicast). */
  type: string;
}

/** A host route for the gateway that keeps its traffic outside the tunnel. */
export interface HostRoute {
  dst: string;
  gateway: string | null;
  dev: string;
}

function parseJsonArray(stdout: string, what: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(stdout.trim() === '' ? '[]' : stdout);
  } catch {
    throw new Error(
      `${what}: iproute2 printed something that is not JSON: ${stdout.slice(0, 200)}`,
    );
  }
  if (!Array.isArray(value)) throw new Error(`${what}: expected a JSON array from iproute2`);
  return value;
}

/** iproute2's JSON list of routes (`ip -j route show …`), as far as this module reads it. */
export function parseRoutes(stdout: string, what: string): MainRoute[] {
  return parseJsonArray(stdout, what).flatMap((entry) => {
    const r = entry as Record<string, unknown>;
    if (typeof r.dst !== 'string') return [];
    return [
      {
        dst: r.dst,
        ...(typeof r.gateway === 'string' ? { gateway: r.gateway } : {}),
        ...(typeof r.dev === 'string' ? { dev: r.dev } : {}),
        ...(typeof r.metric === 'number' ? { metric: r.metric } : {}),
        ...(typeof r.type === 'string' ? { type: r.type } : {}),
        ...(Array.isArray(r.flags)
          ? { flags: r.flags.filter((f): f is string => typeof f === 'string') }
          : {}),
      },
    ];
  });
}

export function parseLinkJson(stdout: string, name: string): LinkInfo {
  const [first] = parseJsonArray(stdout, `ip link show dev ${name}`);
  const link = first as
    | { ifname?: unknown; mtu?: unknown; flags?: unknown; linkinfo?: { info_kind?: unknown } }
    | undefined;
  if (!link || typeof link.mtu !== 'number') {
    throw new Error(`ip link show dev ${name}: no link in the output`);
  }
  const flags = Array.isArray(link.flags) ? link.flags : [];
  return {
    name: typeof link.ifname === 'string' ? link.ifname : name,
    mtu: link.mtu,
    up: flags.includes('UP'),
    kind: typeof link.linkinfo?.info_kind === 'string' ? link.linkinfo.info_kind : null,
  };
}

export function parseRouteGetJson(stdout: string, host: string): RouteToHost {
  const [first] = parseJsonArray(stdout, `ip route get ${host}`);
  const route = first as { gateway?: unknown; dev?: unknown; type?: unknown } | undefined;
  if (!route || typeof route.dev !== 'string') {
    throw new Error(`ip route get ${host}: no route with an output device`);
  }
  return {
    gateway: typeof route.gateway === 'string' ? route.gateway : null,
    dev: route.dev,
    type: typeof route.type === 'string' ? route.type : 'unicast',
  };
}

export class IpRoute2 {
  constructor(
    private readonly run: Runner,
    private readonly timeoutMs?: number,
  ) {}

  private ip(args: string[]): Promise<{ stdout: string }> {
    return this.run('ip', args, this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs });
  }

  async showLink(name: string): Promise<LinkInfo> {
    const { stdout } = await this.ip(['-d', '-j', 'link', 'show', 'dev', name]);
    return parseLinkJson(stdout, name);
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    await this.ip(['link', 'set', 'dev', name, 'mtu', String(mtu)]);
  }

  async setUp(name: string, up: boolean): Promise<void> {
    await this.ip(['link', 'set', 'dev', name, up ? 'up' : 'down']);
  }

  async deleteLink(name: string): Promise<void> {
    await this.ip(['link', 'del', 'dev', name]);
  }

  async addAddress(name: string, cidr: string): Promise<void> {
    await this.ip(['addr', 'add', cidr, 'dev', name]);
  }

  async deleteAddress(name: string, cidr: string): Promise<void> {
    await this.ip(['addr', 'del', cidr, 'dev', name]);
  }

  /** The route the kernel would use now to reach `host` (`ip -j route get`). */
  async routeGet(host: string): Promise<RouteToHost> {
    const { stdout } = await this.ip(['-j', 'route', 'get', host]);
    return parseRouteGetJson(stdout, host);
  }

  /** Output devices of the main-table routes for exactly this prefix. */
  async routeDevsFor(dst: string): Promise<string[]> {
    const { stdout } = await this.ip(['-j', 'route', 'show', 'exact', dst]);
    return parseRoutes(stdout, `ip route show exact ${dst}`).flatMap((r) => (r.dev ? [r.dev] : []));
  }

  async addDevRoute(dst: string, dev: string): Promise<void> {
    await this.ip(['route', 'add', dst, 'dev', dev]);
  }

  async deleteDevRoute(dst: string, dev: string): Promise<void> {
    await this.ip(['route', 'del', dst, 'dev', dev]);
  }

  /** An "unreachable" IPv6 route: the kernel answers at once, nothing leaves. */
  async addUnreachable6(dst: string): Promise<void> {
    await this.ip(['-6', 'route', 'add', 'unreachable', dst]);
  }

  async deleteUnreachable6(dst: string): Promise<void> {
    await this.ip(['-6', 'route', 'del', 'unreachable', dst]);
  }

  /** The main table's IPv4 routes (`ip -j route show table main`). */
  async mainRoutes(): Promise<MainRoute[]> {
    const { stdout } = await this.ip(['-4', '-j', 'route', 'show', 'table', 'main']);
    return parseRoutes(stdout, 'ip route show table main');
  }

  /** The main-table route for exactly `dst` ("a.b.c.d/32"), or null. */
  async hostRouteNow(dst: string): Promise<Omit<HostRoute, 'dst'> | null> {
    const { stdout } = await this.ip(['-4', '-j', 'route', 'show', 'exact', dst]);
    const route = parseRoutes(stdout, `ip route show exact ${dst}`).find((r) => r.dev);
    return route?.dev ? { gateway: route.gateway ?? null, dev: route.dev } : null;
  }

  /** Adds the host route, or changes where an existing one for the same prefix goes. */
  async replaceHostRoute(route: HostRoute): Promise<void> {
    await this.ip(['route', 'replace', ...hostRouteSpec(route)]);
  }

  async addHostRoute(route: HostRoute): Promise<void> {
    await this.ip(['route', 'add', ...hostRouteSpec(route)]);
  }

  async deleteHostRoute(route: HostRoute): Promise<void> {
    await this.ip(['route', 'del', ...hostRouteSpec(route)]);
  }
}

export function hostRouteSpec(route: HostRoute): string[] {
  return [route.dst, ...(route.gateway ? ['via', route.gateway] : []), 'dev', route.dev];
}
